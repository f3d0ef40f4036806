//! "Bestanden": every file in this user's conversations, newest first, with conversation,
//! sender and date, a filter by kind, and download. Also the messenger's file routes: the
//! paperclip's upload (called by the page's script, with progress and cancel) and the download
//! or preview of one file.

use askama::Template;
use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spreekuur_domain::file::{Attachment, FileKind};
use spreekuur_domain::{ConversationId, Error, FileId};
use spreekuur_i18n::{Lang, Msgs, date_time, file_size, fill};

use super::render;
use crate::api::files::{declared_len, file_name, header_text};
use crate::csrf::CsrfToken;
use crate::error::PageResult;
use crate::extract::{Client, LangPref, Page, User};
use crate::files::{Disposition, Upload};
use crate::layout::Layout;
use crate::state::AppState;

/// A file as a page shows it: on a card in the conversation, or a line on Bestanden.
pub struct FileView {
    pub id: String,
    pub name: String,
    pub size: String,
    /// "Afbeelding", "PDF-document", …
    pub kind: &'static str,
    /// An image the page shows as a preview.
    pub preview: bool,
    /// Opens in the browser (images, PDF) besides being downloadable.
    pub opens: bool,
}

impl FileView {
    pub fn new(lang: Lang, a: &Attachment) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            size: file_size(lang, a.size),
            kind: kind_label(lang.msgs(), a.kind),
            preview: a.previewable(),
            opens: spreekuur_domain::file::is_inline(&a.content_type),
        }
    }
}

fn kind_label(t: &'static Msgs, kind: FileKind) -> &'static str {
    match kind {
        FileKind::Image => t.file_kind_image,
        FileKind::Pdf => t.file_kind_pdf,
        FileKind::Document => t.file_kind_document,
        FileKind::Other => t.file_kind_other,
    }
}

pub struct FileRow {
    file: FileView,
    conversation_id: String,
    conversation: String,
    sender: String,
    when: String,
}

#[derive(Template)]
#[template(path = "files.html")]
struct FilesPage {
    layout: Layout,
    t: &'static Msgs,
    rows: Vec<FileRow>,
    /// The chosen kind ("" for all).
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
pub struct FilesQuery {
    #[serde(default)]
    kind: String,
}

/// GET /files?kind=…
pub async fn files_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    User(me): User,
    Query(q): Query<FilesQuery>,
) -> PageResult {
    let lang = page.lang;
    let t = lang.msgs();
    let kind = FileKind::parse(&q.kind);
    let listing = state
        .store
        .files_for(&me.id, None, kind, 500, &client, state.clock.now())
        .await?;
    let rows = listing
        .iter()
        .map(|l| FileRow {
            file: FileView::new(lang, &l.file),
            conversation_id: l.conversation.to_string(),
            conversation: l.conversation_title.clone(),
            sender: if l.sender == me.id {
                t.message_you.to_string()
            } else {
                l.sender_name.clone()
            },
            when: date_time(lang, l.sent_at.millis()),
        })
        .collect();
    let view = FilesPage {
        layout: page.layout(Some(&me), "files"),
        t,
        rows,
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        kinds: vec![
            ("", t.files_filter_all),
            ("image", t.files_filter_image),
            ("pdf", t.files_filter_pdf),
            ("document", t.files_filter_document),
            ("other", t.files_filter_other),
        ],
    };
    render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    #[serde(default)]
    download: Option<String>,
}

/// GET /files/{id}: a preview or an opened PDF (inline where safe), `?download=1` to save.
pub async fn file_get(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> PageResult<Response> {
    let id = FileId::parse(&id).ok_or(Error::NotFound)?;
    let wanted = if q.download.is_some() {
        Disposition::Attachment
    } else {
        Disposition::Inline
    };
    Ok(crate::files::send(&state, &me, &id, wanted, &client).await?)
}

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    client_id: String,
}

#[derive(Serialize)]
struct UploadAnswer {
    seq: Option<i64>,
    /// What to tell the person, in their language.
    message: String,
}

/// POST /messenger/{id}/files?client_id=…: the body is the file, its name in `X-File-Name`.
/// Answers JSON for the page's script, which shows progress and the outcome.
pub async fn upload_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    User(me): User,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t = lang.lang.msgs();
    let answer = |status: StatusCode, seq: Option<i64>, message: String| {
        (status, Json(UploadAnswer { seq, message })).into_response()
    };
    if !crate::csrf::check_header(&headers, &csrf) {
        return answer(StatusCode::FORBIDDEN, None, t.error_csrf.to_string());
    }
    let Some(conversation) = ConversationId::parse(&id) else {
        return answer(StatusCode::NOT_FOUND, None, t.error_not_found.to_string());
    };
    let name = file_name(&headers, &q.name).unwrap_or_default();
    let result = async {
        let upload = Upload {
            conversation,
            name: name.clone(),
            declared_type: header_text(&headers, header::CONTENT_TYPE.as_str())?,
            declared_len: declared_len(&headers)?,
            client_id: Some(q.client_id).filter(|c| !c.is_empty()),
        };
        crate::files::receive(&state, &me, upload, body, &client).await
    }
    .await;
    let shown = spreekuur_domain::file::parse_file_name(&name).unwrap_or(name);
    match result {
        Ok(posted) => answer(
            if posted.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            Some(posted.message.seq),
            fill(t.file_sent, &[("name", &shown)]),
        ),
        Err(e) => {
            let status = crate::error::status(&e);
            let message = match &e {
                Error::TooLarge { max_bytes } => fill(
                    t.file_too_large,
                    &[("name", &shown), ("max", &file_size(lang.lang, *max_bytes))],
                ),
                Error::Invalid { reason, .. } if reason.is_about_a_file() => {
                    t.text(reason.key()).to_string()
                }
                Error::NotFound => t.error_not_found.to_string(),
                Error::Internal(cause) => {
                    tracing::error!(error = %cause, "upload failed");
                    fill(t.file_failed, &[("name", &shown)])
                }
                _ => fill(t.file_failed, &[("name", &shown)]),
            };
            answer(status, None, message)
        }
    }
}
