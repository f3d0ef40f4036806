//! Conversations and messages. The server assigns each message its place in the conversation
//! (`seq`) inside the transaction that stores it, from the conversation row's counter, so the
//! order is total and gap-free on both backends.

use async_trait::async_trait;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{
    ConversationSummary, Message, Posted, Thread, parse_body, parse_client_id,
};
use spreekuur_domain::file::{Attachment, FileKind};
use spreekuur_domain::ports::ConversationStore;
use spreekuur_domain::{ConversationId, Error, FileId, MessageId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use tokio::sync::oneshot;

use crate::columns::Columns;
use crate::message_writer::PostRequest;
use crate::{Db, audit, db_err, internal, is_unique_violation};

/// Opens a 1:1 conversation between `a` and `b`, or returns the one they already share; true
/// when this call made it. Two calls at once for one pair make one conversation: the pair's key
/// is unique, and the second insert waits for the first and then finds it.
pub(crate) async fn direct_conversation(
    conn: &mut AnyConnection,
    a: &UserId,
    b: &UserId,
    now: Timestamp,
) -> Result<(ConversationId, bool), StoreError> {
    let existing = sqlx::query(
        "SELECT c.id FROM conversations c
           JOIN conversation_members ma ON ma.conversation_id = c.id AND ma.user_id = $1 AND ma.left_at IS NULL
           JOIN conversation_members mb ON mb.conversation_id = c.id AND mb.user_id = $2 AND mb.left_at IS NULL
          WHERE c.kind = 'direct' LIMIT 1",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if let Some(row) = existing {
        return Ok((
            ConversationId::from_stored(row.try_get("id").map_err(db_err)?),
            false,
        ));
    }
    let key = if a.as_str() < b.as_str() {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    };
    let id = ConversationId::new();
    let inserted = sqlx::query(
        "INSERT INTO conversations (id, kind, created_at, last_activity, last_seq, direct_key)
         VALUES ($1, 'direct', $2, $2, 0, $3) ON CONFLICT (direct_key) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(now.millis())
    .bind(key.clone())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    if inserted == 0 {
        let row = sqlx::query("SELECT id FROM conversations WHERE direct_key = $1")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        return Ok((
            ConversationId::from_stored(row.try_get("id").map_err(db_err)?),
            false,
        ));
    }
    for member in [a, b] {
        sqlx::query("INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(member.as_str())
            .bind(now.millis())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok((id, true))
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

/// A person from a row with `id`, `role`, `first_name` and `last_name`.
pub(crate) fn person_from_row(
    r: &sqlx::any::AnyRow,
) -> Result<spreekuur_domain::group::Person, StoreError> {
    let role: String = r.try_get("role").map_err(db_err)?;
    Ok(spreekuur_domain::group::Person {
        id: UserId::from_stored(r.try_get("id").map_err(db_err)?),
        name: format!(
            "{} {}",
            r.try_get::<String, _>("first_name").map_err(db_err)?,
            r.try_get::<String, _>("last_name").map_err(db_err)?
        ),
        role: Role::parse(&role).unwrap_or(Role::Patient),
    })
}

/// Leaves out of a query over `messages m` what the user bound as `$reader` did not see: what
/// was said while they were out of the conversation (see `join_conversation`).
pub(crate) fn seen_by(reader: usize) -> String {
    format!(
        " AND NOT EXISTS (SELECT 1 FROM member_gaps g WHERE g.conversation_id = m.conversation_id
            AND g.user_id = ${reader} AND m.seq BETWEEN g.from_seq AND g.to_seq)"
    )
}

/// Puts `user` in conversation `id`: back in after a removal, or new. Back in, what was said
/// while they were out stays hidden from them (and is not unread).
pub(crate) async fn join_conversation(
    conn: &mut AnyConnection,
    id: &str,
    user: &UserId,
    now: Timestamp,
) -> Result<(), Error> {
    let out = sqlx::query(
        "SELECT m.left_seq, c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.left_at IS NOT NULL",
    )
    .bind(id)
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    if let Some(row) = out {
        let left: Option<i64> = row.try_get("left_seq").map_err(internal)?;
        let last: i64 = row.try_get("last_seq").map_err(internal)?;
        if let Some(left) = left.filter(|l| *l < last) {
            sqlx::query(
                "INSERT INTO member_gaps (conversation_id, user_id, from_seq, to_seq) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(user.as_str())
            .bind(left + 1)
            .bind(last)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        }
        sqlx::query(
            "UPDATE conversation_members SET last_read_seq = $1 WHERE conversation_id = $2 AND user_id = $3",
        )
        .bind(last)
        .bind(id)
        .bind(user.as_str())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    }
    let back = sqlx::query(
        "UPDATE conversation_members SET left_at = NULL, left_seq = NULL, joined_at = $1
          WHERE conversation_id = $2 AND user_id = $3",
    )
    .bind(now.millis())
    .bind(id)
    .bind(user.as_str())
    .execute(&mut *conn)
    .await
    .map_err(internal)?
    .rows_affected();
    if back == 0 {
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(user.as_str())
        .bind(now.millis())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    }
    Ok(())
}

/// The members of a conversation who are still in it: (id, role, display name).
pub(crate) async fn members(
    conn: &mut AnyConnection,
    id: &ConversationId,
) -> Result<Vec<(UserId, Role, String)>, StoreError> {
    members_with(conn, id, "").await
}

async fn members_with(
    conn: &mut AnyConnection,
    id: &ConversationId,
    lock: &str,
) -> Result<Vec<(UserId, Role, String)>, StoreError> {
    let sql = format!(
        "SELECT u.id, u.role, u.first_name, u.last_name FROM conversation_members m JOIN users u ON u.id = m.user_id
          WHERE m.conversation_id = $1 AND m.left_at IS NULL ORDER BY u.last_name{lock}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role").map_err(db_err)?;
            Ok((
                UserId::from_stored(r.try_get("id").map_err(db_err)?),
                Role::parse(&role).unwrap_or(Role::Patient),
                format!(
                    "{} {}",
                    r.try_get::<String, _>("first_name").map_err(db_err)?,
                    r.try_get::<String, _>("last_name").map_err(db_err)?
                ),
            ))
        })
        .collect()
}

/// A team conversation as staff see it: "Planbureau – Piet Post".
fn team_title(team: &str, patients: &[&str]) -> String {
    if patients.is_empty() {
        team.to_string()
    } else {
        format!("{team} – {}", patients.join(", "))
    }
}

pub(crate) fn title_for(viewer: &UserId, members: &[(UserId, Role, String)]) -> String {
    members
        .iter()
        .filter(|(id, _, _)| id != viewer)
        .map(|(_, _, n)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The patient in a conversation, for the audit record of a staff member's access.
pub(crate) fn patient_of(members: &[(UserId, Role, String)]) -> Option<&UserId> {
    members
        .iter()
        .find(|(_, r, _)| *r == Role::Patient)
        .map(|(id, _, _)| id)
}

/// As `members_of`, in a write transaction that stores something for these members: on
/// PostgreSQL their rows stay locked until the commit, so nobody removed meanwhile is among
/// those it is delivered to (`Backend::lock_members_sql`).
pub(crate) async fn members_of_locked(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    id: &ConversationId,
    user: &UserId,
) -> Result<Vec<(UserId, Role, String)>, Error> {
    let members = members_with(conn, id, backend.lock_members_sql()).await?;
    if members.iter().any(|(m, _, _)| m == user) {
        Ok(members)
    } else {
        Err(Error::NotFound)
    }
}

/// Checks membership inside a transaction: the current members, or `NotFound`.
pub(crate) async fn members_of(
    conn: &mut AnyConnection,
    id: &ConversationId,
    user: &UserId,
) -> Result<Vec<(UserId, Role, String)>, Error> {
    let members = members(conn, id).await?;
    if members.iter().any(|(m, _, _)| m == user) {
        Ok(members)
    } else {
        Err(Error::NotFound)
    }
}

/// How far every other member has read, counting whoever does not send read receipts as not
/// having read; 0 when the practice shows none.
async fn read_by_others(
    conn: &mut AnyConnection,
    id: &ConversationId,
    viewer: &UserId,
) -> Result<i64, Error> {
    let read = sqlx::query(
        "SELECT MIN(CASE WHEN u.send_read_receipts = 1 THEN m.last_read_seq ELSE 0 END) AS up_to,
                (SELECT read_receipts FROM practice WHERE id = 1) AS receipts
           FROM conversation_members m JOIN users u ON u.id = m.user_id
          WHERE m.conversation_id = $1 AND m.user_id <> $2 AND m.left_at IS NULL",
    )
    .bind(id.as_str())
    .bind(viewer.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    let receipts: Option<i64> = read.try_get("receipts").map_err(internal)?;
    Ok(match receipts {
        Some(1) => read
            .try_get::<Option<i64>, _>("up_to")
            .map_err(internal)?
            .unwrap_or(0),
        _ => 0,
    })
}

#[async_trait]
impl ConversationStore for Db {
    async fn open_direct(
        &self,
        a: &UserId,
        b: &UserId,
        now: Timestamp,
    ) -> Result<(ConversationId, bool), StoreError> {
        let mut tx = self.write().await?;
        let opened = direct_conversation(&mut tx, a, b, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(opened)
    }

    async fn conversations_for(
        &self,
        user: &UserId,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, c.kind, c.last_activity, c.last_seq, mine.last_read_seq,
                    u.id AS member_id, u.role, u.first_name, u.last_name
               FROM conversation_members mine
               JOIN conversations c ON c.id = mine.conversation_id
               JOIN conversation_members other ON other.conversation_id = c.id AND other.left_at IS NULL
               JOIN users u ON u.id = other.user_id
              WHERE mine.user_id = $1 AND mine.left_at IS NULL
              ORDER BY c.last_activity DESC, c.id, u.last_name, u.first_name",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        // Per conversation: its summary, whether it is a team's, and the other members.
        let mut list: Vec<(ConversationSummary, bool, Vec<(String, String)>)> = Vec::new();
        let mut viewer_is_staff = false;
        for r in &rows {
            let id = ConversationId::from_stored(r.try_get("id").map_err(db_err)?);
            if list.last().is_none_or(|(c, _, _)| c.id != id) {
                let kind: String = r.try_get("kind").map_err(db_err)?;
                let last_seq: i64 = r.try_get("last_seq").map_err(db_err)?;
                let read: i64 = r.try_get("last_read_seq").map_err(db_err)?;
                list.push((
                    ConversationSummary {
                        id,
                        title: r
                            .try_get::<Option<String>, _>("name")
                            .map_err(db_err)?
                            .unwrap_or_default(),
                        last_activity: Timestamp(r.try_get("last_activity").map_err(db_err)?),
                        last_seq,
                        unread: (last_seq - read).max(0),
                    },
                    kind == "team",
                    Vec::new(),
                ));
            }
            let member: String = r.try_get("member_id").map_err(db_err)?;
            let role: String = r.try_get("role").map_err(db_err)?;
            if member == user.as_str() {
                viewer_is_staff = role != "patient";
            } else if let Some((_, _, names)) = list.last_mut() {
                names.push((
                    format!(
                        "{} {}",
                        r.try_get::<String, _>("first_name").map_err(db_err)?,
                        r.try_get::<String, _>("last_name").map_err(db_err)?
                    ),
                    role,
                ));
            }
        }
        Ok(list
            .into_iter()
            .map(|(mut c, team, names)| {
                if team && viewer_is_staff {
                    // Staff see which patient wrote to the team.
                    let patients: Vec<&str> = names
                        .iter()
                        .filter(|(_, r)| r == "patient")
                        .map(|(n, _)| n.as_str())
                        .collect();
                    c.title = team_title(&c.title, &patients);
                } else if c.title.is_empty() {
                    c.title = names
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                }
                c
            })
            .collect())
    }

    async fn read_conversation(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
        newest: i64,
    ) -> Result<Thread, Error> {
        let mut tx = self.write().await?;
        let members = members_of(&mut tx, id, &reader.id).await?;
        // A staff member reading a patient's conversation is on record before anything is shown.
        if reader.role.is_staff()
            && let Some(patient) = patient_of(&members)
        {
            let rec = AuditRecord::new(now, Action::ConversationRead, client)
                .actor(&reader.id)
                .patient(patient)
                .object(id);
            audit::append(&mut tx, &rec).await?;
        }
        let meta = sqlx::query(
            "SELECT name, kind, last_activity, last_seq FROM conversations WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let last_seq: i64 = meta.try_get("last_seq").map_err(internal)?;
        // Reading the conversation is reading all of it.
        sqlx::query("UPDATE conversation_members SET last_read_seq = $1 WHERE conversation_id = $2 AND user_id = $3")
            .bind(last_seq)
            .bind(id.as_str())
            .bind(reader.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let read_up_to = read_by_others(&mut tx, id, &reader.id).await?;
        // The newest, and one more to tell whether there are earlier ones.
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}
              WHERE m.conversation_id = $1{} ORDER BY m.seq DESC LIMIT $3",
            seen_by(2)
        );
        let newest = newest.max(1);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .bind(reader.id.as_str())
            .bind(newest.saturating_add(1))
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        let earlier = rows.len() as i64 > newest;
        let mut messages = rows
            .iter()
            .take(newest as usize)
            .map(|r| self.message_from_row(id, r))
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        let name: Option<String> = meta.try_get("name").map_err(internal)?;
        let kind: String = meta.try_get("kind").map_err(internal)?;
        let title = match name {
            Some(team) if kind == "team" && reader.role.is_staff() => {
                let patients: Vec<&str> = members
                    .iter()
                    .filter(|(_, r, _)| *r == Role::Patient)
                    .map(|(_, _, n)| n.as_str())
                    .collect();
                team_title(&team, &patients)
            }
            Some(name) => name,
            None => title_for(&reader.id, &members),
        };
        let summary = ConversationSummary {
            id: id.clone(),
            title,
            last_activity: Timestamp(meta.try_get("last_activity").map_err(internal)?),
            last_seq,
            unread: 0,
        };
        Ok(Thread {
            summary,
            messages,
            earlier,
            read_up_to,
        })
    }

    async fn post_message(
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

    async fn messages_after(
        &self,
        id: &ConversationId,
        reader: &UserId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, reader).await?;
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}
              WHERE m.conversation_id = $1 AND m.seq > $2{} ORDER BY m.seq LIMIT $3",
            seen_by(4)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .bind(after)
            .bind(limit)
            .bind(reader.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        rows.iter().map(|r| self.message_from_row(id, r)).collect()
    }

    async fn record_read(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        if !reader.role.is_staff() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        let members = members_of(&mut tx, id, &reader.id).await?;
        if let Some(patient) = patient_of(&members) {
            let rec = AuditRecord::new(now, Action::ConversationRead, client)
                .actor(&reader.id)
                .patient(patient)
                .object(id);
            audit::append(&mut tx, &rec).await?;
        }
        tx.commit().await.map_err(internal)
    }

    async fn mark_read(&self, id: &ConversationId, reader: &UserId, seq: i64) -> Result<(), Error> {
        // Never backwards, and never past the newest message.
        let n = sqlx::query(
            "UPDATE conversation_members
                SET last_read_seq = (SELECT CASE WHEN $1 < c.last_seq THEN $1 ELSE c.last_seq END FROM conversations c WHERE c.id = $2)
              WHERE conversation_id = $2 AND user_id = $3 AND left_at IS NULL AND last_read_seq < $1",
        )
        .bind(seq)
        .bind(id.as_str())
        .bind(reader.as_str())
        .execute(&self.pool)
        .await
        .map_err(internal)?
        .rows_affected();
        if n == 0 {
            let mut conn = self.pool.acquire().await.map_err(internal)?;
            members_of(&mut conn, id, reader).await?;
        }
        Ok(())
    }

    async fn read_up_to(&self, id: &ConversationId, viewer: &UserId) -> Result<i64, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, viewer).await?;
        read_by_others(&mut conn, id, viewer).await
    }

    async fn set_external_id(
        &self,
        id: &ConversationId,
        by: &Account,
        external_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        if !by.role.is_staff() {
            return Err(Error::NotFound);
        }
        let value = match external_id.map(str::trim) {
            None | Some("") => None,
            Some(v)
                if v.chars().count() <= 64
                    && v.chars().all(|c| c.is_ascii_graphic() || c == ' ') =>
            {
                Some(v.to_string())
            }
            Some(_) => {
                return Err(Error::invalid(
                    "external_id",
                    "1 to 64 printable characters",
                ));
            }
        };
        let mut tx = self.write().await?;
        let members = members_of(&mut tx, id, &by.id).await?;
        sqlx::query("UPDATE conversations SET external_id = $1 WHERE id = $2")
            .bind(value)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let mut rec = AuditRecord::new(now, Action::ExternalIdSet, client)
            .actor(&by.id)
            .object(id);
        if let Some(p) = patient_of(&members) {
            rec = rec.patient(p);
        }
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn conversations_by_external_id(
        &self,
        user: &UserId,
        external_id: &str,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        // External ids are printable ASCII (set_external_id): one with a NUL matches nothing.
        if external_id.contains('\0') {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = sqlx::query(
            "SELECT c.id FROM conversations c
               JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $1 AND m.left_at IS NULL
              WHERE c.external_id = $2",
        )
        .bind(user.as_str())
        .bind(external_id.trim())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .conversations_for(user)
            .await?
            .into_iter()
            .filter(|c| ids.iter().any(|i| i == c.id.as_str()))
            .collect())
    }

    async fn external_id(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<String>, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, viewer).await?;
        sqlx::query("SELECT external_id FROM conversations WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?
            .try_get("external_id")
            .map_err(internal)
    }

    async fn conversation_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Vec<spreekuur_domain::group::Person>, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        Ok(members_of(&mut conn, id, viewer)
            .await?
            .into_iter()
            .map(|(id, role, name)| spreekuur_domain::group::Person { id, name, role })
            .collect())
    }
}
