//! An e-mail as the domain hands it to the outbox: already composed, in the recipient's language.

use crate::validate::EmailAddress;

#[derive(Clone)]
pub struct Outgoing {
    pub to: EmailAddress,
    /// The display name in `From:` (the practice's name).
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Written by hand: addresses and bodies (which carry links with tokens) stay out of logs.
impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("text_len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// An outbox row as the worker and the development mailbox see it.
#[derive(Clone)]
pub struct OutboxItem {
    pub id: crate::OutboxId,
    pub mail: Outgoing,
    pub created_at: crate::Timestamp,
    pub attempts: i64,
    pub status: String,
}

impl std::fmt::Debug for OutboxItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxItem")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}
