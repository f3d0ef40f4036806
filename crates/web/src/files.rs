//! Files in and out, for the pages and the API alike: an upload streams from the request body
//! through the sniffer and the encryptor into the blob store, a chunk at a time, and becomes a
//! message only when all of it is stored; a download streams back and decrypts. Neither ever
//! holds a whole file in memory.

use axum::body::{Body, Bytes};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use spreekuur_crypto::stream::{HEADER, SEALED_CHUNK};
use spreekuur_crypto::{FileKey, StreamOpener, StreamSealer};
use spreekuur_domain::account::Account;
use spreekuur_domain::conversation::Posted;
use spreekuur_domain::error::Reason;
use spreekuur_domain::file::{
    SNIFF_BYTES, Sniffed, check_claim, content_disposition, is_inline, served_type, sniff,
};
use spreekuur_domain::ports::{BlobReader, FileStart};
use spreekuur_domain::{ConversationId, Error, FileId};

use crate::middleware::security_headers::OwnCsp;
use crate::state::AppState;

/// What the sender says about a file (the content decides what it is).
#[derive(Debug, Clone)]
pub struct Upload {
    pub conversation: ConversationId,
    pub name: String,
    /// The Content-Type the client declared.
    pub declared_type: Option<String>,
    /// The Content-Length the client declared.
    pub declared_len: Option<u64>,
    /// The client's own id for the message (a retry finds the first).
    pub client_id: Option<String>,
}

fn crypto(e: spreekuur_crypto::CryptoError) -> Error {
    Error::Internal(e.to_string())
}

/// Receives a file into a conversation and posts the message that carries it.
pub async fn receive(
    state: &AppState,
    me: &Account,
    upload: Upload,
    body: Body,
    client: &str,
) -> Result<Posted, Error> {
    let max = state.cfg.max_file_bytes;
    if upload.declared_len.is_some_and(|n| n > max) {
        return Err(Error::TooLarge { max_bytes: max });
    }
    if upload.declared_len == Some(0) {
        return Err(Error::invalid("file", Reason::FileEmpty));
    }
    let start = state
        .store
        .begin_file(
            &upload.conversation,
            &me.id,
            &upload.name,
            upload.client_id.as_deref(),
            state.clock.now(),
        )
        .await?;
    let (id, key) = match start {
        FileStart::Retry(posted) => return Ok(*posted),
        FileStart::New { id, key } => (id, key),
    };
    // The rest runs on its own task: when the sender goes away mid-upload this handler is
    // dropped, but the cleanup of the pending file must still happen.
    let task = tokio::spawn(store_content(
        state.clone(),
        me.clone(),
        id,
        FileKey::from_slice(&key).map_err(crypto)?,
        upload,
        body,
        client.to_string(),
    ));
    task.await
        .map_err(|e| Error::Internal(format!("upload task: {e}")))?
}

async fn store_content(
    state: AppState,
    me: Account,
    id: FileId,
    key: FileKey,
    upload: Upload,
    body: Body,
    client: String,
) -> Result<Posted, Error> {
    let name = spreekuur_domain::file::parse_file_name(&upload.name)?;
    let written = write_blob(&state, &id, &key, &name, &upload, body).await;
    let (sniffed, size) = match written {
        Ok(v) => v,
        Err(e) => {
            forget(&state, &id, false).await;
            return Err(e);
        }
    };
    let committed = state
        .store
        .commit_file(
            &id,
            &me,
            sniffed.mime,
            sniffed.kind,
            size,
            upload.client_id.as_deref(),
            state.clock.now(),
            &client,
        )
        .await;
    match committed {
        Ok(posted) if posted.created => {
            state.publish_posted(&posted).await;
            Ok(posted)
        }
        // A retry raced the first attempt, which stored the file already.
        Ok(posted) => {
            forget(&state, &id, true).await;
            Ok(posted)
        }
        Err(e) => {
            forget(&state, &id, true).await;
            Err(e)
        }
    }
}

/// Removes what a failed upload left: the pending row, then the blob if it was committed. The
/// row goes first and the blob only with it, so a file that got committed meanwhile (a very
/// slow upload meeting the sweep) keeps its content.
async fn forget(state: &AppState, id: &FileId, blob: bool) {
    match state.store.abandon_file(id).await {
        Ok(true) if blob => {
            if let Err(e) = state.blobs.delete(id.as_str()).await {
                tracing::warn!(error = %e, "blob of a failed upload not removed");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pending file not removed; the sweep will retry"),
    }
}

/// Streams the body into the blob store, encrypted; returns what the content is and its size.
async fn write_blob(
    state: &AppState,
    id: &FileId,
    key: &FileKey,
    name: &str,
    upload: &Upload,
    body: Body,
) -> Result<(Sniffed, u64), Error> {
    let max = state.cfg.max_file_bytes;
    let mut writer = state.blobs.create(id.as_str()).await?;
    let (mut sealer, header) = StreamSealer::new(key, id.as_str()).map_err(crypto)?;
    writer.write(&header).await?;
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut checked = false;
    let mut size: u64 = 0;
    let mut out = Vec::with_capacity(2 * SEALED_CHUNK);
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        // An error here is a sender who went away or a malformed body: nothing is kept.
        let data = frame.map_err(|_| Error::invalid("file", Reason::FileCutOff))?;
        size += data.len() as u64;
        if size > max {
            return Err(Error::TooLarge { max_bytes: max });
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(data.len());
            head.extend_from_slice(&data[..take]);
        }
        // Refuse a file that lies about itself as soon as its first bytes are in.
        if !checked && head.len() >= SNIFF_BYTES {
            check_claim(
                name,
                upload.declared_type.as_deref(),
                &head,
                &sniff(&head, name),
            )?;
            checked = true;
        }
        out.clear();
        sealer.update(&data, &mut out).map_err(crypto)?;
        if !out.is_empty() {
            writer.write(&out).await?;
        }
    }
    if size == 0 {
        return Err(Error::invalid("file", Reason::FileEmpty));
    }
    if upload.declared_len.is_some_and(|n| n != size) {
        return Err(Error::invalid("file", Reason::FileCutOff));
    }
    let sniffed = sniff(&head, name);
    check_claim(name, upload.declared_type.as_deref(), &head, &sniffed)?;
    out.clear();
    sealer.finish(&mut out).map_err(crypto)?;
    writer.write(&out).await?;
    writer.commit().await?;
    Ok((sniffed, size))
}

/// How a download is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the browser where that is safe (images, PDF); downloaded otherwise.
    Inline,
    /// Always downloaded.
    Attachment,
}

/// Streams a file to a member of its conversation (audited); `NotFound` for anyone else.
pub async fn send(
    state: &AppState,
    me: &Account,
    id: &FileId,
    wanted: Disposition,
    client: &str,
) -> Result<Response, Error> {
    let opened = state
        .store
        .open_file(id, me, client, state.clock.now())
        .await?;
    let key = FileKey::from_slice(&opened.key).map_err(crypto)?;
    let mut reader = state.blobs.open(id.as_str()).await?;
    let mut header = [0u8; HEADER];
    read_exact(reader.as_mut(), &mut header).await?;
    let opener = StreamOpener::new(&key, id.as_str(), &header).map_err(crypto)?;
    let reading = Reading {
        reader,
        opener: Some(opener),
        buf: vec![0u8; 4 * SEALED_CHUNK],
    };
    let stream = futures_util::stream::try_unfold(reading, next_piece);
    let file = opened.file;
    let inline = wanted == Disposition::Inline && is_inline(&file.content_type);
    let mut res = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let h = res.headers_mut();
    let header_value =
        |s: &str| HeaderValue::from_str(s).map_err(|_| Error::Internal("header value".into()));
    h.insert(CONTENT_TYPE, header_value(served_type(&file.content_type))?);
    h.insert(CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(
        CONTENT_DISPOSITION,
        header_value(&content_disposition(&file.name, inline))?,
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    // Nothing in a file may run: no scripts, no plugins, its own origin (sandbox) except for
    // PDF, which the browser's viewer must be allowed to show.
    let csp = if file.content_type == "application/pdf" && inline {
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    } else {
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
    };
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    res.extensions_mut().insert(OwnCsp);
    Ok(res)
}

async fn read_exact(reader: &mut dyn BlobReader, buf: &mut [u8]) -> Result<(), Error> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = reader.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Err(Error::Internal("blob shorter than its header".into()));
        }
        filled += n;
    }
    Ok(())
}

struct Reading {
    reader: Box<dyn BlobReader>,
    opener: Option<StreamOpener>,
    buf: Vec<u8>,
}

/// The next piece of plaintext, or the end. A blob that fails to open (tampered, cut off)
/// ends the response with an error, so the client sees a broken download, never wrong bytes
/// presented as complete.
async fn next_piece(mut r: Reading) -> Result<Option<(Bytes, Reading)>, std::io::Error> {
    let fail = |what: String| {
        tracing::error!(error = %what, "file could not be read back");
        std::io::Error::other("file could not be read back")
    };
    loop {
        let Some(opener) = r.opener.as_mut() else {
            return Ok(None);
        };
        let n = r
            .reader
            .read(&mut r.buf)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut out = Vec::with_capacity(n + SEALED_CHUNK);
        if n == 0 {
            if let Some(last) = r.opener.take() {
                last.finish(&mut out).map_err(|e| fail(e.to_string()))?;
            }
            return Ok(Some((Bytes::from(out), r)));
        }
        opener
            .update(&r.buf[..n], &mut out)
            .map_err(|e| fail(e.to_string()))?;
        if !out.is_empty() {
            return Ok(Some((Bytes::from(out), r)));
        }
    }
}
