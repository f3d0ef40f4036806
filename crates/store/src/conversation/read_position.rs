//! How far each member has read: their own position (never backwards), and how far the others
//! have, as read receipts show it.

use spreekuur_domain::{ConversationId, Error, UserId};
use sqlx::{AnyConnection, Row};

use super::membership::members_of;
use crate::{Db, internal};

/// How far every other member has read, counting whoever does not send read receipts as not
/// having read; 0 when the practice shows none.
pub(super) async fn read_by_others(
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

impl Db {
    /// Moves `reader`'s read position forward to `seq`.
    pub(super) async fn move_read_position(
        &self,
        id: &ConversationId,
        reader: &UserId,
        seq: i64,
    ) -> Result<(), Error> {
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

    /// How far the other members of `id` have read, as `viewer` may see it.
    pub(super) async fn read_by_others_of(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<i64, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, viewer).await?;
        read_by_others(&mut conn, id, viewer).await
    }
}
