//! The bridge between nodes on PostgreSQL: `Live::postgres` LISTENs for the other nodes'
//! events and hands them to this node's hub, and a notifier task sends this node's events to
//! them with NOTIFY, several to a statement, in payloads that name the node.

use std::sync::Arc;

use spreekuur_domain::StoreError;
use spreekuur_domain::live::LiveEvent;
use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgListener};
use tokio::sync::mpsc;

use super::Live;
use super::hub::Hub;
use crate::db_err;

const CHANNEL: &str = "spreekuur_live";
/// Events waiting to be told to the other nodes.
const REMOTE_BACKLOG: usize = 4096;
/// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

impl Live {
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
