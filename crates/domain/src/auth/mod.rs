//! Signing in and account security (issue #6, in steps): login throttling and "Wachtwoord
//! vergeten" so far; session codes, two-factor, passkeys and the app lock follow.

pub mod password_reset;
pub mod session_code;
pub mod throttle;
