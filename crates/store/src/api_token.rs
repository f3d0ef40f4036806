//! Personal access tokens: only the keyed hash of each secret is stored.

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::ports::{ApiToken, ApiTokenStore};
use spreekuur_domain::{StoreError, Timestamp, TokenId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::account::{ACCOUNT_COLUMNS, account_from_row};
use crate::{Db, audit, db_err};

const COLUMNS: &str = "t.id AS token_id, t.user_id, t.name, t.rate_per_minute, t.created_at AS token_created_at, t.last_used_at";

fn token_from_row(r: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: TokenId::from_stored(r.try_get("token_id").map_err(db_err)?),
        user: UserId::from_stored(r.try_get("user_id").map_err(db_err)?),
        name: r.try_get("name").map_err(db_err)?,
        rate_per_minute: r.try_get("rate_per_minute").map_err(db_err)?,
        created_at: Timestamp::from_millis(r.try_get("token_created_at").map_err(db_err)?),
        last_used_at: r
            .try_get::<Option<i64>, _>("last_used_at")
            .map_err(db_err)?
            .map(Timestamp::from_millis),
    })
}

/// Revokes every live token of `user`, inside the caller's transaction: taking an account back
/// (a new password, "sign out everywhere", a second step reset) takes its tokens too.
pub(crate) async fn revoke_all(
    conn: &mut sqlx::AnyConnection,
    user: &UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now.millis())
        .bind(user.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl ApiTokenStore for Db {
    async fn create_token(
        &self,
        token: &ApiToken,
        hash: &[u8],
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, rate_per_minute, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(token.id.as_str())
            .bind(token.user.as_str())
            .bind(token.name.clone())
            .bind(hash.to_vec())
            .bind(token.rate_per_minute)
            .bind(token.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn token_account(
        &self,
        hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(ApiToken, Account)>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS}, {ACCOUNT_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
              WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let token = token_from_row(&r)?;
        let account = account_from_row(&r)?;
        if token
            .last_used_at
            .is_none_or(|at| now.millis() - at.millis() > 60_000)
        {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.millis())
                .bind(token.id.as_str())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        Ok(Some((token, account)))
    }

    async fn tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM api_tokens t WHERE t.user_id = $1 AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_token(
        &self,
        user: &UserId,
        id: &TokenId,
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now.millis())
            .bind(id.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn set_token_rate(
        &self,
        id: &TokenId,
        rate_per_minute: Option<i64>,
        audit_rec: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE api_tokens SET rate_per_minute = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(rate_per_minute)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
