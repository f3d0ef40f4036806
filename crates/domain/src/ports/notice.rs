//! E-mail notices of unread messages, and who is online.

use async_trait::async_trait;

use crate::account::Account;
use crate::mail::Outgoing;
use crate::{StoreError, Timestamp, UserId};

/// E-mail notices of unread messages, and who is online (has the messenger open).
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Notes an open socket of `user`, online until `until` unless renewed.
    async fn set_present(
        &self,
        socket: &str,
        user: &UserId,
        until: Timestamp,
    ) -> Result<(), StoreError>;
    /// The socket closed.
    async fn set_absent(&self, socket: &str) -> Result<(), StoreError>;
    /// Whether this person wants the e-mails.
    async fn set_notify_email(&self, user: &UserId, on: bool) -> Result<(), StoreError>;
    /// People to tell: they want it, are not online, have a message from someone else unread
    /// that arrived after their last notice, and had no notice within `window_ms`.
    async fn due_notices(&self, now: Timestamp, window_ms: i64)
    -> Result<Vec<Account>, StoreError>;
    /// Queues the notice for `user` if (still) due, in one transaction with the mark that
    /// starts the next window; false when another node was first.
    async fn send_notice(
        &self,
        user: &UserId,
        now: Timestamp,
        window_ms: i64,
        mail: &Outgoing,
    ) -> Result<bool, StoreError>;
}
