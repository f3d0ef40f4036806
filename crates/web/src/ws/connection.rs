//! One open socket: its loop over the client's frames, live events and the heartbeat, the
//! requests it answers (sending a message, marking one read), and how it closes.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket};
use axum::http::StatusCode;
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::{ConversationId, Error};

use super::delivery::{HOLD_EARLY, PRESENCE_RENEW};
use super::protocol::{
    ClientFrame, Next, ServerFrame, log_end, refuse, refuse_frame, send, too_big,
};
use super::{Auth, Connection};

impl Connection {
    pub(super) async fn run(&mut self, mut socket: WebSocket) {
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
                        let t = self.t;
                        refuse_frame(socket, StatusCode::BAD_REQUEST, t.socket_bad_frame).await;
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
                () = tokio::time::sleep_until(
                    self.followed.gap_since.map_or_else(tokio::time::Instant::now, |at| at + HOLD_EARLY)
                ), if self.followed.gap_since.is_some() => self.fill_gaps(socket).await,
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

    async fn on_frame(&mut self, socket: &mut WebSocket, text: &str) -> Next {
        if !self.rate.allow() {
            if self.rate.strike() {
                return Next::Close("rate limit");
            }
            refuse_frame(
                socket,
                StatusCode::TOO_MANY_REQUESTS,
                self.t.error_rate_limited,
            )
            .await;
            return Next::Continue;
        }
        if !self.still_allowed(false).await.unwrap_or(false) {
            return Next::Close("signed out");
        }
        let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
            refuse_frame(socket, StatusCode::BAD_REQUEST, self.t.socket_bad_frame).await;
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

    async fn send(
        &mut self,
        socket: &mut WebSocket,
        conversation: &str,
        client_id: &str,
        body: &str,
    ) -> Result<(), Error> {
        let Some(id) = ConversationId::parse(conversation) else {
            refuse(socket, self.t, Some(client_id), &Error::NotFound).await;
            return Ok(());
        };
        let posted = self
            .state
            .send_message(&id, &self.me, body, Some(client_id), &self.client)
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
            // Ours, not the client's: the socket closes (`on_frame`), the cause is logged.
            Err(e @ Error::Internal(_)) => Err(e),
            Err(e) => {
                refuse(socket, self.t, Some(client_id), &e).await;
                Ok(())
            }
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
}
