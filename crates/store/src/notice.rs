//! E-mail notices of unread messages and the presence of open sockets. Any node may look for
//! due notices; the conditional UPDATE that starts a person's next window decides which node
//! sends, in the same transaction as the e-mail's outbox row.

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::ports::NoticeStore;
use spreekuur_domain::{StoreError, Timestamp, UserId};

use crate::account::{ACCOUNT_COLUMNS, account_from_row};
use crate::{Db, db_err, outbox};

#[async_trait]
impl NoticeStore for Db {
    async fn set_present(
        &self,
        socket: &str,
        user: &UserId,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO presence (socket_id, user_id, until_at) VALUES ($1, $2, $3)
             ON CONFLICT (socket_id) DO UPDATE SET until_at = excluded.until_at",
        )
        .bind(socket)
        .bind(user.as_str())
        .bind(until.millis())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_absent(&self, socket: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM presence WHERE socket_id = $1")
            .bind(socket)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_notify_email(&self, user: &UserId, on: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET notify_email = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(user.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn due_notices(
        &self,
        now: Timestamp,
        window_ms: i64,
    ) -> Result<Vec<Account>, StoreError> {
        // Stale presence rows (a node that died) are cleared on the way.
        sqlx::query("DELETE FROM presence WHERE until_at < $1")
            .bind(now.millis())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users u
              WHERE u.notify_email = 1 AND u.active = 1
                AND (u.notified_at IS NULL OR u.notified_at <= $1)
                AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.user_id = u.id AND p.until_at >= $2)
                AND EXISTS (
                    SELECT 1 FROM conversation_members m
                      JOIN messages msg ON msg.conversation_id = m.conversation_id AND msg.seq > m.last_read_seq
                     WHERE m.user_id = u.id AND m.left_at IS NULL AND msg.sender_id <> u.id
                       AND msg.created_at > COALESCE(u.notified_at, 0))
              LIMIT 500"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.millis() - window_ms)
            .bind(now.millis())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(account_from_row).collect()
    }

    async fn send_notice(
        &self,
        user: &UserId,
        now: Timestamp,
        window_ms: i64,
        mail: &Outgoing,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let claimed = sqlx::query(
            "UPDATE users SET notified_at = $1
              WHERE id = $2 AND notify_email = 1 AND (notified_at IS NULL OR notified_at <= $3)",
        )
        .bind(now.millis())
        .bind(user.as_str())
        .bind(now.millis() - window_ms)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        outbox::enqueue(self, &mut tx, mail, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
