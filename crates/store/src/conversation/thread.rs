//! Reading a conversation: its newest messages (reading them is reading all of it), the ones
//! after a position, and a staff member's read on record.

use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{ConversationSummary, Message, Thread};
use spreekuur_domain::{ConversationId, Error, Timestamp, UserId};
use sqlx::Row;

use super::listing::{team_title, title_for};
use super::membership::{members_of, patient_of};
use super::read_position::read_by_others;
use super::rows::{MESSAGE_COLUMNS, MESSAGE_FROM, seen_by};
use crate::{Db, audit, internal};

impl Db {
    /// The newest `newest` messages of `id` (and whether there are earlier ones); the reader has read all of it.
    pub(super) async fn thread(
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

    /// At most `limit` messages of `id` after position `after`, in order.
    pub(super) async fn messages_since(
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

    /// A staff member's read of a patient's conversation, on record.
    pub(super) async fn record_staff_read(
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
}
