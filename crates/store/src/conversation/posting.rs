//! Storing a message: a new chat message goes to the message writer (`message_writer.rs`);
//! why a message was not stored.

use spreekuur_domain::account::Account;
use spreekuur_domain::conversation::{Posted, parse_body, parse_client_id};
use spreekuur_domain::{ConversationId, Error, FileId, MessageId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};
use tokio::sync::oneshot;

use crate::message_writer::PostRequest;
use crate::{Db, db_err, is_unique_violation};

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

/// Stores a message (sealed) at the conversation's next position, with the file it carries if
/// any; the sender has read up to it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_message(
    db: &Db,
    conn: &mut AnyConnection,
    conversation: &ConversationId,
    sender: &UserId,
    body: &str,
    file: Option<&FileId>,
    client_id: Option<&str>,
    now: Timestamp,
) -> Result<(MessageId, i64), InsertError> {
    let id = MessageId::new();
    let sealed = db
        .seal("messages", "body", id.as_str(), body)
        .map_err(InsertError::Store)?;
    let row = sqlx::query("UPDATE conversations SET last_seq = last_seq + 1, last_activity = $1 WHERE id = $2 RETURNING last_seq")
        .bind(now.millis())
        .bind(conversation.as_str())
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = row.try_get("last_seq")?;
    sqlx::query("INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at, client_id, file_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(id.as_str())
        .bind(conversation.as_str())
        .bind(seq)
        .bind(sender.as_str())
        .bind(sealed)
        .bind(now.millis())
        .bind(client_id.map(str::to_string))
        .bind(file.map(|f| f.as_str().to_string()))
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE conversation_members SET last_read_seq = $1 WHERE conversation_id = $2 AND user_id = $3")
        .bind(seq)
        .bind(conversation.as_str())
        .bind(sender.as_str())
        .execute(&mut *conn)
        .await?;
    Ok((id, seq))
}

impl Db {
    /// Checks a chat message and hands it to the message writer; the answer comes after its commit.
    pub(super) async fn hand_to_writer(
        &self,
        id: &ConversationId,
        sender: &Account,
        body: &str,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<Posted, Error> {
        let body = parse_body(body)?;
        let client_id = match client_id {
            Some(c) => parse_client_id(c)?,
            None => None,
        };
        let (reply, answer) = oneshot::channel();
        let req = PostRequest {
            conversation: id.clone(),
            sender: sender.clone(),
            body,
            client_id,
            now,
            client: client.to_string(),
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
