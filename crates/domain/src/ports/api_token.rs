//! Personal access tokens for the JSON API.

use async_trait::async_trait;

use crate::account::Account;
use crate::audit::AuditRecord;
use crate::{StoreError, Timestamp, TokenId, UserId};

/// A personal access token, as listed (never the token itself).
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: TokenId,
    pub user: UserId,
    pub name: String,
    /// Requests per minute: None is the default; Some(0) no limit.
    pub rate_per_minute: Option<i64>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// Personal access tokens for the JSON API (staff and integrations).
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Stores a token under the keyed hash of its secret.
    async fn create_token(
        &self,
        token: &ApiToken,
        hash: &[u8],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// The live token with this hash and its active account; records the use (at most once a
    /// minute).
    async fn token_account(
        &self,
        hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(ApiToken, Account)>, StoreError>;
    /// The user's live tokens, newest first.
    async fn tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes one of the user's own tokens; false when there is no such live token of theirs.
    async fn revoke_token(
        &self,
        user: &UserId,
        id: &TokenId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Sets any live token's rate (administrators): None the default, Some(0) no limit;
    /// false when there is no such live token.
    async fn set_token_rate(
        &self,
        id: &TokenId,
        rate_per_minute: Option<i64>,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
}
