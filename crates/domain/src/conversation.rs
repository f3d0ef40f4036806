//! Conversations in the messenger (seed 001). This issue needs only the 1:1 conversation an
//! accepted invitation opens, with the personal note as its first message; the messenger issue
//! builds the rest on these types.

use crate::{ConversationId, MessageId, Timestamp, UserId};

/// A message body may be this long (characters).
pub const MESSAGE_MAX_CHARS: usize = 10_000;

/// One line in the conversation list.
#[derive(Debug, Clone)]
pub struct ConversationSummary {
    pub id: ConversationId,
    /// The other members' names, for the list.
    pub title: String,
    pub last_activity: Timestamp,
}

/// A message, opened.
#[derive(Clone)]
pub struct Message {
    pub id: MessageId,
    pub conversation: ConversationId,
    /// Position in the conversation, assigned by the server at commit (1, 2, 3, …).
    pub seq: i64,
    pub sender: UserId,
    pub sender_name: String,
    pub body: String,
    pub sent_at: Timestamp,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}
