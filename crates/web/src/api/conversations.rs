//! Conversations and messages over the API: the same store calls, and so the same rules, as the
//! messenger's pages (membership, a patient never reaching another patient, audited staff reads).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spreekuur_domain::account::Account;
use spreekuur_domain::conversation::{ConversationSummary, Message};
use spreekuur_domain::error::Reason;
use spreekuur_domain::file::Attachment;
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::{ConversationId, Error, UserId};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiJson, ApiQuery, ApiResult};
use super::rules;
use super::token::TokenUser;
use crate::extract::Client;
use crate::state::AppState;

/// The token's own account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: String,
    /// `admin`, `provider`, `assistant` or `patient`.
    role: String,
    first_name: String,
    last_name: String,
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationOut {
    id: String,
    /// The group's name, or the other members' names.
    title: String,
    /// The position of the newest message (0: none yet).
    last_seq: i64,
    /// Messages the token's account has not read.
    unread: i64,
    /// Milliseconds since 1970 (UTC).
    last_activity: i64,
}

impl From<&ConversationSummary> for ConversationOut {
    fn from(c: &ConversationSummary) -> Self {
        Self {
            id: c.id.to_string(),
            title: c.title.clone(),
            last_seq: c.last_seq,
            unread: c.unread,
            last_activity: c.last_activity.millis(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenConversation {
    /// The account to talk with: a colleague, or a patient the token's account is connected
    /// with. Any other id, or one that is no account, is "not found".
    #[schema(schema_with = rules::uuid)]
    member: String,
}

/// A file attached to a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FileOut {
    id: String,
    name: String,
    /// Bytes.
    size: u64,
    /// The media type of the content, as the server recognised it (not as the sender claimed).
    content_type: String,
    /// `image`, `pdf`, `document` or `other`.
    kind: &'static str,
}

impl From<&Attachment> for FileOut {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            size: a.size,
            content_type: a.content_type.clone(),
            kind: a.kind.as_str(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    id: String,
    conversation: String,
    /// The message's position in its conversation (1, 2, 3, …).
    seq: i64,
    sender: String,
    sender_name: String,
    body: String,
    /// Milliseconds since 1970 (UTC).
    sent_at: i64,
    /// The sender's idempotency key for it, if one was given.
    client_id: Option<String>,
    /// The file this message carries (its body is then empty); download it from
    /// `/api/v1/files/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<FileOut>,
}

impl From<&Message> for MessageOut {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            conversation: m.conversation.to_string(),
            seq: m.seq,
            sender: m.sender.to_string(),
            sender_name: m.sender_name.clone(),
            body: m.body.clone(),
            sent_at: m.sent_at.millis(),
            client_id: m.client_id.clone(),
            file: m.file.as_ref().map(FileOut::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessagePage {
    messages: Vec<MessageOut>,
    /// Pass as `after` for the next page; null when this page reached the newest message.
    next_after: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Messages after this position (default 0: from the first).
    #[serde(default, deserialize_with = "rules::query_integer")]
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    after: Option<i64>,
    /// At most this many (1–500, default 100).
    #[serde(default, deserialize_with = "rules::query_integer")]
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[schema(schema_with = rules::message_body)]
    body: String,
}

fn conversation_id(id: &str) -> Result<ConversationId, Error> {
    ConversationId::parse(id).ok_or(Error::NotFound)
}

/// The token's account.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "get_me", responses(
    (status = 200, body = Me),
))]
pub async fn me(user: TokenUser) -> Json<Me> {
    let a = user.account;
    Json(Me {
        id: a.id.to_string(),
        role: a.role.as_str().to_string(),
        first_name: a.first_name.as_str().to_string(),
        last_name: a.last_name.as_str().to_string(),
        email: a.email.as_str().to_string(),
    })
}

/// The account's conversations, the most recent activity first.
///
/// With `external_id`, those carrying it.
#[utoipa::path(get, path = "/api/v1/conversations", operation_id = "list_conversations",
    params(ListQuery),
    responses((status = 200, body = [ConversationOut])))]
pub async fn list(
    State(state): State<AppState>,
    user: TokenUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<ConversationOut>>> {
    let list = match q.external_id.as_deref() {
        Some(x) => {
            state
                .store
                .conversations_by_external_id(&user.account.id, x)
                .await?
        }
        None => state.store.conversations_for(&user.account.id).await?,
    };
    Ok(Json(list.iter().map(ConversationOut::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only conversations carrying this external id (the practice system's number; white
    /// space around it is ignored).
    #[param(schema_with = rules::search_text)]
    external_id: Option<String>,
}

/// Opens the 1:1 conversation with another account, or returns the existing one.
#[utoipa::path(post, path = "/api/v1/conversations", operation_id = "open_conversation",
    request_body = OpenConversation,
    responses(
        (status = 201, description = "opened", body = ConversationOut),
        (status = 200, description = "they had one already", body = ConversationOut),
        (status = 404, description = "no such account, oneself, or someone the token's account may not reach", body = super::error::ApiError),
    ))]
pub async fn open(
    State(state): State<AppState>,
    user: TokenUser,
    ApiJson(body): ApiJson<OpenConversation>,
) -> ApiResult<Response> {
    let me: &Account = &user.account;
    // A patient never finds or reaches anyone this way (least of all another patient).
    if !me.role.is_staff() {
        return Err(Error::NotFound.into());
    }
    let other = UserId::parse(&body.member).ok_or(Error::NotFound)?;
    let other = state
        .store
        .account(&other)
        .await?
        .filter(|a| a.active && a.id != me.id)
        .ok_or(Error::NotFound)?;
    let (id, created) = state
        .store
        .open_direct(&me.id, &other.id, state.clock.now())
        .await?;
    if created {
        state
            .publish(LiveEvent::Members {
                conversation: id.clone(),
            })
            .await;
    }
    let summary = state
        .store
        .conversations_for(&me.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(Error::NotFound)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ConversationOut::from(&summary))).into_response())
}

/// Messages in order, a page at a time.
///
/// A staff member's read of a patient's conversation is audited.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", operation_id = "list_messages",
    params(("id" = inline(rules::Id), Path, description = "conversation id"), PageQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 404, description = "no such conversation, or not a member", body = super::error::ApiError),
        (status = 422, description = "`after` below 0 or `limit` outside 1–500", body = super::error::ApiError),
    ))]
pub async fn messages(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<MessagePage>> {
    let id = conversation_id(&id)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", Reason::Api("1 to 500")).into());
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(Error::invalid("after", Reason::Api("0 or more")).into());
    }
    let now = state.clock.now();
    state
        .store
        .record_read(&id, &user.account, &client, now)
        .await?;
    let batch = state
        .store
        .messages_after(&id, &user.account.id, after, limit)
        .await?;
    let next_after = (batch.len() as i64 == limit)
        .then(|| batch.last().map(|m| m.seq))
        .flatten();
    Ok(Json(MessagePage {
        messages: batch.iter().map(MessageOut::from).collect(),
        next_after,
    }))
}

/// Sends a message.
///
/// With an `Idempotency-Key` header (1–64 of `A–Z a–z 0–9 - _`), a retry returns the message
/// the first attempt stored (status 200) instead of storing another.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", operation_id = "send_message",
    params(
        ("id" = inline(rules::Id), Path, description = "conversation id"),
        rules::SendHeaders,
    ),
    request_body = NewMessage,
    responses(
        (status = 201, description = "stored", body = MessageOut),
        (status = 200, description = "stored earlier under this Idempotency-Key", body = MessageOut),
        (status = 404, description = "no such conversation, or not a member", body = super::error::ApiError),
        (status = 422, description = "a body or Idempotency-Key the schema does not allow", body = super::error::ApiError),
    ))]
pub async fn send(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    user: TokenUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> ApiResult<Response> {
    let id = conversation_id(&id)?;
    rules::check_free_text(
        "body",
        &body.body,
        spreekuur_domain::conversation::MESSAGE_MAX_CHARS,
    )?;
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map_err(|_| Error::invalid("Idempotency-Key", Reason::Api("plain text")))
        })
        .transpose()?;
    let posted = state
        .send_message(&id, &user.account, &body.body, key, &client)
        .await?;
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MessageOut::from(&posted.message))).into_response())
}
