//! "Wachtwoord vergeten" (seed 002): e-mail address → always the same reply → an e-mail with a
//! link (single use, valid 1 hour, the newest link voids older ones) → a new password with the
//! same five rules → every session of the account is signed out → a notification e-mail that
//! the password was changed.

/// How long a reset link works.
pub const LINK_VALID_SECS: i64 = 3600;
/// At most one reset e-mail per account per this many seconds (no mail bombing).
pub const MIN_SECS_BETWEEN_MAILS: i64 = 60;
