//! The live bus. Alone, an in-process broadcast. On PostgreSQL, every node also LISTENs on one
//! channel and tells the others with NOTIFY, so a message committed through one node reaches
//! the sockets held by all of them. A node's own events go straight to its own sockets (with a
//! new message carried whole); the notifications it sends name the node, and it skips its own
//! when they come back. Notifications are sent by one task, several events to a NOTIFY when
//! they queue up, so a burst of messages costs PostgreSQL a few statements, not one each.

use std::sync::Arc;

use async_trait::async_trait;
use spreekuur_domain::StoreError;
use spreekuur_domain::live::{LiveBus, LiveEvent, LiveSubscription};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, mpsc};

use crate::{Db, db_err};

const CHANNEL: &str = "spreekuur_live";
/// Events a slow socket may fall behind before it is told to resynchronise.
const BACKLOG: usize = 4096;
/// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

pub struct Live {
    local: broadcast::Sender<LiveEvent>,
    /// Events for the other nodes (PostgreSQL only), in their text form.
    remote: Option<mpsc::Sender<String>>,
}

impl Live {
    /// One process: events go straight to this process's sockets.
    pub fn local() -> Arc<Self> {
        Arc::new(Self {
            local: broadcast::channel(BACKLOG).0,
            remote: None,
        })
    }

    /// Several processes on one PostgreSQL database: LISTEN on a connection of its own (kept
    /// open, reconnected when lost), NOTIFY through the pool.
    pub async fn postgres(db: Arc<Db>, url: &str) -> Result<Arc<Self>, StoreError> {
        let node = uuid::Uuid::new_v4().simple().to_string();
        let mut listener = PgListener::connect(url).await.map_err(db_err)?;
        listener.listen(CHANNEL).await.map_err(db_err)?;
        let local = broadcast::channel(BACKLOG).0;
        let tx = local.clone();
        let me = node.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match parse_payload(n.payload()) {
                        Some((from, _)) if from == me => {}
                        Some((_, events)) => {
                            for e in events {
                                let _ = tx.send(e);
                            }
                        }
                        None => tracing::warn!("unreadable live event ignored"),
                    },
                    // The connection was lost and is being re-established: notifications in
                    // between are gone, so every socket re-reads from its last position.
                    Ok(None) => {
                        tracing::warn!("live bus reconnecting to PostgreSQL");
                        let _ = tx.send(LiveEvent::Resync);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "live bus listener");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let (remote, mut queued) = mpsc::channel::<String>(BACKLOG);
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while queued.recv_many(&mut batch, 256).await > 0 {
                for payload in payloads(&node, &batch) {
                    if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL)
                        .bind(payload)
                        .execute(&db.pool)
                        .await
                    {
                        // This node's sockets have them; the other nodes' sockets catch up
                        // at the conversation's next event or when they reconnect.
                        tracing::warn!(error = %e, "live events not sent to the other nodes");
                    }
                }
                batch.clear();
            }
        });
        Ok(Arc::new(Self {
            local,
            remote: Some(remote),
        }))
    }
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
        // No subscriber (no socket open) is not an error.
        let _ = self.local.send(event.clone());
        if let Some(remote) = &self.remote {
            remote
                .send(event.encode())
                .await
                .map_err(|_| StoreError("the live bus has stopped".into()))?;
        }
        Ok(())
    }

    fn subscribe(&self) -> Box<dyn LiveSubscription> {
        Box::new(Subscription(self.local.subscribe()))
    }
}

struct Subscription(broadcast::Receiver<LiveEvent>);

#[async_trait]
impl LiveSubscription for Subscription {
    async fn next(&mut self) -> Option<LiveEvent> {
        match self.0.recv().await {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(LiveEvent::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
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
}
