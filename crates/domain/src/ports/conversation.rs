//! Conversations and messages.

use async_trait::async_trait;

use crate::account::Account;
use crate::conversation::{ConversationSummary, Message, Thread};
use crate::{ConversationId, Error, StoreError, Timestamp, UserId};

/// Conversations and messages. Messages are stored by the `MessageWriter`.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The 1:1 conversation of `a` and `b`, opened if they have none yet (then true); two
    /// calls at once for one pair make one conversation.
    async fn open_direct(
        &self,
        a: &UserId,
        b: &UserId,
        now: Timestamp,
    ) -> Result<(ConversationId, bool), StoreError>;
    /// The user's conversations, the most recent activity first, with unread counts.
    async fn conversations_for(
        &self,
        user: &UserId,
    ) -> Result<Vec<ConversationSummary>, StoreError>;
    /// The newest `newest` messages of a conversation the user is a member of, which counts
    /// as reading them all; `NotFound` otherwise (also for ids that do not exist, so nobody
    /// learns which ids do). Staff reads of a patient's conversation are audited.
    async fn read_conversation(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
        newest: i64,
    ) -> Result<Thread, Error>;
    /// Up to `limit` messages after position `after`, for a member (live delivery and resume).
    async fn messages_after(
        &self,
        id: &ConversationId,
        reader: &UserId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>, Error>;
    /// Puts a staff member's reading of a patient's conversation on record (live delivery,
    /// once per connection); nothing for others. `NotFound` when the reader is not a member.
    async fn record_read(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<(), Error>;
    /// Sets the conversation's external id (the practice system's patient or episode number),
    /// by a staff member in it; None clears it. Audited.
    async fn set_external_id(
        &self,
        id: &ConversationId,
        by: &Account,
        external_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The user's conversations carrying this external id.
    async fn conversations_by_external_id(
        &self,
        user: &UserId,
        external_id: &str,
    ) -> Result<Vec<ConversationSummary>, StoreError>;
    /// The current members of a conversation, for one of them; `NotFound` otherwise.
    async fn conversation_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Vec<crate::group::Person>, Error>;
    /// A conversation's external id, for a member.
    async fn external_id(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<String>, Error>;
    /// Records that the member has seen the conversation up to `seq`.
    async fn mark_read(&self, id: &ConversationId, reader: &UserId, seq: i64) -> Result<(), Error>;
    /// How far every other member has read, as `viewer` may see it (0 when the practice shows
    /// no read receipts; someone who sends none counts as having read nothing). `NotFound`
    /// for anyone not in the conversation.
    async fn read_up_to(&self, id: &ConversationId, viewer: &UserId) -> Result<i64, Error>;
}
