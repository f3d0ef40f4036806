//! Browser sessions: the store keeps only the hash of the cookie's random id.

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::ports::SessionStore;
use spreekuur_domain::{StoreError, Timestamp, UserId};

use crate::account::{ACCOUNT_COLUMNS, account_from_row};
use crate::{Db, db_err};

#[async_trait]
impl SessionStore for Db {
    async fn create_session(
        &self,
        id_hash: &[u8],
        user: &UserId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)")
            .bind(id_hash.to_vec())
            .bind(user.as_str())
            .bind(now.millis())
            .bind(expires_at.millis())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn session_account(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1 AND s.stage = 'full'"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_hash.to_vec())
            .bind(now.millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        // Touch at most once a minute, so reading pages does not turn into a write per request.
        let last_seen: i64 = sqlx::Row::try_get(&row, "last_seen_at").map_err(db_err)?;
        if now.millis() - last_seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now.millis())
                .bind(id_hash.to_vec())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        account_from_row(&row).map(Some)
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
