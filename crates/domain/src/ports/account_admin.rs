//! What an administrator does for a person who lost a device.

use async_trait::async_trait;

use crate::account::Account;
use crate::audit::AuditRecord;
use crate::mail::Outgoing;
use crate::{StoreError, UserId};

/// What an administrator does for a person who lost a device or fears someone else got in,
/// after checking who they are.
#[async_trait]
pub trait AccountAdminStore: Send + Sync {
    /// Accounts whose name or e-mail address contains `query` (case-insensitive), at most
    /// `limit`, by last name.
    async fn search_accounts(&self, query: &str, limit: i64) -> Result<Vec<Account>, StoreError>;
    /// Signs out every session of the account (including those waiting for a second step) and
    /// revokes its API tokens; queues the notice and writes the audit record in the same
    /// transaction. Returns how many sessions.
    async fn end_all_sessions(
        &self,
        user: &UserId,
        notice: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError>;
    /// Removes the authenticator app, its backup codes and every passkey, signs out every
    /// session and revokes every API token: the next sign-in takes the practice's second step
    /// (or sets one up anew).
    async fn reset_second_step(
        &self,
        user: &UserId,
        notice: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}
