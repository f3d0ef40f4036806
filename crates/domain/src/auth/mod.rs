//! Signing in and account security: login throttling, "Wachtwoord vergeten", session codes,
//! the app lock ("Toegangscode vergrendeling"). Two-factor and passkeys live in the web adapter
//! and the crypto crate; their rules (one use per step, one answer per ceremony) in the store.

pub mod app_lock;
pub mod login;
pub mod password_reset;
pub mod session_code;
pub mod throttle;
