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
//!
//! The code: this file takes the request (who it is, from where) and upgrades it; `connection`
//! runs an open socket (its loop, the frames it answers, how it closes); `delivery` follows the
//! user's conversations and sends their messages and read marks; `protocol` is what goes over
//! the wire; `limits` are the frame size and rate limits.

mod connection;
mod delivery;
mod limits;
mod protocol;

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use spreekuur_domain::account::Account;
use spreekuur_domain::auth::app_lock;
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::{ConversationId, Error};
use spreekuur_i18n::Msgs;

use crate::extract::{Client, LangPref, MaybeUser, cookies};
use crate::state::AppState;
use delivery::Followed;
use limits::{MAX_FRAME, RATE_PER_SEC, RateLimit};

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
                followed: Followed::new(events),
                client,
                t,
                audited: Vec::new(),
                rate: RateLimit::new(per_sec),
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
    rate: RateLimit,
}

impl Connection {
    /// True while the session or token that opened this socket is still live and unlocked.
    pub(super) async fn still_allowed(&mut self, force: bool) -> Result<bool, Error> {
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
