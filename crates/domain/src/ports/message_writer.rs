//! The message writer: every chat message is stored through it, in batches, one transaction
//! each (`store/src/message_writer.rs`).

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::conversation::Posted;
use crate::{ConversationId, Error, Timestamp, UserId};

/// A chat message as `conversation::send` checked it, on its way to the writer.
#[derive(Clone)]
pub struct ChatMessage {
    pub conversation: ConversationId,
    pub sender: UserId,
    /// The sender's name as the answer shows it.
    pub sender_name: String,
    /// The body, checked (`conversation::parse_body`).
    pub body: String,
    /// The sender's own id for it, checked (`conversation::parse_client_id`).
    pub client_id: Option<String>,
    pub now: Timestamp,
    /// What the audit trail says of it; the writer adds the conversation's patient.
    pub record: AuditRecord,
}

impl std::fmt::Debug for ChatMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatMessage")
            .field("conversation", &self.conversation)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

/// Stores chat messages.
#[async_trait]
pub trait MessageWriter: Send + Sync {
    /// Stores a checked message at its conversation's next position with its audit record,
    /// in one transaction, and answers after the commit. The membership rule is kept there, in
    /// the transaction: a sender who is no member of the conversation (or a conversation that
    /// does not exist) gets `NotFound`. A client id the sender already used in this
    /// conversation gets the message stored then (`created: false`) and stores nothing.
    async fn write_message(&self, message: ChatMessage) -> Result<Posted, Error>;
}
