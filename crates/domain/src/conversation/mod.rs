//! Conversations in the messenger (seed 001): the list with unread counts, messages in the
//! order the server gives them, "verzonden" and "gelezen", and the sender's own message id that
//! makes a retry safe. Use cases: `send` (a chat message) and `notify_unread` (e-mail notices).

mod notify_unread;
mod send;

pub use notify_unread::notify_unread;
pub use send::{Posting, announce, send};

use crate::error::Reason;
use crate::{ConversationId, Error, MessageId, Timestamp, UserId};

/// A message body may be this long (characters).
pub const MESSAGE_MAX_CHARS: usize = 10_000;
/// A client's own message id: at most this long, letters, digits, `-` and `_`.
pub const CLIENT_ID_MAX: usize = 64;

/// One line in the conversation list.
#[derive(Debug, Clone)]
pub struct ConversationSummary {
    pub id: ConversationId,
    /// The group's name, or the other members' names.
    pub title: String,
    pub last_activity: Timestamp,
    /// The position of the newest message.
    pub last_seq: i64,
    /// Messages this user has not seen yet.
    pub unread: i64,
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
    /// The sender's own id for it, if their client gave one.
    pub client_id: Option<String>,
    /// The file this message carries (its body is then empty).
    pub file: Option<crate::file::Attachment>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// A conversation as one member reads it.
#[derive(Debug, Clone)]
pub struct Thread {
    pub summary: ConversationSummary,
    /// The newest messages (as many as were asked for), oldest first.
    pub messages: Vec<Message>,
    /// There are earlier messages than these for this reader.
    pub earlier: bool,
    /// Every other member has read up to here (0 when read receipts are off): the reader's own
    /// messages up to this position show "gelezen", later ones "verzonden".
    pub read_up_to: i64,
}

/// The answer to sending: the message, and whether this call made it (false: a retry with the
/// same client id found the message the first attempt stored).
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: Message,
    pub created: bool,
    /// The members when it was stored (empty for a retry): live delivery may hand it to them
    /// as it is, without reading it back.
    pub recipients: Vec<crate::UserId>,
}

/// What the sender sees under their own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Stored and delivered to the conversation ("verzonden").
    Sent,
    /// Every other member has read it ("gelezen").
    Read,
}

impl Delivery {
    pub fn of(seq: i64, read_up_to: i64) -> Self {
        if seq <= read_up_to {
            Delivery::Read
        } else {
            Delivery::Sent
        }
    }
}

/// A client's id for its message: empty means none; otherwise 1–64 of `A-Z a-z 0-9 - _`.
pub fn parse_client_id(input: &str) -> Result<Option<String>, Error> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > CLIENT_ID_MAX
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid("client_id", Reason::MessageClientId));
    }
    Ok(Some(s.to_string()))
}

/// A message body as stored: at most [`MESSAGE_MAX_CHARS`], control characters other than new
/// lines and tabs dropped, and not empty.
pub fn parse_body(input: &str) -> Result<String, Error> {
    let body =
        crate::validate::parse_text("body", input, MESSAGE_MAX_CHARS).map_err(|e| match e {
            Error::Invalid {
                reason: Reason::TextTooLong,
                ..
            } => Error::invalid("body", Reason::MessageTooLong),
            other => other,
        })?;
    if body.is_empty() {
        return Err(Error::invalid("body", Reason::MessageEmpty));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_short_and_plain() {
        assert_eq!(parse_client_id(" ").ok(), Some(None));
        assert_eq!(
            parse_client_id("0b9c-4e_x").ok(),
            Some(Some("0b9c-4e_x".into()))
        );
        for bad in ["a b", "<script>", "é", &"x".repeat(65)] {
            assert!(parse_client_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_are_not_empty_nor_too_long() {
        assert!(parse_body(" \n ").is_err());
        assert!(parse_body(&"a".repeat(MESSAGE_MAX_CHARS + 1)).is_err());
        assert_eq!(
            parse_body(" Hallo\u{7}\n dokter ").ok(),
            Some("Hallo\n dokter".into())
        );
    }

    #[test]
    fn read_when_everyone_has_seen_it() {
        assert_eq!(Delivery::of(3, 3), Delivery::Read);
        assert_eq!(Delivery::of(4, 3), Delivery::Sent);
        assert_eq!(Delivery::of(1, 0), Delivery::Sent);
    }
}
