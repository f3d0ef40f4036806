//! Every message is stored here, by one set of rules: a chat message, a file's message and an
//! invitation's note alike.
//!
//! New chat messages are stored in batches. Every `write_message` (the domain's `MessageWriter`
//! port, called by `conversation::send`) hands its message to the one writer of this process; the writer takes whatever has queued up meanwhile (at most
//! `MAX_BATCH`) and stores it all in one transaction: one commit, one flush to disk. A sender
//! hears back only after that commit, so nothing is acknowledged before it is durable. Alone, a
//! message is a batch of one and waits for nothing; under load the batches grow by themselves.
//!
//! A batch is the same few steps however many messages it holds:
//!
//! 1. read, in the transaction: the members of the batch's conversations with the
//!    conversations' positions, the earlier messages of any retried client ids, and the audit
//!    trail's head (`Found`). PostgreSQL locks what it reads (members, positions, head) until
//!    the commit;
//! 2. decide, here (`plan`): each message is judged on its own (a sender who is no member gets
//!    `NotFound`; a retry gets the message its first attempt stored), the new ones get their
//!    positions, and the audit records their place in the chain;
//! 3. write: positions, messages, the senders' read positions, the audit records and the head;
//!    then commit.
//!
//! On SQLite the writer is a thread of its own with its own connection (`sqlite`), which runs
//! every statement of a batch itself: through sqlx each round trip was a hand-off to sqlx's
//! worker thread and back, about 130 µs under load (BENCHMARKS.md). On PostgreSQL it is a task
//! with a connection of its own, and a batch is four round trips (`postgres`).
//!
//! A message that must commit with something else (a file's message with its file, an
//! invitation's note with the accepted account and its conversation) is stored by `write_in`
//! inside the caller's transaction: the same three steps, the same `plan`, and the statements
//! SQLite's writer runs (`statements`), through sqlx on either database.
//!
//! When the batch as a whole fails (on PostgreSQL, a retry racing its first attempt through
//! another node), it is tried once more whole, and then its messages are stored one by one, so
//! one message cannot fail the others.

mod plan;
mod postgres;
mod sqlite;
mod statements;

use std::borrow::Borrow;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use async_trait::async_trait;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::conversation::Posted;
use spreekuur_domain::file::Attachment;
use spreekuur_domain::ports::{ChatMessage, MessageWriter};
use spreekuur_domain::{ConversationId, Error, StoreError, Timestamp, UserId};
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use crate::{Backend, Db, db_err, is_unique_violation};
use plan::{Found, answers, plan};

/// A checked message to store.
pub(crate) struct NewMessage {
    pub conversation: ConversationId,
    pub sender: UserId,
    /// The sender's name as the answer shows it.
    pub sender_name: String,
    pub body: String,
    pub client_id: Option<String>,
    /// The file it carries: already stored, waiting for this message (`files.message_id`).
    pub file: Option<Attachment>,
    pub now: Timestamp,
    /// What the audit trail says of it (the conversation's patient is added when stored), or
    /// nothing when something else puts it on record.
    pub record: Option<AuditRecord>,
}

/// A chat message on its way to the writer.
pub(crate) struct PostRequest {
    pub message: NewMessage,
    pub reply: oneshot::Sender<Result<Posted, Error>>,
}

impl Borrow<NewMessage> for PostRequest {
    fn borrow(&self) -> &NewMessage {
        &self.message
    }
}

#[async_trait]
impl MessageWriter for Db {
    /// Hands a checked chat message to this process's writer; the answer comes after its
    /// commit.
    async fn write_message(&self, m: ChatMessage) -> Result<Posted, Error> {
        let (reply, answer) = oneshot::channel();
        let req = PostRequest {
            message: NewMessage {
                conversation: m.conversation,
                sender: m.sender,
                sender_name: m.sender_name,
                body: m.body,
                client_id: m.client_id,
                file: None,
                now: m.now,
                record: Some(m.record),
            },
            reply,
        };
        match &self.writer {
            Some(writer) => writer
                .send(req)
                .await
                .map_err(|_| Error::Internal("the message writer has stopped".into()))?,
            // Only the writer's own copy of the database has none, and it posts nothing.
            None => return Err(Error::Internal("no message writer".into())),
        }
        answer
            .await
            .map_err(|_| Error::Internal("the message writer dropped a message".into()))?
    }
}

/// Messages in one transaction at most.
const MAX_BATCH: usize = 128;

/// Starts the writer on a copy of `db` (one without a writer of its own); it stops when the
/// returned sender, and so the `Db` holding it, is dropped. When SQLite's checkpoints raise
/// `catch_up`, the writer finishes one itself between two batches (see `spawn_checkpoints`).
pub(crate) fn spawn(db: Db, catch_up: Arc<AtomicBool>) -> mpsc::Sender<PostRequest> {
    let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
    match db.backend {
        Backend::Sqlite => sqlite::spawn(db, rx, catch_up),
        Backend::Postgres => postgres::spawn(db, rx),
    }
    tx
}

/// Stores `messages` inside the caller's transaction `conn` (which the caller commits, or not):
/// steps 1 to 3 of a batch (see above) with the statements of SQLite's writer, run through
/// sqlx. An answer per message, in order: `NotFound` for a sender who is no member, the
/// earlier message for a client id already used.
pub(crate) async fn write_in(
    db: &Db,
    conn: &mut AnyConnection,
    messages: &[NewMessage],
) -> Result<Vec<Result<Posted, Error>>, InsertError> {
    let mut found = Found::default();
    for part in statements::read_parts(db.backend, messages) {
        for row in part.fetch_all(&mut *conn).await? {
            found.add(db, &row)?;
        }
    }
    let planned = plan(db, messages, found)?;
    for stmt in statements::writes(messages, &planned) {
        stmt.execute(&mut *conn).await?;
    }
    Ok(answers(messages, planned))
}

/// Why a message was not stored.
pub(crate) enum InsertError {
    /// The sender already stored a message with this client id (a concurrent retry).
    Duplicate,
    /// PostgreSQL gave up on the transaction because of another one (a deadlock or a
    /// serialisation failure): trying again will do.
    Conflict(StoreError),
    Store(StoreError),
}

impl From<sqlx::Error> for InsertError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) {
            return InsertError::Duplicate;
        }
        let retry = matches!(&e, sqlx::Error::Database(d)
            if matches!(d.code().as_deref(), Some("40001" | "40P01")));
        if retry {
            InsertError::Conflict(db_err(e))
        } else {
            InsertError::Store(db_err(e))
        }
    }
}

impl From<StoreError> for InsertError {
    fn from(e: StoreError) -> Self {
        InsertError::Store(e)
    }
}

impl From<Error> for InsertError {
    fn from(e: Error) -> Self {
        InsertError::Store(StoreError(e.to_string()))
    }
}

impl From<InsertError> for StoreError {
    fn from(e: InsertError) -> Self {
        match e {
            InsertError::Duplicate => StoreError("duplicate client id".into()),
            InsertError::Conflict(s) | InsertError::Store(s) => s,
        }
    }
}

/// The database itself failed for a batch of several: trying the messages one by one would
/// only keep every sender waiting longer. They hear it and may send again.
fn all_failed(messages: usize, e: InsertError) -> Vec<Result<Posted, Error>> {
    let e = StoreError::from(e);
    tracing::error!(error = %e, messages, "a batch of messages was not stored");
    (0..messages)
        .map(|_| Err(Error::Internal(e.0.clone())))
        .collect()
}

/// Hands each sender of `batch` (emptying it) its answer, in order.
fn answer_senders(batch: &mut Vec<PostRequest>, results: Vec<Result<Posted, Error>>) {
    for (req, result) in batch.drain(..).zip(results) {
        // A sender that went away meanwhile finds its message on retry.
        let _ = req.reply.send(result);
    }
}
