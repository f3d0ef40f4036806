//! What goes over the wire: the frames a client sends and the server answers, how a frame is
//! refused (with the JSON API's error codes, from the one mapping in `crate::error`), and the
//! close codes (`docs/websocket.md`). It depends on nothing else of the socket.

use std::collections::HashMap;

use axum::extract::ws::{Message as Frame, WebSocket};
use axum::http::StatusCode;
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
        file: Option<crate::api::conversations::FileOut>,
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

/// Refuses a frame with a domain error (see `refusal`).
pub(super) async fn refuse(socket: &mut WebSocket, t: &Msgs, client_id: Option<&str>, e: &Error) {
    let _ = send(socket, &refusal(t, client_id, e)).await;
}

/// Refuses a frame the socket could not take (unreadable, over the rate), as the API refuses a
/// request before its handler: the code follows from `status`.
pub(super) async fn refuse_frame(
    socket: &mut WebSocket,
    status: StatusCode,
    message: &'static str,
) {
    let frame = ServerFrame::Error {
        client_id: None,
        code: crate::error::code(status),
        message,
    };
    let _ = send(socket, &frame).await;
}

/// The `error` frame for a domain error: the code the JSON API gives it (one status per error,
/// `crate::error::status`, and the status's code, `crate::error::code`) and the text a page
/// shows for it, in the user's language `t`.
fn refusal<'a>(t: &Msgs, client_id: Option<&'a str>, e: &Error) -> ServerFrame<'a> {
    ServerFrame::Error {
        client_id,
        code: crate::error::code(crate::error::status(e)),
        message: crate::error::text(t, e),
    }
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
        file: m
            .file
            .as_ref()
            .map(crate::api::conversations::FileOut::from),
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

#[cfg(test)]
mod tests {
    use spreekuur_domain::Reason;
    use spreekuur_i18n::Lang;

    use super::*;

    fn json(frame: &ServerFrame<'_>) -> serde_json::Value {
        serde_json::to_value(frame).unwrap_or_default()
    }

    /// A refused message says what the API says of it (its code) and what a page says (its
    /// text).
    #[test]
    fn a_refusal_has_the_api_code_and_the_page_text() {
        let t = Lang::Nl.msgs();
        for (e, code, message) in [
            (Error::NotFound, "not_found", t.error_not_found),
            (
                Error::invalid("body", Reason::MessageEmpty),
                "invalid",
                t.message_empty,
            ),
            (
                Error::invalid("body", Reason::TextTooLong),
                "invalid",
                t.text_too_long,
            ),
            (
                Error::invalid("client_id", Reason::MessageClientId),
                "invalid",
                t.message_client_id,
            ),
            (Error::Forbidden, "forbidden", t.error_forbidden),
        ] {
            assert_eq!(
                json(&refusal(t, Some("c-1"), &e)),
                serde_json::json!({
                    "type": "error",
                    "client_id": "c-1",
                    "code": code,
                    "message": message,
                }),
                "{e:?}"
            );
        }
        let anonymous = json(&refusal(t, None, &Error::NotFound));
        assert!(anonymous.get("client_id").is_none(), "{anonymous}");
    }
}
