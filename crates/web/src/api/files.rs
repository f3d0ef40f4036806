//! Files over the API: send one into a conversation (the request body is the file, streamed),
//! list the files of the token's conversations, download one. Same rules as the pages: members
//! only, the content decides the type, every download on record.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spreekuur_domain::error::Reason;
use spreekuur_domain::file::{FileKind, FileListing};
use spreekuur_domain::{ConversationId, Error, FileId};
use utoipa::{IntoParams, ToSchema};

use super::conversations::{FileOut, MessageOut};
use super::error::{ApiQuery, ApiResult};
use super::rules;
use super::token::TokenUser;
use crate::extract::Client;
use crate::files::{Disposition, Upload};
use crate::state::AppState;

/// A file in one of the token's conversations.
#[derive(Serialize, ToSchema)]
pub struct FileListingOut {
    file: FileOut,
    conversation: String,
    conversation_title: String,
    sender_name: String,
    /// Milliseconds since 1970 (UTC).
    sent_at: i64,
}

impl From<&FileListing> for FileListingOut {
    fn from(l: &FileListing) -> Self {
        Self {
            file: FileOut::from(&l.file),
            conversation: l.conversation.to_string(),
            conversation_title: l.conversation_title.clone(),
            sender_name: l.sender_name.clone(),
            sent_at: l.sent_at.millis(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (shown to the other members), when the `X-File-Name` header (the name
    /// percent-encoded; preferred: it keeps names out of URLs and access logs) is not sent.
    #[serde(default)]
    #[param(schema_with = rules::file_name_query)]
    name: Option<String>,
}

/// Sends a file into a conversation.
///
/// The request body is the file itself (not multipart); it streams to encrypted storage. Its
/// name comes from `X-File-Name` or else `name` (without a usable one it is called `bestand`).
/// The content decides the type: a body whose name or Content-Type promises an image or PDF but
/// holds something else is refused (422).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/files", operation_id = "send_file",
    params(
        ("id" = inline(rules::Id), Path, description = "conversation id"),
        UploadQuery,
        rules::UploadHeaders,
    ),
    request_body(content = inline(rules::FileBody), content_type = "application/octet-stream", description = "the file, as it is (any Content-Type is taken; the content decides the type)"),
    responses(
        (status = 201, description = "stored, as a message carrying the file", body = MessageOut),
        (status = 200, description = "stored earlier under this Idempotency-Key", body = MessageOut),
        (status = 404, description = "no such conversation, or not a member", body = super::error::ApiError),
        (status = 413, description = "larger than the server's max_file_mib", body = super::error::ApiError),
        (status = 422, description = "empty, an Idempotency-Key or X-File-Name the schema does not allow, or content that is not what its name or Content-Type claims", body = super::error::ApiError),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let conversation = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let upload = Upload {
        conversation,
        name: usable_name(file_name(&headers, q.name.as_deref().unwrap_or(""))?),
        declared_type: header_text(&headers, header::CONTENT_TYPE.as_str())?,
        declared_len: declared_len(&headers)?,
        client_id: header_text(&headers, "idempotency-key")?,
    };
    let posted = crate::files::receive(&state, &user.account, upload, body, &client).await?;
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MessageOut::from(&posted.message))).into_response())
}

/// What a file is called when the request names it in neither way, or with nothing usable
/// (only dots, white space or control characters): both ways are optional, and the content,
/// not the name, decides what the file is.
const UNNAMED: &str = "bestand";

fn usable_name(name: String) -> String {
    if spreekuur_domain::file::parse_file_name(&name).is_ok() {
        name
    } else {
        UNNAMED.to_string()
    }
}

/// The file's name from `X-File-Name` (percent-encoded UTF-8, so it stays out of URLs and the
/// access logs that keep them), or else from `?name=`.
pub(crate) fn file_name(headers: &HeaderMap, query: &str) -> Result<String, Error> {
    match header_text(headers, "x-file-name")? {
        Some(encoded) => percent_decode(&encoded).ok_or(Error::invalid("file", Reason::FileName)),
        None => Ok(query.to_string()),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            // Two hex digits: `from_str_radix` alone would also take a sign ("%+1").
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Result<Option<String>, Error> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map(str::to_string)
                .map_err(|_| Error::invalid("header", Reason::Api("plain text")))
        })
        .transpose()
}

pub(crate) fn declared_len(headers: &HeaderMap) -> Result<Option<u64>, Error> {
    header_text(headers, header::CONTENT_LENGTH.as_str())?
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| Error::invalid("Content-Length", Reason::Api("a number")))
        })
        .transpose()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this conversation's files.
    #[param(schema_with = rules::uuid)]
    conversation: Option<String>,
    /// Only files of this kind.
    #[param(schema_with = kinds)]
    kind: Option<String>,
    /// At most this many (1–500, default 100).
    #[serde(default, deserialize_with = "rules::query_integer")]
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

fn kinds() -> utoipa::openapi::schema::Schema {
    let all: Vec<&str> = FileKind::ALL.iter().map(|k| k.as_str()).collect();
    rules::one_of(&all, false)
}

/// The files in the token's conversations, newest first.
#[utoipa::path(get, path = "/api/v1/files", operation_id = "list_files", params(ListQuery),
    responses(
        (status = 200, body = Vec<FileListingOut>),
        (status = 404, description = "no such conversation, or not a member", body = super::error::ApiError),
        (status = 422, description = "a `kind` or `limit` outside the schema", body = super::error::ApiError),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<FileListingOut>>> {
    let conversation = q
        .conversation
        .as_deref()
        .map(|c| ConversationId::parse(c).ok_or(Error::NotFound))
        .transpose()?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| {
            FileKind::parse(k).ok_or(Error::invalid(
                "kind",
                Reason::Api("image, pdf, document or other"),
            ))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", Reason::Api("1 to 500")).into());
    }
    let files = state
        .store
        .files_for(
            &user.account.id,
            conversation.as_ref(),
            kind,
            limit,
            &client,
            state.clock.now(),
        )
        .await?;
    Ok(Json(files.iter().map(FileListingOut::from).collect()))
}

/// Downloads a file (always as an attachment), for a member of its conversation.
///
/// Every download is on record in the audit trail.
#[utoipa::path(get, path = "/api/v1/files/{id}", operation_id = "download_file",
    params(("id" = inline(rules::Id), Path, description = "file id")),
    responses(
        (status = 200, description = "the file; Content-Type is the type its content was recognised as (HTML, SVG and XML as application/octet-stream)", content(
            (inline(rules::FileBody) = "*/*"),
        )),
        (status = 404, description = "no such file, or not in a conversation of the token's account", body = super::error::ApiError),
    ))]
pub async fn download(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = FileId::parse(&id).ok_or(Error::NotFound)?;
    Ok(crate::files::send(&state, &user.account, &id, Disposition::Attachment, &client).await?)
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn names_are_percent_decoded_or_refused() {
        assert_eq!(
            percent_decode("uitslag%20%C3%A9%C3%A9n.pdf").as_deref(),
            Some("uitslag één.pdf")
        );
        assert_eq!(percent_decode("plain.txt").as_deref(), Some("plain.txt"));
        for bad in ["%", "%4", "%zz", "%FF%FE", "%+1", "%-1"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
