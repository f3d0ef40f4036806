//! The live bus. Within a process, a hub hands each event only to the sockets that follow its
//! conversation: a message wakes its members' sockets, not every socket of the node. On
//! PostgreSQL, every node also LISTENs on one channel and tells the others with NOTIFY, so a
//! message committed through one node reaches the sockets held by all of them. A node's own
//! events go straight to its own sockets (with a new message carried whole); the notifications
//! it sends name the node, and it skips its own when they come back. Notifications are sent by
//! one task, several events to a NOTIFY when they queue up, so a burst of messages costs
//! PostgreSQL one statement, not one each.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use spreekuur_domain::live::{LiveBus, LiveEvent, LiveSubscription};
use spreekuur_domain::{ConversationId, StoreError};
use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgListener};
use tokio::sync::{Notify, mpsc};

use crate::db_err;

const CHANNEL: &str = "spreekuur_live";
/// Events a slow socket may fall behind before it is told to resynchronise.
const BACKLOG: usize = 1024;
/// Events waiting to be told to the other nodes.
const REMOTE_BACKLOG: usize = 4096;
/// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

pub struct Live {
    local: Arc<Hub>,
    /// Events for the other nodes (PostgreSQL only), in their text form.
    remote: Option<mpsc::Sender<String>>,
}

impl Live {
    /// One process: events go straight to this process's sockets.
    pub fn local() -> Arc<Self> {
        Arc::new(Self {
            local: Arc::new(Hub::default()),
            remote: None,
        })
    }

    /// Several processes on one PostgreSQL database: LISTEN on a connection of its own (kept
    /// open, reconnected when lost), NOTIFY on another (see `notify`).
    pub async fn postgres(url: &str) -> Result<Arc<Self>, StoreError> {
        let node = uuid::Uuid::new_v4().simple().to_string();
        let mut listener = PgListener::connect(url).await.map_err(db_err)?;
        listener.listen(CHANNEL).await.map_err(db_err)?;
        let local = Arc::new(Hub::default());
        let tx = local.clone();
        let me = node.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match parse_payload(n.payload()) {
                        Some((from, _)) if from == me => {}
                        Some((_, events)) => {
                            for e in events {
                                tx.deliver(e);
                            }
                        }
                        None => tracing::warn!("unreadable live event ignored"),
                    },
                    // The connection was lost and is being re-established: notifications in
                    // between are gone, so every socket re-reads from its last position.
                    Ok(None) => {
                        tracing::warn!("live bus reconnecting to PostgreSQL");
                        tx.deliver(LiveEvent::Resync);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "live bus listener");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let (remote, mut queued) = mpsc::channel::<String>(REMOTE_BACKLOG);
        let url = url.to_string();
        tokio::spawn(async move {
            let mut conn = None;
            let mut batch = Vec::new();
            while queued.recv_many(&mut batch, 256).await > 0 {
                let payloads = payloads(&node, &batch);
                batch.clear();
                let kept = conn.is_some();
                let mut sent = bounded_notify(&mut conn, &url, &payloads).await;
                if sent.is_err() && kept {
                    // The kept connection was closed meanwhile (the server's idle timeout, a
                    // restart): once more on a new one.
                    sent = bounded_notify(&mut conn, &url, &payloads).await;
                }
                if let Err(e) = sent {
                    // This node's sockets have them; the other nodes' sockets catch up at the
                    // conversation's next event or when they reconnect.
                    tracing::warn!(error = %e, "live events not sent to the other nodes");
                }
            }
        });
        Ok(Arc::new(Self {
            local,
            remote: Some(remote),
        }))
    }
}

/// How long the notifier waits for PostgreSQL before it gives up on its connection: meanwhile
/// the events queue up, and a full queue would hold up the requests that publish them.
const NOTIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `notify` within `NOTIFY_TIMEOUT`; a connection that failed or did not answer is dropped.
async fn bounded_notify(
    conn: &mut Option<PgConnection>,
    url: &str,
    payloads: &[String],
) -> Result<(), String> {
    let result = match tokio::time::timeout(NOTIFY_TIMEOUT, notify(conn, url, payloads)).await {
        Ok(sent) => sent.map_err(|e| e.to_string()),
        Err(_) => Err("PostgreSQL did not answer in time".to_string()),
    };
    if result.is_err() {
        *conn = None;
    }
    result
}

/// Sends `payloads` in one statement, on the notifier's own connection (opened when it has
/// none). Its commits do not wait for the disk (`synchronous_commit = off`): a notification is
/// not kept across a crash of the database anyway (the listeners lose their connections and
/// every socket re-reads from its last position), and each NOTIFY through the pool was a commit
/// of its own that waited for a flush of the log, beside the message writer's.
async fn notify(
    conn: &mut Option<PgConnection>,
    url: &str,
    payloads: &[String],
) -> Result<(), sqlx::Error> {
    let conn = match conn {
        Some(conn) => conn,
        None => {
            let mut new = PgConnection::connect(url).await?;
            sqlx::query("SET synchronous_commit = off")
                .execute(&mut new)
                .await?;
            conn.insert(new)
        }
    };
    // PostgreSQL sends them in this order, after the commit. (Within one transaction it sends
    // an exact repeat only once: a payload is the node's name and its events, so a repeat
    // would only say again what was just said.)
    sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
        .bind(CHANNEL)
        .bind(payloads)
        .execute(conn)
        .await?;
    Ok(())
}

/// The NOTIFY payloads for `events` from `node`: the node's name on the first line, then one
/// event per line, each payload under PostgreSQL's limit.
fn payloads(node: &str, events: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = node.to_string();
    for e in events {
        if current.len() + 1 + e.len() > MAX_PAYLOAD && current.len() > node.len() {
            out.push(std::mem::replace(&mut current, node.to_string()));
        }
        current.push('\n');
        current.push_str(e);
    }
    if current.len() > node.len() {
        out.push(current);
    }
    out
}

/// The sending node and the events of a payload `payloads` made (a line that is no event is
/// skipped, with a warning); None without a node.
fn parse_payload(payload: &str) -> Option<(&str, Vec<LiveEvent>)> {
    let mut lines = payload.split('\n');
    let node = lines.next().filter(|n| !n.is_empty() && !n.contains(' '))?;
    let events = lines
        .filter_map(|line| {
            let event = LiveEvent::decode(line);
            if event.is_none() {
                tracing::warn!("unreadable live event ignored");
            }
            event
        })
        .collect();
    Some((node, events))
}

#[async_trait]
impl LiveBus for Live {
    async fn publish(&self, event: &LiveEvent) -> Result<(), StoreError> {
        self.local.deliver(event.clone());
        if let Some(remote) = &self.remote {
            remote
                .send(event.encode())
                .await
                .map_err(|_| StoreError("the live bus has stopped".into()))?;
        }
        Ok(())
    }

    fn subscribe(&self) -> Box<dyn LiveSubscription> {
        Box::new(self.local.subscribe())
    }
}

/// This node's subscribers (its sockets), each with the conversations it follows.
#[derive(Default)]
struct Hub {
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
    fn subscribe(self: &Arc<Self>) -> Subscription {
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
    fn deliver(&self, event: LiveEvent) {
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

struct Subscription {
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

    #[test]
    fn payloads_name_their_node_and_stay_under_the_limit() {
        let events: Vec<String> = (0..500)
            .map(|seq| {
                LiveEvent::Message {
                    conversation: ConversationId::new(),
                    seq,
                    carried: None,
                }
                .encode()
            })
            .collect();
        let out = payloads("node-a", &events);
        assert!(out.len() > 1, "500 events do not fit one payload");
        let mut back = Vec::new();
        for p in &out {
            assert!(p.len() < 8000, "{}", p.len());
            let (node, evs) = parse_payload(p).unwrap();
            assert_eq!(node, "node-a");
            back.extend(evs.iter().map(LiveEvent::encode));
        }
        assert_eq!(back, events, "every event once, in order");
        assert!(payloads("node-a", &[]).is_empty());
        assert!(parse_payload("").is_none());
        assert!(
            parse_payload("m 0190c0de-0000-7000-8000-000000000000 1").is_none(),
            "no node"
        );
        let (_, events) = parse_payload(&format!("node-a\nq\n{}", events[0])).unwrap();
        assert_eq!(
            events.len(),
            1,
            "a line that is no event does not cost the others"
        );
    }

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
