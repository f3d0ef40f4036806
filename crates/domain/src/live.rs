//! Live delivery: what open clients (WebSockets) must learn about, told across every node.
//! Between nodes an event carries only ids and positions; a socket that hears one reads what it
//! needs from the store, as the member it serves. So an event can be lost or repeated without
//! harm: the store is the truth, and a socket that missed events resynchronises from its last
//! position. Within the node that stored it, a new message also travels whole, with the members
//! it was stored for, so the sockets there need not read it back.

use std::sync::Arc;

use async_trait::async_trait;

use crate::conversation::Posted;
use crate::{ConversationId, StoreError, UserId};

/// A message as it was stored, carried to this node's sockets (never across nodes).
#[derive(Debug, Clone)]
pub struct Carried(pub Arc<Posted>);

impl PartialEq for Carried {
    fn eq(&self, other: &Self) -> bool {
        self.0.message.id == other.0.message.id
    }
}

impl Eq for Carried {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// A message was committed at `seq`; `carried` is the message itself when it was stored on
    /// this node.
    Message {
        conversation: ConversationId,
        seq: i64,
        carried: Option<Carried>,
    },
    /// `user` has read `conversation` up to `seq`.
    Read {
        conversation: ConversationId,
        user: UserId,
        seq: i64,
    },
    /// The members of `conversation` changed (a new conversation, someone added): the sockets
    /// of its members follow it from now on.
    Members { conversation: ConversationId },
    /// Events may have been missed (a lost connection between nodes): every socket re-reads.
    Resync,
}

impl LiveEvent {
    /// The event for a message just stored, carrying it.
    pub fn posted(posted: &Posted) -> Self {
        LiveEvent::Message {
            conversation: posted.message.conversation.clone(),
            seq: posted.message.seq,
            carried: Some(Carried(Arc::new(posted.clone()))),
        }
    }

    /// A compact text form, for PostgreSQL's NOTIFY payload (a carried message stays behind).
    pub fn encode(&self) -> String {
        match self {
            LiveEvent::Message {
                conversation, seq, ..
            } => format!("m {conversation} {seq}"),
            LiveEvent::Read {
                conversation,
                user,
                seq,
            } => format!("r {conversation} {user} {seq}"),
            LiveEvent::Members { conversation } => format!("j {conversation}"),
            LiveEvent::Resync => "s".into(),
        }
    }

    /// The event `encode` made; None for anything else.
    pub fn decode(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split(' ').collect();
        match parts.as_slice() {
            ["m", c, seq] => Some(LiveEvent::Message {
                conversation: ConversationId::parse(c)?,
                seq: seq.parse().ok()?,
                carried: None,
            }),
            ["r", c, u, seq] => Some(LiveEvent::Read {
                conversation: ConversationId::parse(c)?,
                user: UserId::parse(u)?,
                seq: seq.parse().ok()?,
            }),
            ["j", c] => Some(LiveEvent::Members {
                conversation: ConversationId::parse(c)?,
            }),
            ["s"] => Some(LiveEvent::Resync),
            _ => None,
        }
    }
}

/// The bus between the nodes: in-process alone, PostgreSQL LISTEN/NOTIFY with several.
#[async_trait]
pub trait LiveBus: Send + Sync {
    /// Tells every node, this one included. Call only after the change is committed.
    async fn publish(&self, event: &LiveEvent) -> Result<(), StoreError>;
    /// Events from now on, from every node: every event until the subscription's
    /// `only_followed`, then those of the conversations it follows, and every `Members` and
    /// `Resync`.
    fn subscribe(&self) -> Box<dyn LiveSubscription>;
}

#[async_trait]
pub trait LiveSubscription: Send + Sync {
    /// The next event; `Resync` when this subscriber fell behind and skipped some; None when
    /// the bus is gone.
    async fn next(&mut self) -> Option<LiveEvent>;
    /// From now on, also the `Message` and `Read` events of `conversation`. Follow before
    /// reading the conversation's state, so nothing falls between the read and the events.
    fn follow(&mut self, conversation: &ConversationId);
    /// No more events of `conversation`.
    fn unfollow(&mut self, conversation: &ConversationId);
    /// A new subscription hears every event, so that nothing is missed while its holder finds
    /// out what to follow; from this call on, only those of the conversations it follows (and
    /// every `Members` and `Resync`).
    fn only_followed(&mut self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_their_text_form() {
        let c = ConversationId::new();
        let u = UserId::new();
        for e in [
            LiveEvent::Message {
                conversation: c.clone(),
                seq: 42,
                carried: None,
            },
            LiveEvent::Read {
                conversation: c.clone(),
                user: u.clone(),
                seq: 7,
            },
            LiveEvent::Members { conversation: c },
            LiveEvent::Resync,
        ] {
            assert_eq!(LiveEvent::decode(&e.encode()), Some(e));
        }
        for junk in [
            "",
            "m",
            "m x 1",
            "m 0190c0de-0000-7000-8000-000000000000 z",
            "q",
        ] {
            assert_eq!(LiveEvent::decode(junk), None, "{junk}");
        }
    }
}
