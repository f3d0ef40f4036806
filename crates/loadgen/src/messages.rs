//! The message workloads: W1 (throughput), W2 (delivery latency) and W3 (memory per socket).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::Error;
use crate::client::{Readers, User, Ws, connect};
use crate::server::Server;
use crate::usage::Cpu;

/// W2: reads frames until the socket closes, noting when each message with a client id arrives.
fn drain(
    mut ws: futures_util::stream::SplitStream<Ws>,
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
) {
    tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            if let Frame::Text(t) = frame
                && let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                && v["type"] == "message"
                && let Some(cid) = v["client_id"].as_str()
                && let Ok(mut map) = arrivals.lock()
            {
                map.entry(cid.to_string()).or_insert_with(Instant::now);
            }
        }
    });
}

/// What a W1 level gave.
pub struct W1Run {
    /// Sockets connected while it ran, the senders' included.
    pub sockets: usize,
    /// Accepted (acknowledged) messages per second.
    pub rate: f64,
    /// Messages per second that reached the sockets other than their sender's.
    pub delivered_rate: f64,
    /// Microseconds of CPU per accepted message.
    pub cpu_server: f64,
    pub cpu_database: f64,
    pub cpu_generator: f64,
}

/// W1: `senders` pairs; each sender sends its next message when the previous is acknowledged.
/// Each of the pair's accounts has `devices` sockets open: the sender sends from one, the
/// others only read. The clock (and the CPU count) starts once every socket has said hello.
///
/// With `pairs` (between 1 and `senders`), the senders share that many conversations, as the
/// people of a practice do: sender `i` writes in conversation `i % pairs`, taking turns between
/// its two members, so both members send from several sockets at once and every sending socket
/// also receives the conversation's other messages; each member also has `devices - 1` sockets
/// that only read.
pub async fn w1(
    server: &Server,
    users: &[User],
    convs: &[String],
    senders: usize,
    devices: usize,
    pairs: usize,
    secs: u64,
) -> Result<W1Run, Error> {
    let port = server.port;
    let mut readers = Readers::default();
    let mut sending = Vec::with_capacity(senders);
    let mut conversations = Vec::with_capacity(senders);
    if pairs == 0 || pairs >= senders {
        for i in 0..senders {
            for _ in 0..devices {
                readers.add(connect(port, &users[2 * i + 1].token).await?);
            }
            for _ in 1..devices {
                readers.add(connect(port, &users[2 * i].token).await?);
            }
            sending.push(connect(port, &users[2 * i].token).await?);
            conversations.push(convs[i].clone());
        }
    } else {
        for p in 0..pairs {
            for member in [2 * p, 2 * p + 1] {
                for _ in 1..devices {
                    readers.add(connect(port, &users[member].token).await?);
                }
            }
        }
        for i in 0..senders {
            let p = i % pairs;
            let member = 2 * p + (i / pairs) % 2;
            sending.push(connect(port, &users[member].token).await?);
            conversations.push(convs[p].clone());
        }
    }
    let sockets = readers.len() + sending.len();
    let cpu = Cpu::now(server);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::with_capacity(senders);
    for (mut ws, conv) in sending.into_iter().zip(conversations) {
        tasks.push(tokio::spawn(async move {
            let mut acked = 0u64;
            while Instant::now() < deadline {
                let cid = uuid::Uuid::new_v4().to_string();
                let frame = json!({"type": "send", "conversation": conv, "client_id": cid, "body": "Goedemorgen, hoe gaat het met u vandaag?"});
                if ws.send(Frame::text(frame.to_string())).await.is_err() {
                    break;
                }
                while let Some(Ok(f)) = ws.next().await {
                    if let Frame::Text(t) = f
                        && let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                        && v["client_id"] == cid.as_str()
                    {
                        if v["type"] == "ack" {
                            acked += 1;
                        } else {
                            eprintln!("refused: {v}");
                        }
                        break;
                    }
                }
            }
            let _ = ws.close(None).await;
            acked
        }));
    }
    let mut total = 0u64;
    for t in tasks {
        total += t.await?;
    }
    let elapsed = start.elapsed().as_secs_f64().max(secs as f64);
    let (cpu_server, cpu_database, cpu_generator) = Cpu::now(server).per_message(&cpu, total);
    let delivered = readers.close().await;
    Ok(W1Run {
        sockets,
        rate: total as f64 / elapsed,
        delivered_rate: delivered as f64 / elapsed,
        cpu_server,
        cpu_database,
        cpu_generator,
    })
}

pub struct Latency {
    pub sent: usize,
    pub lost: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// W2: a fixed total rate over `pairs` conversations; latency from the start of each send to
/// its arrival at the other member's socket.
pub async fn w2(
    port: u16,
    users: &[User],
    convs: &[String],
    pairs: usize,
    rate: u64,
    secs: u64,
) -> Result<Latency, Error> {
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let sends: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = Vec::new();
    let per_pair = (rate as f64 / pairs as f64).max(0.1);
    for i in 0..pairs {
        let receiver = connect(port, &users[2 * i + 1].token).await?;
        drain(receiver.split().1, arrivals.clone());
        let (mut tx, rx) = connect(port, &users[2 * i].token).await?.split();
        drain(rx, Arc::new(Mutex::new(HashMap::new())));
        let conv = convs[i].clone();
        let sends = sends.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_pair));
            let deadline = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < deadline {
                tick.tick().await;
                let cid = uuid::Uuid::new_v4().to_string();
                if let Ok(mut s) = sends.lock() {
                    s.insert(cid.clone(), Instant::now());
                }
                let frame = json!({"type": "send", "conversation": conv, "client_id": cid, "body": "Uw uitslag is binnen."});
                if tx.send(Frame::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let sends = sends.lock().map_err(|_| "lock")?.clone();
    let arrivals = arrivals.lock().map_err(|_| "lock")?.clone();
    let mut ms: Vec<f64> = sends
        .iter()
        .filter_map(|(cid, at)| {
            arrivals
                .get(cid)
                .map(|got| got.duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        ms.get(((ms.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Latency {
        sent: sends.len(),
        lost: sends.len() - ms.len(),
        p50: pct(0.50),
        p95: pct(0.95),
        p99: pct(0.99),
        max: ms.last().copied().unwrap_or(f64::NAN),
    })
}

/// W3: resident memory per idle socket.
pub async fn w3(server: &Server, users: &[User], n: usize) -> Result<(f64, u64), Error> {
    let before = server.rss_kib()?;
    let mut sockets = Vec::with_capacity(n);
    for i in 0..n {
        sockets.push(connect(server.port, &users[i % users.len()].token).await?);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = server.rss_kib()?;
    for mut s in sockets {
        let _ = s.close(None).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(((after.saturating_sub(before)) as f64 / n as f64, after))
}
