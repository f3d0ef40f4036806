//! The clients: accounts and their tokens, conversations, and sockets that have said hello.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Error;
use crate::server::{Server, http};

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A socket that has said hello and got `ready`.
pub async fn connect(port: u16, token: &str) -> Result<Ws, Error> {
    let mut req = format!("ws://127.0.0.1:{port}/ws").into_client_request()?;
    req.headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true).await?;
    ws.send(Frame::text(json!({"type": "hello"}).to_string()))
        .await?;
    while let Some(frame) = ws.next().await {
        if let Frame::Text(t) = frame? {
            let v: Value = serde_json::from_str(t.as_str())?;
            if v["type"] == "ready" {
                return Ok(ws);
            }
        }
    }
    Err("socket closed before ready".into())
}

pub struct User {
    pub token: String,
    pub id: String,
}

/// `n` staff accounts with unlimited tokens (the first an administrator who creates the
/// practice), made with `spreekuur admin` as an operator would.
pub async fn users(server: &Server, n: usize) -> Result<Vec<User>, Error> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("user{i}@load.test");
        let name = format!("Load User{i}");
        if i == 0 {
            server.admin(&[
                "create-staff",
                "--email",
                &email,
                "--name",
                &name,
                "--role",
                "admin",
                "--practice-name",
                "Loadtest",
                "--practice-email",
                "praktijk@load.test",
            ])?;
        } else {
            server.admin(&[
                "create-staff",
                "--email",
                &email,
                "--name",
                &name,
                "--role",
                "provider",
            ])?;
        }
        let token = server.admin(&[
            "create-token",
            "--login",
            &email,
            "--name",
            "load",
            "--rate-per-minute",
            "0",
        ])?;
        let (status, body) = http(server.port, "GET", "/api/v1/me", Some(&token), None).await?;
        if status != 200 {
            return Err(format!("/api/v1/me: {status} {body}").into());
        }
        let me: Value = serde_json::from_str(&body)?;
        let id = me["id"].as_str().ok_or("no id")?.to_string();
        out.push(User { token, id });
    }
    Ok(out)
}

/// Opens the conversation of `a` and `b` through the API.
pub async fn pair(port: u16, a: &User, b: &User) -> Result<String, Error> {
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/conversations",
        Some(&a.token),
        Some(&json!({"member": b.id})),
    )
    .await?;
    if status != 201 {
        return Err(format!("open conversation: {status} {body}").into());
    }
    let v: Value = serde_json::from_str(&body)?;
    Ok(v["id"].as_str().ok_or("no id")?.to_string())
}

/// Sockets that only read: an account's devices other than the one sending. Each reads every
/// frame it is sent (so the server's fan-out to it is real work and its buffers never fill) and
/// counts the messages among them; all close together.
#[derive(Default)]
pub struct Readers {
    sinks: Vec<SplitSink<Ws, Frame>>,
    tasks: Vec<JoinHandle<()>>,
    messages: Arc<AtomicU64>,
}

impl Readers {
    /// Reads `ws` until it closes.
    pub fn add(&mut self, ws: Ws) {
        let (sink, mut stream) = ws.split();
        let messages = self.messages.clone();
        self.tasks.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                // The server writes the type first; no need to parse the rest.
                if let Frame::Text(t) = frame
                    && t.as_str().starts_with(r#"{"type":"message""#)
                {
                    messages.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
        self.sinks.push(sink);
    }

    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    /// Closes every socket, waits until each has read to its end, and returns how many
    /// messages they were sent in all.
    pub async fn close(self) -> u64 {
        for mut sink in self.sinks {
            let _ = sink.close().await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
        self.messages.load(Ordering::Relaxed)
    }
}
