//! The authenticator app (TOTP) and its backup codes.

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::{StoreError, Timestamp, UserId};

/// An account's authenticator-app credential.
pub struct TotpRecord {
    /// The shared secret, opened from its sealed column.
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: Option<i64>,
    pub backup_codes_left: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("enabled", &self.enabled)
            .field("backup_codes_left", &self.backup_codes_left)
            .finish_non_exhaustive()
    }
}

/// Two-factor authentication with an authenticator app ("Tweefactorauthenticatie").
#[async_trait]
pub trait TotpStore: Send + Sync {
    /// Stores a new, not yet confirmed secret (replacing an unconfirmed one).
    async fn begin_totp(
        &self,
        user: &UserId,
        secret: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError>;
    async fn totp(&self, user: &UserId) -> Result<Option<TotpRecord>, StoreError>;
    /// Confirms the secret with its first code's step, and stores the backup codes' hashes.
    async fn enable_totp(
        &self,
        user: &UserId,
        step: i64,
        backup_hashes: &[Vec<u8>],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Accepts a step exactly once (a replayed code, or the same code twice at once, fails).
    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, StoreError>;
    /// Uses a backup code exactly once.
    async fn use_backup_code(
        &self,
        user: &UserId,
        hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn disable_totp(&self, user: &UserId, audit: &AuditRecord) -> Result<(), StoreError>;
}
