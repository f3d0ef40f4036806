//! Conversations and messages. The server assigns each message its place in the conversation
//! (`seq`) inside the transaction that stores it, from the conversation row's counter, so the
//! order is total and gap-free on both backends.

use std::collections::BTreeMap;

use async_trait::async_trait;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{ConversationSummary, MESSAGE_MAX_CHARS, Message};
use spreekuur_domain::ports::ConversationStore;
use spreekuur_domain::{ConversationId, Error, MessageId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::{Db, audit, db_err, internal};

/// Opens a 1:1 conversation between `a` and `b`, or returns the one they already share.
pub(crate) async fn direct_conversation(
    conn: &mut AnyConnection,
    a: &UserId,
    b: &UserId,
    now: Timestamp,
) -> Result<ConversationId, StoreError> {
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
        return Ok(ConversationId::from_stored(
            row.try_get("id").map_err(db_err)?,
        ));
    }
    let id = ConversationId::new();
    sqlx::query("INSERT INTO conversations (id, kind, created_at, last_activity, last_seq) VALUES ($1, 'direct', $2, $2, 0)")
        .bind(id.as_str())
        .bind(now.millis())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    for member in [a, b] {
        sqlx::query("INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(member.as_str())
            .bind(now.millis())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(id)
}

/// Stores a message (sealed) at the conversation's next position.
pub(crate) async fn insert_message(
    db: &Db,
    conn: &mut AnyConnection,
    conversation: &ConversationId,
    sender: &UserId,
    body: &str,
    now: Timestamp,
) -> Result<(MessageId, i64), StoreError> {
    let row = sqlx::query("UPDATE conversations SET last_seq = last_seq + 1, last_activity = $1 WHERE id = $2 RETURNING last_seq")
        .bind(now.millis())
        .bind(conversation.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let seq: i64 = row.try_get("last_seq").map_err(db_err)?;
    let id = MessageId::new();
    sqlx::query("INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id.as_str())
        .bind(conversation.as_str())
        .bind(seq)
        .bind(sender.as_str())
        .bind(db.seal("messages", "body", id.as_str(), body)?)
        .bind(now.millis())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok((id, seq))
}

/// The members of a conversation who are still in it: (id, role, display name).
async fn members(
    conn: &mut AnyConnection,
    id: &ConversationId,
) -> Result<Vec<(UserId, Role, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.role, u.first_name, u.last_name FROM conversation_members m JOIN users u ON u.id = m.user_id
          WHERE m.conversation_id = $1 AND m.left_at IS NULL ORDER BY u.last_name",
    )
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

fn title_for(viewer: &UserId, members: &[(UserId, Role, String)]) -> String {
    members
        .iter()
        .filter(|(id, _, _)| id != viewer)
        .map(|(_, _, n)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The patient in a conversation, for the audit record of a staff member's access.
fn patient_of(members: &[(UserId, Role, String)]) -> Option<&UserId> {
    members
        .iter()
        .find(|(_, r, _)| *r == Role::Patient)
        .map(|(id, _, _)| id)
}

#[async_trait]
impl ConversationStore for Db {
    async fn conversations_for(
        &self,
        user: &UserId,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.last_activity, u.id AS member_id, u.first_name, u.last_name
               FROM conversation_members mine
               JOIN conversations c ON c.id = mine.conversation_id
               JOIN conversation_members other ON other.conversation_id = c.id AND other.left_at IS NULL
               JOIN users u ON u.id = other.user_id
              WHERE mine.user_id = $1 AND mine.left_at IS NULL
              ORDER BY c.last_activity DESC, c.id, u.last_name",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut order: Vec<String> = Vec::new();
        let mut by_id: BTreeMap<String, (i64, Vec<String>)> = BTreeMap::new();
        for r in &rows {
            let id: String = r.try_get("id").map_err(db_err)?;
            let member: String = r.try_get("member_id").map_err(db_err)?;
            let entry = by_id.entry(id.clone()).or_insert_with(|| {
                order.push(id.clone());
                (0, Vec::new())
            });
            entry.0 = r.try_get("last_activity").map_err(db_err)?;
            if member != user.as_str() {
                entry.1.push(format!(
                    "{} {}",
                    r.try_get::<String, _>("first_name").map_err(db_err)?,
                    r.try_get::<String, _>("last_name").map_err(db_err)?
                ));
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|id| {
                by_id.remove(&id).map(|(last, names)| ConversationSummary {
                    id: ConversationId::from_stored(id),
                    title: names.join(", "),
                    last_activity: Timestamp(last),
                })
            })
            .collect())
    }

    async fn read_conversation(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<(ConversationSummary, Vec<Message>), Error> {
        let mut tx = self.write().await?;
        let members = members(&mut tx, id).await?;
        if !members.iter().any(|(m, _, _)| m == &reader.id) {
            return Err(Error::NotFound);
        }
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
        let meta = sqlx::query("SELECT last_activity FROM conversations WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        let rows = sqlx::query(
            "SELECT m.id, m.seq, m.sender_id, m.body, m.created_at, u.first_name, u.last_name
               FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.conversation_id = $1 ORDER BY m.seq",
        )
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        let mut messages = Vec::with_capacity(rows.len());
        for r in &rows {
            let mid: String = r.try_get("id").map_err(internal)?;
            let sealed: Vec<u8> = r.try_get("body").map_err(internal)?;
            messages.push(Message {
                body: self.open("messages", "body", &mid, &sealed)?,
                id: MessageId::from_stored(mid),
                conversation: id.clone(),
                seq: r.try_get("seq").map_err(internal)?,
                sender: UserId::from_stored(r.try_get("sender_id").map_err(internal)?),
                sender_name: format!(
                    "{} {}",
                    r.try_get::<String, _>("first_name").map_err(internal)?,
                    r.try_get::<String, _>("last_name").map_err(internal)?
                ),
                sent_at: Timestamp(r.try_get("created_at").map_err(internal)?),
            });
        }
        let summary = ConversationSummary {
            id: id.clone(),
            title: title_for(&reader.id, &members),
            last_activity: Timestamp(meta.try_get("last_activity").map_err(internal)?),
        };
        Ok((summary, messages))
    }

    async fn post_message(
        &self,
        id: &ConversationId,
        sender: &Account,
        body: &str,
        now: Timestamp,
        client: &str,
    ) -> Result<Message, Error> {
        let body = spreekuur_domain::validate::parse_text("body", body, MESSAGE_MAX_CHARS)?;
        if body.is_empty() {
            return Err(Error::invalid("body", "message.empty"));
        }
        let mut tx = self.write().await?;
        let members = members(&mut tx, id).await?;
        if !members.iter().any(|(m, _, _)| m == &sender.id) {
            return Err(Error::NotFound);
        }
        let (mid, seq) = insert_message(self, &mut tx, id, &sender.id, &body, now).await?;
        let mut rec = AuditRecord::new(now, Action::MessageSent, client)
            .actor(&sender.id)
            .object(id);
        if let Some(p) = patient_of(&members) {
            rec = rec.patient(p);
        }
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)?;
        Ok(Message {
            id: mid,
            conversation: id.clone(),
            seq,
            sender: sender.id.clone(),
            sender_name: sender.display_name(),
            body,
            sent_at: now,
        })
    }
}
