//! The transactional outbox of e-mail.

use async_trait::async_trait;

use crate::mail::OutboxItem;
use crate::{OutboxId, StoreError, Timestamp};

/// The transactional outbox of e-mail.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Takes the oldest due item under a lease of `lease_ms`, so that one worker (on any node)
    /// sends it; an expired lease makes it due again (the worker died mid-send).
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<OutboxItem>, StoreError>;
    /// Records delivery and wipes the body (it carries single-use links).
    async fn outbox_sent(&self, id: &OutboxId, now: Timestamp) -> Result<(), StoreError>;
    /// Records a failed attempt; `retry_at = None` gives up for good.
    async fn outbox_failed(
        &self,
        id: &OutboxId,
        now: Timestamp,
        retry_at: Option<Timestamp>,
        reason: &str,
    ) -> Result<(), StoreError>;
    /// Items not yet delivered.
    async fn outbox_depth(&self) -> Result<i64, StoreError>;
    /// The newest items, for the development mailbox.
    async fn outbox_recent(&self, limit: i64) -> Result<Vec<OutboxItem>, StoreError>;
}
