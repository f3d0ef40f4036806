//! Delivery: the conversations a socket follows, catching up from the positions the client
//! had, the live events of new messages, members and read marks, and the user's presence.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::extract::ws::WebSocket;
use spreekuur_domain::conversation::ConversationSummary;
use spreekuur_domain::live::{Carried, LiveEvent, LiveSubscription};
use spreekuur_domain::{ConversationId, Error, Timestamp};

use super::Connection;
use super::protocol::{Next, ReadyConversation, ServerFrame, log_end, message_frame, send};

/// Messages sent per read from the store while catching up.
const PAGE: i64 = 200;

/// Messages of one conversation announced ahead of an earlier one (two senders' messages stored
/// in one batch are announced by two tasks, in either order): held this long for the earlier
/// one's own announcement before the gap is read from the store.
pub(super) const HOLD_EARLY: Duration = Duration::from_millis(20);
/// At most this many messages held per conversation; one more reads the gap at once.
const HOLD_MOST: usize = 64;

/// How long a socket's presence holds without renewal, and how often it is renewed.
const PRESENCE_LEASE: Duration = Duration::from_secs(360);
pub(super) const PRESENCE_RENEW: Duration = Duration::from_secs(300);

/// The conversations this socket follows, with the last position it sent, and its subscription
/// to their events (kept in step: it hears the events of exactly these conversations).
pub(super) struct Followed {
    positions: HashMap<ConversationId, i64>,
    pub(super) events: Box<dyn LiveSubscription>,
    /// Messages announced ahead of a gap, by conversation and position, and since when the
    /// oldest gap waits (see `HOLD_EARLY`).
    early: HashMap<ConversationId, BTreeMap<i64, Carried>>,
    pub(super) gap_since: Option<tokio::time::Instant>,
}

impl Followed {
    /// Follows nothing yet; `events` hears every event until `hello` (see there).
    pub(super) fn new(events: Box<dyn LiveSubscription>) -> Self {
        Followed {
            positions: HashMap::new(),
            events,
            early: HashMap::new(),
            gap_since: None,
        }
    }

    fn get(&self, id: &ConversationId) -> Option<i64> {
        self.positions.get(id).copied()
    }

    fn contains_key(&self, id: &ConversationId) -> bool {
        self.positions.contains_key(id)
    }

    /// Follows `id` (before anything of it is read) and records `seq` as sent.
    fn insert(&mut self, id: ConversationId, seq: i64) {
        if !self.positions.contains_key(&id) {
            self.events.follow(&id);
        }
        self.positions.insert(id, seq);
    }

    fn remove(&mut self, id: &ConversationId) {
        self.positions.remove(id);
        self.early.remove(id);
        self.events.unfollow(id);
    }

    /// Holds a message announced ahead of a gap; false when too many are held already.
    fn hold(&mut self, id: ConversationId, seq: i64, c: Carried) -> bool {
        let held = self.early.entry(id).or_default();
        if held.len() >= HOLD_MOST {
            return false;
        }
        held.insert(seq, c);
        self.gap_since.get_or_insert_with(tokio::time::Instant::now);
        true
    }

    /// The held message that comes next in `id`, if it is held.
    fn next_held(&mut self, id: &ConversationId) -> Option<Carried> {
        let next = self.positions.get(id)? + 1;
        let held = self.early.get_mut(id)?;
        let c = held.remove(&next);
        if held.is_empty() {
            self.early.remove(id);
        }
        if self.early.is_empty() {
            self.gap_since = None;
        }
        c
    }

    /// Forgets the held messages at or before what was sent in `id`.
    fn drop_sent(&mut self, id: &ConversationId) {
        let sent = self.positions.get(id).copied().unwrap_or(i64::MAX);
        if let Some(held) = self.early.get_mut(id) {
            held.retain(|seq, _| *seq > sent);
            if held.is_empty() {
                self.early.remove(id);
            }
        }
        if self.early.is_empty() {
            self.gap_since = None;
        }
    }

    /// The conversations with a gap that waits.
    fn gaps(&self) -> Vec<ConversationId> {
        self.early.keys().cloned().collect()
    }

    fn ids(&self) -> Vec<ConversationId> {
        self.positions.keys().cloned().collect()
    }
}

impl Connection {
    /// A person's browser holds this socket: they are online (no e-mail notices) while it
    /// lives. The lease is renewed well before it runs out; a node that dies leaves rows that
    /// expire on their own.
    pub(super) async fn mark_present(&self, presence: &Option<String>) {
        if let Some(id) = presence {
            let until =
                Timestamp(self.state.clock.now().millis() + PRESENCE_LEASE.as_millis() as i64);
            if let Err(e) = self.state.store.set_present(id, &self.me.id, until).await {
                tracing::warn!(error = %e, "presence not recorded");
            }
        }
    }

    /// Follows every conversation of this user; sends what came after the given positions.
    pub(super) async fn hello(
        &mut self,
        socket: &mut WebSocket,
        after: HashMap<String, i64>,
    ) -> Result<(), Error> {
        let list = self.state.store.conversations_for(&self.me.id).await?;
        let mut ready = Vec::with_capacity(list.len());
        for c in &list {
            let from = after
                .get(c.id.as_str())
                .copied()
                .unwrap_or(c.last_seq)
                .clamp(0, c.last_seq);
            self.followed.insert(c.id.clone(), from);
            ready.push(ReadyConversation {
                id: c.id.to_string(),
                last_seq: c.last_seq,
                unread: c.unread,
            });
        }
        // Until now this socket heard every event, so none fell between the list and the
        // following; from now on only those of its conversations.
        self.followed.events.only_followed();
        let ids = self.followed.ids();
        for id in ids {
            self.catch_up(socket, &id).await?;
        }
        send(
            socket,
            &ServerFrame::Ready {
                conversations: ready,
            },
        )
        .await
    }

    pub(super) async fn on_event(&mut self, socket: &mut WebSocket, event: LiveEvent) -> Next {
        let relevant = match &event {
            LiveEvent::Message { conversation, .. } => self.followed.contains_key(conversation),
            LiveEvent::Read {
                conversation, user, ..
            } => self.followed.contains_key(conversation) && *user != self.me.id,
            LiveEvent::Members { .. } | LiveEvent::Resync => true,
        };
        if relevant && !self.still_allowed(false).await.unwrap_or(false) {
            return Next::Close("signed out");
        }
        let result = match event {
            LiveEvent::Message {
                conversation,
                seq,
                carried,
            } => match (self.followed.get(&conversation), carried) {
                // The next message, stored on this node while this user was a member, and their
                // reading is on record already: sent as it came, without reading it back.
                (Some(sent), Some(c))
                    if sent + 1 == seq
                        && self.audited.contains(&conversation)
                        && c.0.recipients.contains(&self.me.id) =>
                {
                    self.followed.insert(conversation.clone(), seq);
                    self.send_held(socket, &conversation, c).await
                }
                // Ahead of a message whose announcement may be just behind: held a moment
                // (`HOLD_EARLY`) rather than read back.
                (Some(sent), Some(c))
                    if sent + 1 < seq
                        && self.audited.contains(&conversation)
                        && c.0.recipients.contains(&self.me.id)
                        && self.followed.hold(conversation.clone(), seq, c.clone()) =>
                {
                    Ok(())
                }
                (Some(sent), _) if sent < seq => self.catch_up(socket, &conversation).await,
                _ => Ok(()),
            },
            LiveEvent::Members { conversation } if !self.followed.contains_key(&conversation) => {
                self.joined(socket, conversation).await
            }
            LiveEvent::Resync => self.resync(socket).await,
            LiveEvent::Read { conversation, .. } => {
                match self
                    .state
                    .store
                    .read_up_to(&conversation, &self.me.id)
                    .await
                {
                    Ok(up_to) if up_to > 0 => {
                        send(
                            socket,
                            &ServerFrame::Read {
                                conversation: conversation.as_str(),
                                up_to,
                            },
                        )
                        .await
                    }
                    Ok(_) | Err(Error::NotFound) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            LiveEvent::Members { .. } => Ok(()),
        };
        match result {
            Ok(()) => Next::Continue,
            Err(e) => {
                log_end("socket delivery", &e);
                Next::Close("server error")
            }
        }
    }

    /// The members of `id` changed and this socket did not follow it: when this user is one
    /// of them now, the client hears of the conversation, then of its messages from the start.
    /// It is followed before anything of it is read, so nothing falls in between.
    async fn joined(&mut self, socket: &mut WebSocket, id: ConversationId) -> Result<(), Error> {
        self.followed.insert(id.clone(), 0);
        let list = self.state.store.conversations_for(&self.me.id).await?;
        match list.iter().find(|c| c.id == id) {
            Some(c) => self.announce(socket, c).await,
            None => {
                self.followed.remove(&id);
                Ok(())
            }
        }
    }

    /// Events may have been missed: every followed conversation is read again from where this
    /// socket was, and any conversation joined meanwhile is announced (its `Members` event may
    /// have been among those missed).
    async fn resync(&mut self, socket: &mut WebSocket) -> Result<(), Error> {
        for id in self.followed.ids() {
            self.catch_up(socket, &id).await?;
        }
        let list = self.state.store.conversations_for(&self.me.id).await?;
        for c in &list {
            if self.followed.contains_key(&c.id) {
                continue;
            }
            self.followed.insert(c.id.clone(), 0);
            self.announce(socket, c).await?;
        }
        Ok(())
    }

    /// Tells the client of a conversation it did not know (followed already), then sends its
    /// messages.
    async fn announce(
        &mut self,
        socket: &mut WebSocket,
        c: &ConversationSummary,
    ) -> Result<(), Error> {
        send(
            socket,
            &ServerFrame::Conversation {
                id: c.id.as_str(),
                title: &c.title,
                last_activity: c.last_activity.millis(),
                last_seq: c.last_seq,
                unread: c.unread,
            },
        )
        .await?;
        self.catch_up(socket, &c.id).await
    }

    /// Sends every message of `id` after the last one this socket sent, in order.
    /// Sends `first` (the next message of `id`, its position recorded), then the held
    /// messages that follow it without a gap.
    async fn send_held(
        &mut self,
        socket: &mut WebSocket,
        id: &ConversationId,
        first: Carried,
    ) -> Result<(), Error> {
        send(socket, &message_frame(&first.0.message)).await?;
        while let Some(c) = self.followed.next_held(id) {
            self.followed.insert(id.clone(), c.0.message.seq);
            send(socket, &message_frame(&c.0.message)).await?;
        }
        Ok(())
    }

    /// The gaps that waited `HOLD_EARLY` in vain: read from the store.
    pub(super) async fn fill_gaps(&mut self, socket: &mut WebSocket) -> Next {
        for id in self.followed.gaps() {
            if let Err(e) = self.catch_up(socket, &id).await {
                log_end("socket delivery", &e);
                return Next::Close("server error");
            }
        }
        self.followed.gap_since = None;
        Next::Continue
    }

    async fn catch_up(&mut self, socket: &mut WebSocket, id: &ConversationId) -> Result<(), Error> {
        let result = self.catch_up_from_store(socket, id).await;
        self.followed.drop_sent(id);
        result
    }

    async fn catch_up_from_store(
        &mut self,
        socket: &mut WebSocket,
        id: &ConversationId,
    ) -> Result<(), Error> {
        loop {
            let Some(after) = self.followed.get(id) else {
                return Ok(());
            };
            let batch = match self
                .state
                .store
                .messages_after(id, &self.me.id, after, PAGE)
                .await
            {
                Ok(b) => b,
                // No longer a member: stop following.
                Err(Error::NotFound) => {
                    self.followed.remove(id);
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            if batch.is_empty() {
                return Ok(());
            }
            if !self.audited.contains(id) {
                let now = self.state.clock.now();
                self.state
                    .store
                    .record_read(id, &self.me, &self.client, now)
                    .await?;
                self.audited.push(id.clone());
            }
            for m in &batch {
                send(socket, &message_frame(m)).await?;
                self.followed.insert(id.clone(), m.seq);
            }
            if (batch.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use spreekuur_domain::conversation::{Message, Posted};
    use spreekuur_domain::{MessageId, Timestamp, UserId};

    use super::*;

    /// Hears nothing: these tests drive `Followed` by hand.
    struct Deaf;

    #[async_trait::async_trait]
    impl LiveSubscription for Deaf {
        async fn next(&mut self) -> Option<LiveEvent> {
            None
        }
        fn follow(&mut self, _: &ConversationId) {}
        fn unfollow(&mut self, _: &ConversationId) {}
        fn only_followed(&mut self) {}
    }

    fn carried(c: &ConversationId, seq: i64) -> Carried {
        let me = UserId::new();
        Carried(Arc::new(Posted {
            message: Message {
                id: MessageId::new(),
                conversation: c.clone(),
                seq,
                sender: me.clone(),
                sender_name: "Anna".into(),
                body: format!("bericht {seq}"),
                sent_at: Timestamp(0),
                client_id: None,
                file: None,
            },
            created: true,
            recipients: vec![me],
        }))
    }

    #[tokio::test]
    async fn messages_announced_early_wait_for_the_gap_and_follow_it_in_order() {
        let c = ConversationId::new();
        let mut f = Followed::new(Box::new(Deaf));
        f.insert(c.clone(), 4);
        // 7 and 6 are announced before 5.
        assert!(f.hold(c.clone(), 7, carried(&c, 7)));
        assert!(f.hold(c.clone(), 6, carried(&c, 6)));
        assert!(f.gap_since.is_some(), "the gap's wait has begun");
        assert!(
            f.next_held(&c).is_none(),
            "5 is not held: nothing follows 4 yet"
        );
        // 5 arrives and is sent; 6 and 7 follow without reading the store.
        f.insert(c.clone(), 5);
        let mut sent = Vec::new();
        while let Some(m) = f.next_held(&c) {
            f.insert(c.clone(), m.0.message.seq);
            sent.push(m.0.message.seq);
        }
        assert_eq!(sent, [6, 7]);
        assert!(f.gap_since.is_none() && f.gaps().is_empty());
    }

    #[tokio::test]
    async fn a_catch_up_forgets_what_it_sent_and_holding_is_bounded() {
        let c = ConversationId::new();
        let mut f = Followed::new(Box::new(Deaf));
        f.insert(c.clone(), 1);
        assert!(f.hold(c.clone(), 3, carried(&c, 3)));
        assert!(f.hold(c.clone(), 9, carried(&c, 9)));
        // A catch-up from the store sent up to 5: 3 is forgotten, 9 still waits.
        f.insert(c.clone(), 5);
        f.drop_sent(&c);
        assert_eq!(f.gaps(), std::slice::from_ref(&c));
        f.insert(c.clone(), 9);
        f.drop_sent(&c);
        assert!(f.gaps().is_empty() && f.gap_since.is_none());
        // At most HOLD_MOST are held; the next one is refused (and read from the store).
        for seq in 0..HOLD_MOST as i64 {
            assert!(f.hold(c.clone(), 20 + seq, carried(&c, 20 + seq)));
        }
        assert!(!f.hold(c.clone(), 999, carried(&c, 999)));
    }
}
