//! Authenticator-app credentials. The secret is sealed with the key ring, bound to its user.

use async_trait::async_trait;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::ports::{TotpRecord, TotpStore};
use spreekuur_domain::{StoreError, Timestamp, UserId};
use sqlx::Row;

use crate::{Db, audit, db_err};

#[async_trait]
impl TotpStore for Db {
    async fn begin_totp(
        &self,
        user: &UserId,
        secret: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let sealed = self.seal_bytes("totp_credentials", "secret", user.as_str(), secret)?;
        let mut tx = self.write().await?;
        // An enabled credential is only replaced by turning it off first.
        sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1 AND enabled = 0")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO totp_credentials (user_id, secret, enabled, created_at) VALUES ($1, $2, 0, $3)")
            .bind(user.as_str())
            .bind(sealed)
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn totp(&self, user: &UserId) -> Result<Option<TotpRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT secret, enabled, last_step, (SELECT COUNT(*) FROM backup_codes b WHERE b.user_id = t.user_id AND b.used_at IS NULL) AS left_codes
               FROM totp_credentials t WHERE user_id = $1",
        )
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let sealed: Vec<u8> = r.try_get("secret").map_err(db_err)?;
        Ok(Some(TotpRecord {
            secret: self.open_bytes("totp_credentials", "secret", user.as_str(), &sealed)?,
            enabled: r.try_get::<i64, _>("enabled").map_err(db_err)? != 0,
            last_step: r.try_get("last_step").map_err(db_err)?,
            backup_codes_left: r.try_get("left_codes").map_err(db_err)?,
        }))
    }

    async fn enable_totp(
        &self,
        user: &UserId,
        step: i64,
        backup_hashes: &[Vec<u8>],
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE totp_credentials SET enabled = 1, last_step = $1 WHERE user_id = $2")
            .bind(step)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for h in backup_hashes {
            sqlx::query("INSERT INTO backup_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.as_str())
                .bind(h.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE totp_credentials SET last_step = $1 WHERE user_id = $2 AND enabled = 1 AND (last_step IS NULL OR last_step < $1)")
            .bind(step)
            .bind(user.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn use_backup_code(
        &self,
        user: &UserId,
        hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE backup_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now.millis())
            .bind(user.as_str())
            .bind(hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn disable_totp(&self, user: &UserId, audit_rec: &AuditRecord) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }
}
