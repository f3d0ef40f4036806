//! Text messages waiting to go out (the sms outbox), as the sms worker and the development
//! mailbox see them.

use std::fmt;

use async_trait::async_trait;

use crate::secure_mail::PhoneNumber;
use crate::{StoreError, Timestamp};

/// One text message in the outbox.
#[derive(Clone)]
pub struct SmsItem {
    pub id: String,
    pub to: PhoneNumber,
    pub text: String,
    pub created_at: Timestamp,
    pub attempts: i64,
    /// "pending", "sent" or "failed".
    pub status: String,
}

/// Written by hand: number and text stay out of logs.
impl fmt::Debug for SmsItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsItem")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait SmsOutboxStore: Send + Sync {
    /// The oldest due message, leased to this worker for `lease_ms` (a crashed worker's lease
    /// runs out and another sends it).
    async fn claim_sms(&self, now: Timestamp, lease_ms: i64)
    -> Result<Option<SmsItem>, StoreError>;
    async fn sms_sent(&self, id: &str, now: Timestamp) -> Result<(), StoreError>;
    /// A failed attempt: tried again at `retry_at`, or, with `None`, failed for good (the copy
    /// it was for is marked "niet afgeleverd").
    async fn sms_failed(
        &self,
        id: &str,
        now: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;
    /// The newest messages, for the development mailbox.
    async fn sms_recent(&self, limit: i64) -> Result<Vec<SmsItem>, StoreError>;
}
