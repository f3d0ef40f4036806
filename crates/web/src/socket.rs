//! The messenger's WebSocket (`GET /ws`): live delivery that loses nothing. The protocol is
//! documented in `docs/websocket.md`; in short:
//!
//! * The client says `hello` with the last position it saw per conversation; the server sends
//!   everything after those positions, then `ready`, then every new message as it is committed.
//! * `send` carries the client's own id; the server answers `ack` only after the message is
//!   committed (a retry with the same id gets the same message, not a second one).
//! * Within a conversation the server's positions (`seq`) give the order; a client that
//!   reconnects says where it was and misses nothing, across reconnects and server restarts.
//!
//! Each socket reads from the store as the member it serves, so nobody receives a conversation
//! they are not in. A flood of frames is refused, then the socket is closed.

use spreekuur_domain::token::TokenKind;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spreekuur_domain::account::Account;
use spreekuur_domain::auth::app_lock;
use spreekuur_domain::conversation::{ConversationSummary, Message};
use spreekuur_domain::live::{LiveEvent, LiveSubscription};
use spreekuur_domain::{ConversationId, Error, Timestamp};
use spreekuur_i18n::Msgs;

use crate::extract::{Client, LangPref, MaybeUser, cookies};
use crate::state::AppState;

/// Largest frame accepted (a 10,000-character message fits several times).
const MAX_FRAME: usize = 64 * 1024;
/// Frames a browser may send per second, on average, and in a burst (a token's own limit
/// applies to a client with a token).
const RATE_PER_SEC: f64 = 5.0;
const BURST: f64 = 20.0;
/// Frames refused for the rate before the socket is closed as abusive.
const MAX_STRIKES: u32 = 20;
/// Messages sent per read from the store while catching up.
const PAGE: i64 = 200;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Hello {
        #[serde(default)]
        after: HashMap<String, i64>,
    },
    Send {
        conversation: String,
        client_id: String,
        body: String,
    },
    Read {
        conversation: String,
        seq: i64,
    },
    Ping,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerFrame<'a> {
    Ready {
        conversations: Vec<ReadyConversation>,
    },
    Message {
        conversation: &'a str,
        seq: i64,
        id: &'a str,
        sender: &'a str,
        sender_name: &'a str,
        body: &'a str,
        sent_at: i64,
        client_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<crate::api::files::FileOut>,
    },
    /// This user became a member of a conversation while the socket was open (a new
    /// conversation, or added to a group or team): it belongs in their list. Its messages follow.
    Conversation {
        id: &'a str,
        title: &'a str,
        last_activity: i64,
        last_seq: i64,
        unread: i64,
    },
    /// Every other member has read up to `up_to`: one's own messages up to there are "gelezen".
    Read {
        conversation: &'a str,
        up_to: i64,
    },
    Ack {
        client_id: &'a str,
        conversation: &'a str,
        id: &'a str,
        seq: i64,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
        code: &'static str,
        message: &'static str,
    },
    Pong,
}

#[derive(Serialize)]
struct ReadyConversation {
    id: String,
    last_seq: i64,
    unread: i64,
}

/// GET /ws: a signed-in browser on this site's own pages, or a client with a personal access
/// token (`Authorization: Bearer spk_…`; browsers cannot send that header cross-site).
pub async fn socket_get(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    MaybeUser(cookie_user): MaybeUser,
    ws: WebSocketUpgrade,
) -> Response {
    // A browser: 5 frames a second on average. A token: its own limit (0: none).
    let (me, per_sec, auth) = match crate::api::token_user(&state, &headers).await {
        Ok(Some(t)) => {
            let per_minute = t
                .token
                .rate_per_minute
                .unwrap_or(crate::api::DEFAULT_RATE_PER_MINUTE);
            let per_sec = (per_minute > 0).then(|| per_minute as f64 / 60.0);
            (
                t.account,
                per_sec,
                Auth::Token(bearer_hash(&state, &headers)),
            )
        }
        Ok(None) => match cookie_user {
            Some(me) if same_origin(&headers, &state.cfg.public_url) => {
                let session = cookies::get(&headers, cookies::SESSION, state.cfg.secure_cookies())
                    .map(|t| state.tokens.hash(TokenKind::Session, &t))
                    .unwrap_or_default();
                let unlock = cookies::get(&headers, cookies::UNLOCK, state.cfg.secure_cookies())
                    .map(|t| state.tokens.hash(TokenKind::Unlock, &t));
                (me, Some(RATE_PER_SEC), Auth::Session { session, unlock })
            }
            Some(_) => return StatusCode::FORBIDDEN.into_response(),
            None => return StatusCode::UNAUTHORIZED.into_response(),
        },
        Err(e) => return e.into_response(),
    };
    let t = lang.lang.msgs();
    // Small buffers: most sockets sit idle, and tungstenite's defaults (128 KiB each way)
    // would make an idle socket cost more than 100 KiB of memory (BENCHMARKS.md, W3). The read
    // buffer is only the chunk a frame is read in: a longer frame (up to `MAX_FRAME`) takes
    // several reads, which a chat message rarely needs (4 KiB here cost 4.5 KiB more per socket).
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let events = state.live.subscribe();
            let mut conn = Connection {
                state,
                me,
                auth,
                checked: Instant::now(),
                followed: Followed {
                    positions: HashMap::new(),
                    events,
                },
                client,
                t,
                audited: Vec::new(),
                tokens: BURST,
                per_sec,
                refilled: Instant::now(),
                strikes: 0,
            };
            conn.run(socket).await;
        })
}

/// A cross-site page may not open a socket with the visitor's cookie: the Origin must be this
/// site (its public address, or the host the request was sent to).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == public_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

/// What let this socket in, checked again while it is open: a session signed out, locked or
/// expired, a token revoked, or an account deactivated closes it.
enum Auth {
    Session {
        session: Vec<u8>,
        unlock: Option<Vec<u8>>,
    },
    Token(Vec<u8>),
}

/// How long a socket's presence holds without renewal, and how often it is renewed.
const PRESENCE_LEASE: Duration = Duration::from_secs(360);
const PRESENCE_RENEW: Duration = Duration::from_secs(300);

/// How often an open socket checks that what let it in still holds (at most, and at least
/// once per heartbeat).
const RECHECK: Duration = Duration::from_secs(5);

fn bearer_hash(state: &AppState, headers: &HeaderMap) -> Vec<u8> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    state.tokens.hash(TokenKind::ApiToken, secret)
}

struct Connection {
    state: AppState,
    me: Account,
    auth: Auth,
    /// When `auth` was last found to hold.
    checked: Instant,
    client: String,
    t: &'static Msgs,
    followed: Followed,
    /// Conversations whose delivery to this (staff) socket is on record already.
    audited: Vec<ConversationId>,
    tokens: f64,
    /// Frames per second on average; None: no limit (a token an operator made so).
    per_sec: Option<f64>,
    refilled: Instant,
    strikes: u32,
}

/// The conversations this socket follows, with the last position it sent, and its subscription
/// to their events (kept in step: it hears the events of exactly these conversations).
struct Followed {
    positions: HashMap<ConversationId, i64>,
    events: Box<dyn LiveSubscription>,
}

impl Followed {
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
        self.events.unfollow(id);
    }

    fn ids(&self) -> Vec<ConversationId> {
        self.positions.keys().cloned().collect()
    }
}

enum Next {
    Continue,
    /// Closes with 1008 (policy violation) and this reason.
    Close(&'static str),
    /// Closes with this code and reason.
    CloseWith(u16, &'static str),
}

impl Connection {
    /// True while the session or token that opened this socket is still live and unlocked.
    async fn still_allowed(&mut self, force: bool) -> Result<bool, Error> {
        if !force && self.checked.elapsed() < RECHECK {
            return Ok(true);
        }
        let now = self.state.clock.now();
        let ok = match &self.auth {
            Auth::Token(hash) => self
                .state
                .store
                .token_account(hash, now)
                .await?
                .is_some_and(|(_, a)| a.id == self.me.id),
            Auth::Session { session, unlock } => {
                match self.state.store.peek_session(session, now).await? {
                    Some(s) if s.account.id == self.me.id => match &s.lock {
                        None => true,
                        Some(lock) => {
                            let minutes = self.state.lock_minutes().await?;
                            app_lock::locked(lock, unlock.as_deref(), s.last_seen_at, now, minutes)
                                .is_none()
                        }
                    },
                    _ => false,
                }
            }
        };
        if ok {
            self.checked = Instant::now();
        }
        Ok(ok)
    }

    /// A person's browser holds this socket: they are online (no e-mail notices) while it
    /// lives. The lease is renewed well before it runs out; a node that dies leaves rows that
    /// expire on their own.
    async fn mark_present(&self, presence: &Option<String>) {
        if let Some(id) = presence {
            let until =
                Timestamp(self.state.clock.now().millis() + PRESENCE_LEASE.as_millis() as i64);
            if let Err(e) = self.state.store.set_present(id, &self.me.id, until).await {
                tracing::warn!(error = %e, "presence not recorded");
            }
        }
    }

    async fn run(&mut self, mut socket: WebSocket) {
        let presence =
            matches!(self.auth, Auth::Session { .. }).then(|| uuid::Uuid::new_v4().to_string());
        self.mark_present(&presence).await;
        let mut renewed = Instant::now();
        self.serve(&mut socket, &presence, &mut renewed).await;
        if let Some(id) = &presence
            && let Err(e) = self.state.store.set_absent(id).await
        {
            tracing::warn!(error = %e, "presence not cleared; it expires");
        }
    }

    async fn serve(
        &mut self,
        socket: &mut WebSocket,
        presence: &Option<String>,
        renewed: &mut Instant,
    ) {
        let mut heartbeat = tokio::time::interval(Duration::from_secs(30));
        heartbeat.tick().await;
        let mut last_heard = Instant::now();
        loop {
            let next = tokio::select! {
                frame = socket.recv() => match frame {
                    Some(Ok(Frame::Text(text))) => {
                        last_heard = Instant::now();
                        self.on_frame(socket, text.as_str()).await
                    }
                    Some(Ok(Frame::Binary(_))) => {
                        self.error(socket, None, "bad_frame").await;
                        Next::Continue
                    }
                    Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => {
                        last_heard = Instant::now();
                        Next::Continue
                    }
                    // A frame over `MAX_FRAME` is refused by the protocol layer: say so with
                    // 1009 (message too big) rather than dropping the connection.
                    Some(Err(e)) if too_big(&e) => Next::CloseWith(1009, "message too big"),
                    Some(Ok(Frame::Close(_))) | Some(Err(_)) | None => break,
                },
                event = self.followed.events.next() => match event {
                    Some(e) => self.on_event(socket, e).await,
                    None => break,
                },
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > Duration::from_secs(90) {
                        Next::Close("idle")
                    } else if !self.still_allowed(true).await.unwrap_or(false) {
                        Next::Close("signed out")
                    } else if socket.send(Frame::Ping(Vec::new().into())).await.is_err() {
                        break;
                    } else {
                        if renewed.elapsed() > PRESENCE_RENEW {
                            self.mark_present(presence).await;
                            *renewed = Instant::now();
                        }
                        Next::Continue
                    }
                }
            };
            let close = match next {
                Next::Close(reason) => Some((1008, reason)),
                Next::CloseWith(code, reason) => Some((code, reason)),
                Next::Continue => None,
            };
            if let Some((code, reason)) = close {
                let _ = socket
                    .send(Frame::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                // Let the client's frames in flight drain until its close arrives, so it sees
                // this close and its reason rather than a broken connection.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while let Some(Ok(frame)) = socket.recv().await {
                        if matches!(frame, Frame::Close(_)) {
                            break;
                        }
                    }
                })
                .await;
                break;
            }
        }
    }

    /// Refills the bucket and takes one frame's worth; false when the client sends too fast.
    fn allow(&mut self) -> bool {
        let Some(per_sec) = self.per_sec else {
            return true;
        };
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens = (self.tokens + elapsed * per_sec).min(BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    async fn on_frame(&mut self, socket: &mut WebSocket, text: &str) -> Next {
        if !self.allow() {
            self.strikes += 1;
            if self.strikes >= MAX_STRIKES {
                return Next::Close("rate limit");
            }
            self.error(socket, None, "rate_limited").await;
            return Next::Continue;
        }
        if !self.still_allowed(false).await.unwrap_or(false) {
            return Next::Close("signed out");
        }
        let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
            self.error(socket, None, "bad_frame").await;
            return Next::Continue;
        };
        let result = match frame {
            ClientFrame::Hello { after } => self.hello(socket, after).await,
            ClientFrame::Send {
                conversation,
                client_id,
                body,
            } => self.send(socket, &conversation, &client_id, &body).await,
            ClientFrame::Read { conversation, seq } => self.read(&conversation, seq).await,
            ClientFrame::Ping => send(socket, &ServerFrame::Pong).await,
        };
        match result {
            Ok(()) => Next::Continue,
            Err(e) => {
                log_end("socket", &e);
                Next::Close("server error")
            }
        }
    }

    async fn error(&self, socket: &mut WebSocket, client_id: Option<&str>, code: &'static str) {
        let message = match code {
            "rate_limited" => self.t.error_rate_limited,
            "not_found" => self.t.error_not_found,
            "empty" => self.t.message_empty,
            "too_long" => self.t.message_too_long,
            "bad_client_id" => self.t.message_client_id,
            "bad_frame" => self.t.socket_bad_frame,
            _ => self.t.error_generic,
        };
        let _ = send(
            socket,
            &ServerFrame::Error {
                client_id,
                code,
                message,
            },
        )
        .await;
    }

    /// Follows every conversation of this user; sends what came after the given positions.
    async fn hello(
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

    async fn send(
        &mut self,
        socket: &mut WebSocket,
        conversation: &str,
        client_id: &str,
        body: &str,
    ) -> Result<(), Error> {
        let Some(id) = ConversationId::parse(conversation) else {
            self.error(socket, Some(client_id), "not_found").await;
            return Ok(());
        };
        let posted = self
            .state
            .post_message(&id, &self.me, body, Some(client_id), &self.client)
            .await;
        match posted {
            Ok(p) => {
                send(
                    socket,
                    &ServerFrame::Ack {
                        client_id,
                        conversation: id.as_str(),
                        id: p.message.id.as_str(),
                        seq: p.message.seq,
                    },
                )
                .await
            }
            Err(Error::NotFound) => {
                self.error(socket, Some(client_id), "not_found").await;
                Ok(())
            }
            Err(Error::Invalid { reason, .. }) => {
                let code = match reason {
                    "message.empty" => "empty",
                    "text.too_long" => "too_long",
                    "message.client_id" => "bad_client_id",
                    _ => "invalid",
                };
                self.error(socket, Some(client_id), code).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&mut self, conversation: &str, seq: i64) -> Result<(), Error> {
        let Some(id) = ConversationId::parse(conversation) else {
            return Ok(());
        };
        match self.state.store.mark_read(&id, &self.me.id, seq).await {
            Ok(()) => {
                self.publish(LiveEvent::Read {
                    conversation: id,
                    user: self.me.id.clone(),
                    seq,
                })
                .await;
                Ok(())
            }
            Err(Error::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn publish(&self, event: LiveEvent) {
        self.state.publish(event).await;
    }

    async fn on_event(&mut self, socket: &mut WebSocket, event: LiveEvent) -> Next {
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
                    self.followed.insert(conversation, seq);
                    send(socket, &message_frame(&c.0.message)).await
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
    async fn catch_up(&mut self, socket: &mut WebSocket, id: &ConversationId) -> Result<(), Error> {
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

fn message_frame(m: &Message) -> ServerFrame<'_> {
    ServerFrame::Message {
        conversation: m.conversation.as_str(),
        seq: m.seq,
        id: m.id.as_str(),
        sender: m.sender.as_str(),
        sender_name: &m.sender_name,
        body: &m.body,
        sent_at: m.sent_at.millis(),
        client_id: m.client_id.as_deref(),
        file: m.file.as_ref().map(crate::api::files::FileOut::from),
    }
}

/// The error text of a frame that could not be sent because the client has gone.
const GONE: &str = "socket closed by the client";

async fn send(socket: &mut WebSocket, frame: &ServerFrame<'_>) -> Result<(), Error> {
    let text = serde_json::to_string(frame).map_err(|e| Error::Internal(e.to_string()))?;
    socket
        .send(Frame::Text(text.into()))
        .await
        .map_err(|_| Error::Internal(GONE.into()))
}

/// Logs why a socket ends: a client that went away is ordinary; anything else is an error.
fn log_end(what: &str, e: &Error) {
    match e {
        Error::Internal(m) if m == GONE => tracing::debug!("{what}: {GONE}"),
        _ => tracing::error!(error = %e, "{what}"),
    }
}

/// True when the socket's error is a frame or message over the size limit.
fn too_big(e: &axum::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|t| matches!(t, tungstenite::Error::Capacity(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_str(origin).unwrap_or(HeaderValue::from_static("x")),
        );
        h.insert(
            header::HOST,
            HeaderValue::from_str(host).unwrap_or(HeaderValue::from_static("x")),
        );
        h
    }

    #[test]
    fn only_this_site_may_open_a_socket() {
        let public = "https://zorg.example.nl";
        assert!(same_origin(
            &headers("https://zorg.example.nl", "internal:8080"),
            public
        ));
        assert!(same_origin(
            &headers("http://localhost:8081", "localhost:8081"),
            public
        ));
        assert!(!same_origin(
            &headers("https://evil.example", "zorg.example.nl"),
            public
        ));
        assert!(!same_origin(&headers("null", "zorg.example.nl"), public));
        assert!(!same_origin(&HeaderMap::new(), public));
    }
}
