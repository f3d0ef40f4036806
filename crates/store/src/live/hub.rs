//! This node's hub: each subscriber (a socket) with its inbox, and the conversations it
//! follows, so an event reaches only the subscribers it concerns.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use spreekuur_domain::ConversationId;
use spreekuur_domain::live::{LiveEvent, LiveSubscription};
use tokio::sync::Notify;

/// Events a slow socket may fall behind before it is told to resynchronise.
const BACKLOG: usize = 1024;

/// This node's subscribers (its sockets), each with the conversations it follows.
#[derive(Default)]
pub(super) struct Hub {
    inner: Mutex<HubInner>,
}

#[derive(Default)]
struct HubInner {
    next_id: u64,
    subscribers: HashMap<u64, Arc<Inbox>>,
    followers: HashMap<ConversationId, Vec<u64>>,
    /// Subscribers that still hear every event (see `LiveSubscription::only_followed`).
    everything: HashSet<u64>,
}

/// One subscriber's events, waiting for it to take them.
#[derive(Default)]
struct Inbox {
    queue: Mutex<Queue>,
    ready: Notify,
}

#[derive(Default)]
struct Queue {
    events: VecDeque<LiveEvent>,
    /// Events were dropped because the subscriber fell `BACKLOG` behind.
    lagged: bool,
}

/// A poisoned lock only means another thread panicked while holding it; the maps stay usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    pub(super) fn subscribe(self: &Arc<Self>) -> Subscription {
        let inbox = Arc::new(Inbox::default());
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let id = inner.next_id;
        inner.subscribers.insert(id, inbox.clone());
        inner.everything.insert(id);
        Subscription {
            hub: self.clone(),
            id,
            inbox,
            following: HashSet::new(),
        }
    }

    /// Hands `event` to the subscribers it concerns: a conversation's followers, or everyone.
    pub(super) fn deliver(&self, event: LiveEvent) {
        let inner = lock(&self.inner);
        match &event {
            LiveEvent::Message { conversation, .. } | LiveEvent::Read { conversation, .. } => {
                let followers = inner.followers.get(conversation).into_iter().flatten();
                // One still hearing everything may follow it already: it hears it once.
                let rest = inner.everything.iter().filter(|id| {
                    !inner
                        .followers
                        .get(conversation)
                        .is_some_and(|ids| ids.contains(id))
                });
                for id in followers.chain(rest) {
                    if let Some(inbox) = inner.subscribers.get(id) {
                        inbox.push(event.clone());
                    }
                }
            }
            LiveEvent::Members { .. } | LiveEvent::Resync => {
                for inbox in inner.subscribers.values() {
                    inbox.push(event.clone());
                }
            }
        }
    }
}

impl Inbox {
    fn push(&self, event: LiveEvent) {
        {
            let mut q = lock(&self.queue);
            if q.lagged {
                return;
            }
            if q.events.len() >= BACKLOG {
                // It re-reads everything it follows anyway.
                q.events = VecDeque::new();
                q.lagged = true;
            } else {
                q.events.push_back(event);
            }
        }
        self.ready.notify_one();
    }
}

pub(super) struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    inbox: Arc<Inbox>,
    following: HashSet<ConversationId>,
}

#[async_trait]
impl LiveSubscription for Subscription {
    async fn next(&mut self) -> Option<LiveEvent> {
        loop {
            {
                let mut q = lock(&self.inbox.queue);
                if q.lagged {
                    q.lagged = false;
                    return Some(LiveEvent::Resync);
                }
                if let Some(e) = q.events.pop_front() {
                    return Some(e);
                }
            }
            // A push between the check above and here leaves a permit: no wake-up is lost.
            self.inbox.ready.notified().await;
        }
    }

    fn follow(&mut self, conversation: &ConversationId) {
        if self.following.insert(conversation.clone()) {
            lock(&self.hub.inner)
                .followers
                .entry(conversation.clone())
                .or_default()
                .push(self.id);
        }
    }

    fn unfollow(&mut self, conversation: &ConversationId) {
        if self.following.remove(conversation) {
            let mut inner = lock(&self.hub.inner);
            remove_follower(&mut inner.followers, conversation, self.id);
        }
    }

    fn only_followed(&mut self) {
        lock(&self.hub.inner).everything.remove(&self.id);
    }
}

fn remove_follower(followers: &mut HashMap<ConversationId, Vec<u64>>, c: &ConversationId, id: u64) {
    if let Some(ids) = followers.get_mut(c) {
        ids.retain(|i| *i != id);
        if ids.is_empty() {
            followers.remove(c);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut inner = lock(&self.hub.inner);
        inner.subscribers.remove(&self.id);
        inner.everything.remove(&self.id);
        for c in &self.following {
            remove_follower(&mut inner.followers, c, self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spreekuur_domain::ConversationId;

    fn message(c: &ConversationId, seq: i64) -> LiveEvent {
        LiveEvent::Message {
            conversation: c.clone(),
            seq,
            carried: None,
        }
    }

    /// The events waiting for `sub`, without waiting for more.
    async fn waiting(sub: &mut Subscription) -> Vec<LiveEvent> {
        let mut out = Vec::new();
        while let Ok(Some(e)) =
            tokio::time::timeout(std::time::Duration::from_millis(20), sub.next()).await
        {
            out.push(e);
        }
        out
    }

    #[tokio::test]
    async fn a_subscriber_hears_only_what_it_follows() {
        let hub = Arc::new(Hub::default());
        let (a, b) = (ConversationId::new(), ConversationId::new());
        let mut on_a = hub.subscribe();
        let mut on_b = hub.subscribe();
        on_a.only_followed();
        on_b.only_followed();
        on_a.follow(&a);
        on_b.follow(&b);
        on_b.follow(&b);
        hub.deliver(message(&a, 1));
        hub.deliver(message(&b, 1));
        hub.deliver(LiveEvent::Members {
            conversation: b.clone(),
        });
        hub.deliver(message(&b, 2));
        assert_eq!(
            waiting(&mut on_a).await,
            vec![
                message(&a, 1),
                LiveEvent::Members {
                    conversation: b.clone()
                }
            ],
            "its own conversation's message and everyone's Members event"
        );
        assert_eq!(
            waiting(&mut on_b).await,
            vec![
                message(&b, 1),
                LiveEvent::Members {
                    conversation: b.clone()
                },
                message(&b, 2)
            ],
            "once each, in order, though it followed twice"
        );

        on_b.unfollow(&b);
        hub.deliver(message(&b, 3));
        assert!(waiting(&mut on_b).await.is_empty(), "unfollowed");

        drop(on_a);
        let inner = lock(&hub.inner);
        assert_eq!(inner.subscribers.len(), 1, "a dropped subscriber is gone");
        assert!(inner.followers.is_empty(), "and so is what it followed");
    }

    #[tokio::test]
    async fn a_new_subscriber_hears_everything_until_it_knows_what_to_follow() {
        let hub = Arc::new(Hub::default());
        let (a, b) = (ConversationId::new(), ConversationId::new());
        let mut sub = hub.subscribe();
        hub.deliver(message(&b, 1));
        sub.follow(&a);
        hub.deliver(message(&a, 1));
        assert_eq!(
            waiting(&mut sub).await,
            vec![message(&b, 1), message(&a, 1)],
            "each once, followed or not"
        );
        sub.only_followed();
        hub.deliver(message(&b, 2));
        hub.deliver(message(&a, 2));
        assert_eq!(waiting(&mut sub).await, vec![message(&a, 2)]);
        drop(sub);
        assert!(lock(&hub.inner).everything.is_empty());
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resynchronise() {
        let hub = Arc::new(Hub::default());
        let c = ConversationId::new();
        let mut slow = hub.subscribe();
        slow.only_followed();
        slow.follow(&c);
        for seq in 0..=BACKLOG as i64 {
            hub.deliver(message(&c, seq));
        }
        hub.deliver(message(&c, 9999));
        assert_eq!(waiting(&mut slow).await, vec![LiveEvent::Resync]);
        hub.deliver(message(&c, 10_000));
        assert_eq!(
            waiting(&mut slow).await,
            vec![message(&c, 10_000)],
            "and hears what comes after"
        );
    }

    #[tokio::test]
    async fn a_waiting_subscriber_wakes_for_an_event() {
        let hub = Arc::new(Hub::default());
        let c = ConversationId::new();
        let mut sub = hub.subscribe();
        sub.follow(&c);
        let waiter = tokio::spawn(async move { sub.next().await });
        tokio::task::yield_now().await;
        hub.deliver(message(&c, 1));
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await;
        assert!(
            matches!(got, Ok(Ok(Some(ref e))) if *e == message(&c, 1)),
            "{got:?}"
        );
    }
}
