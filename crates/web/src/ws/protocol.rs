//! What goes over the wire: the frames a client sends and the server answers, the error codes a
//! frame is refused with, and the close codes (`docs/websocket.md`). It depends on nothing else
//! of the socket.

use std::collections::HashMap;

use axum::extract::ws::{Message as Frame, WebSocket};
use serde::{Deserialize, Serialize};
use spreekuur_domain::Error;
use spreekuur_domain::conversation::Message;
use spreekuur_i18n::Msgs;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum ClientFrame {
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
pub(super) enum ServerFrame<'a> {
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
pub(super) struct ReadyConversation {
    pub(super) id: String,
    pub(super) last_seq: i64,
    pub(super) unread: i64,
}

/// What a socket does after a frame or an event: go on, or close with a code and a reason.
pub(super) enum Next {
    Continue,
    /// Closes with 1008 (policy violation) and this reason.
    Close(&'static str),
    /// Closes with this code and reason.
    CloseWith(u16, &'static str),
}

/// Refuses a frame: sends the error `code` with its text in the user's language `t`.
pub(super) async fn error(
    socket: &mut WebSocket,
    t: &Msgs,
    client_id: Option<&str>,
    code: &'static str,
) {
    let message = match code {
        "rate_limited" => t.error_rate_limited,
        "not_found" => t.error_not_found,
        "empty" => t.message_empty,
        "too_long" => t.message_too_long,
        "bad_client_id" => t.message_client_id,
        "bad_frame" => t.socket_bad_frame,
        _ => t.error_generic,
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

pub(super) fn message_frame(m: &Message) -> ServerFrame<'_> {
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
pub(super) const GONE: &str = "socket closed by the client";

pub(super) async fn send(socket: &mut WebSocket, frame: &ServerFrame<'_>) -> Result<(), Error> {
    let text = serde_json::to_string(frame).map_err(|e| Error::Internal(e.to_string()))?;
    socket
        .send(Frame::Text(text.into()))
        .await
        .map_err(|_| Error::Internal(GONE.into()))
}

/// Logs why a socket ends: a client that went away is ordinary; anything else is an error.
pub(super) fn log_end(what: &str, e: &Error) {
    match e {
        Error::Internal(m) if m == GONE => tracing::debug!("{what}: {GONE}"),
        _ => tracing::error!(error = %e, "{what}"),
    }
}

/// True when the socket's error is a frame or message over the size limit.
pub(super) fn too_big(e: &axum::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|t| matches!(t, tungstenite::Error::Capacity(_)))
}
