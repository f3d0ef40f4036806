//! Signing in and account security. `sign_in` is the state machine after the password;
//! `login` the password step, `session_code` and `totp` two of the second steps (passkey
//! ceremonies are WebAuthn, in the web adapter; their rules, one answer per ceremony, in the
//! store), `password_reset` "Wachtwoord vergeten", `app_lock` "Toegangscode vergrendeling",
//! `throttle` the counts of guesses.

pub mod app_lock;
pub mod login;
pub mod password_reset;
pub mod session_code;
pub mod sign_in;
pub mod throttle;
pub mod totp;
