//! Messages as rows: the columns a message is read with, and a row opened into a message (with
//! the file it carries). Every reader of messages uses these, the message writer too.

use spreekuur_domain::conversation::Message;
use spreekuur_domain::file::{Attachment, FileKind};
use spreekuur_domain::{ConversationId, Error, FileId, MessageId, Timestamp, UserId};
use sqlx::AnyConnection;

use crate::columns::Columns;
use crate::{Db, internal};

pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.seq, m.sender_id, m.body, m.created_at, m.client_id, u.first_name, u.last_name,
     f.id AS file_id, f.name AS file_name, f.size AS file_size, f.content_type AS file_type, f.kind AS file_kind";
/// Messages with their sender and the file they carry.
pub(crate) const MESSAGE_FROM: &str =
    "messages m JOIN users u ON u.id = m.sender_id LEFT JOIN files f ON f.id = m.file_id";

impl Db {
    /// The file columns of a row (prefixed `file_`), opened.
    pub(crate) fn attachment_from_row(
        &self,
        r: &impl Columns,
    ) -> Result<Option<Attachment>, Error> {
        let Some(fid) = r.maybe_text("file_id")? else {
            return Ok(None);
        };
        let name = r.bytes("file_name")?;
        let kind = r.text("file_kind")?;
        Ok(Some(Attachment {
            name: self.open("files", "name", &fid, &name)?,
            id: FileId::from_stored(fid),
            size: u64::try_from(r.int("file_size")?).unwrap_or_default(),
            content_type: r.text("file_type")?,
            kind: FileKind::parse(&kind).unwrap_or(FileKind::Other),
        }))
    }

    pub(crate) fn message_from_row(
        &self,
        conversation: &ConversationId,
        r: &impl Columns,
    ) -> Result<Message, Error> {
        let mid = r.text("id")?;
        let sealed = r.bytes("body")?;
        Ok(Message {
            file: self.attachment_from_row(r)?,
            body: self.open("messages", "body", &mid, &sealed)?,
            id: MessageId::from_stored(mid),
            conversation: conversation.clone(),
            seq: r.int("seq")?,
            sender: UserId::from_stored(r.text("sender_id")?),
            sender_name: format!("{} {}", r.text("first_name")?, r.text("last_name")?),
            sent_at: Timestamp(r.int("created_at")?),
            client_id: r.maybe_text("client_id")?,
        })
    }

    /// The message `sender` stored earlier under `client_id`, if any.
    pub(crate) async fn by_client_id(
        &self,
        conn: &mut AnyConnection,
        conversation: &ConversationId,
        sender: &UserId,
        client_id: &str,
    ) -> Result<Option<Message>, Error> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}
              WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_id = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(conversation.as_str())
            .bind(sender.as_str())
            .bind(client_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
        row.map(|r| self.message_from_row(conversation, &r))
            .transpose()
    }
}

/// Leaves out of a query over `messages m` what the user bound as `$reader` did not see: what
/// was said while they were out of the conversation (see `join_conversation`).
pub(crate) fn seen_by(reader: usize) -> String {
    format!(
        " AND NOT EXISTS (SELECT 1 FROM member_gaps g WHERE g.conversation_id = m.conversation_id
            AND g.user_id = ${reader} AND m.seq BETWEEN g.from_seq AND g.to_seq)"
    )
}
