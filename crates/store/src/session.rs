//! Browser sessions: the store keeps only the hash of the cookie's random id.

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::auth::app_lock::AppLock;
use spreekuur_domain::ports::{PendingStage, SessionDevice, SessionStore, SessionView, SignedIn};
use spreekuur_domain::{Error, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::account::{ACCOUNT_COLUMNS, account_from_row};
use crate::{Db, audit, db_err, internal};

/// Where a session stands: signed in, or waiting for its second step.
#[derive(Clone, Copy)]
pub(crate) enum Stage {
    Full,
    /// Waiting for the e-mailed session code.
    Code,
    /// Waiting for the second factor (authenticator code, backup code or passkey); stored as
    /// `totp`, its name from before passkeys.
    SecondFactor,
    /// Must set up a second factor first.
    Enrol,
}

impl From<PendingStage> for Stage {
    fn from(s: PendingStage) -> Self {
        match s {
            PendingStage::SecondFactor => Stage::SecondFactor,
            PendingStage::Enrol => Stage::Enrol,
            PendingStage::SessionCode => Stage::Code,
        }
    }
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::Code => "code",
            Stage::SecondFactor => "totp",
            Stage::Enrol => "enrol",
        }
    }
}

/// Inserts a session (only the hash of its cookie) with where it was started.
pub(crate) async fn insert_session(
    conn: &mut AnyConnection,
    id_hash: &[u8],
    user: &UserId,
    now: Timestamp,
    expires_at: Timestamp,
    device: &SessionDevice,
    stage: Stage,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, stage, public_id, user_agent, client)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id_hash.to_vec())
    .bind(user.as_str())
    .bind(now.millis())
    .bind(expires_at.millis())
    .bind(stage.as_str())
    .bind(device.public_id.clone())
    .bind(device.user_agent.clone())
    .bind(device.client.clone())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The account behind a live session in `stage`.
pub(crate) async fn account_in_stage(
    db: &Db,
    id_hash: &[u8],
    now: Timestamp,
    stage: Stage,
) -> Result<Option<Account>, StoreError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1 AND s.stage = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id_hash.to_vec())
        .bind(now.millis())
        .bind(stage.as_str())
        .fetch_optional(&db.pool)
        .await
        .map_err(db_err)?;
    row.as_ref().map(account_from_row).transpose()
}

#[async_trait]
impl SessionStore for Db {
    async fn create_session(
        &self,
        id_hash: &[u8],
        user: &UserId,
        now: Timestamp,
        expires_at: Timestamp,
        device: &SessionDevice,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        insert_session(
            &mut conn,
            id_hash,
            user,
            now,
            expires_at,
            device,
            Stage::Full,
        )
        .await
    }

    async fn session_account(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<SignedIn>, StoreError> {
        let Some(mut signed) = self.peek_session(id_hash, now).await? else {
            return Ok(None);
        };
        if let Some(lock) = signed.lock.as_mut() {
            // With the app lock on, every request is activity, and a request after the idle
            // time locks the session in the same statement: of several requests at once after a
            // long pause, none finds it open (SET reads the row as it was, on both databases).
            let row = sqlx::query(
                "UPDATE sessions SET
                    lock_key = CASE WHEN $1 - last_seen_at > COALESCE((SELECT lock_minutes FROM practice WHERE id = 1), 5) * 60000
                                    THEN NULL ELSE lock_key END,
                    last_seen_at = $1
                  WHERE id_hash = $2 RETURNING lock_key",
            )
            .bind(now.millis())
            .bind(id_hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
            let Some(row) = row else { return Ok(None) };
            lock.unlock_key = row.try_get("lock_key").map_err(db_err)?;
            return Ok(Some(signed));
        }
        // Touch at most once a minute, so reading pages does not turn into a write per request.
        if now.millis() - signed.last_seen_at.millis() > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now.millis())
                .bind(id_hash.to_vec())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        Ok(Some(signed))
    }

    async fn peek_session(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<SignedIn>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, s.last_seen_at, s.lock_pin, s.lock_failures, s.lock_key, s.lock_biometric
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1 AND s.stage = 'full'"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_hash.to_vec())
            .bind(now.millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let last_seen: i64 = row.try_get("last_seen_at").map_err(db_err)?;
        let pin: Option<Vec<u8>> = row.try_get("lock_pin").map_err(db_err)?;
        let lock = match pin {
            Some(pin_hash) => Some(AppLock {
                pin_hash,
                failures: row.try_get("lock_failures").map_err(db_err)?,
                unlock_key: row.try_get("lock_key").map_err(db_err)?,
                biometric: row.try_get::<i64, _>("lock_biometric").map_err(db_err)? != 0,
            }),
            None => None,
        };
        Ok(Some(SignedIn {
            account: account_from_row(&row)?,
            last_seen_at: Timestamp::from_millis(last_seen),
            lock,
        }))
    }

    async fn enable_lock(
        &self,
        id_hash: &[u8],
        pin_hash: &[u8],
        unlock_key: &[u8],
        biometric: bool,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE sessions SET lock_pin = $1, lock_key = $2, lock_failures = 0, lock_biometric = $3 WHERE id_hash = $4")
            .bind(pin_hash.to_vec())
            .bind(unlock_key.to_vec())
            .bind(i64::from(biometric))
            .bind(id_hash.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn disable_lock(
        &self,
        id_hash: &[u8],
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE sessions SET lock_pin = NULL, lock_key = NULL, lock_failures = 0, lock_biometric = 0 WHERE id_hash = $1")
            .bind(id_hash.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn lock_now(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET lock_key = NULL WHERE id_hash = $1")
            .bind(id_hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn unlock(
        &self,
        id_hash: &[u8],
        unlock_key: &[u8],
        audit_rec: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("UPDATE sessions SET lock_key = $1, lock_failures = 0, last_seen_at = $2 WHERE id_hash = $3 AND lock_pin IS NOT NULL")
            .bind(unlock_key.to_vec())
            .bind(audit_rec.at.millis())
            .bind(id_hash.to_vec())
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

    async fn lock_failure(
        &self,
        id_hash: &[u8],
        max_failures: i64,
        audit_rec: &AuditRecord,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query("UPDATE sessions SET lock_failures = lock_failures + 1 WHERE id_hash = $1 AND lock_pin IS NOT NULL RETURNING lock_failures")
            .bind(id_hash.to_vec())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        // A session already signed out by an earlier wrong PIN counts as past the limit.
        let failures = match row {
            Some(r) => r.try_get::<i64, _>("lock_failures").map_err(db_err)?,
            None => max_failures,
        };
        if failures >= max_failures {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash.to_vec())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(failures)
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_pending_session(
        &self,
        id_hash: &[u8],
        user: &UserId,
        now: Timestamp,
        expires_at: Timestamp,
        device: &SessionDevice,
        stage: PendingStage,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        insert_session(
            &mut conn,
            id_hash,
            user,
            now,
            expires_at,
            device,
            stage.into(),
        )
        .await
    }

    async fn pending_account(
        &self,
        id_hash: &[u8],
        now: Timestamp,
        stage: PendingStage,
    ) -> Result<Option<Account>, StoreError> {
        account_in_stage(self, id_hash, now, stage.into()).await
    }

    async fn complete_pending_session(
        &self,
        id_hash: &[u8],
        now: Timestamp,
        stage: PendingStage,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE sessions SET stage = 'full', last_seen_at = $1 WHERE id_hash = $2 AND stage = $3")
            .bind(now.millis())
            .bind(id_hash.to_vec())
            .bind(Stage::from(stage).as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn rotate_session(&self, id_hash: &[u8], new_hash: &[u8]) -> Result<bool, StoreError> {
        let n =
            sqlx::query("UPDATE sessions SET id_hash = $1 WHERE id_hash = $2 AND stage = 'full'")
                .bind(new_hash.to_vec())
                .bind(id_hash.to_vec())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
        Ok(n == 1)
    }

    async fn list_sessions(
        &self,
        user: &UserId,
        current_hash: &[u8],
        now: Timestamp,
    ) -> Result<Vec<SessionView>, StoreError> {
        let rows = sqlx::query(
            "SELECT id_hash, public_id, user_agent, client, created_at, last_seen_at FROM sessions
              WHERE user_id = $1 AND expires_at > $2 AND stage = 'full' ORDER BY last_seen_at DESC, created_at DESC",
        )
        .bind(user.as_str())
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let hash: Vec<u8> = r.try_get("id_hash").map_err(db_err)?;
                Ok(SessionView {
                    public_id: r
                        .try_get::<Option<String>, _>("public_id")
                        .map_err(db_err)?
                        .unwrap_or_default(),
                    user_agent: r
                        .try_get::<Option<String>, _>("user_agent")
                        .map_err(db_err)?
                        .unwrap_or_default(),
                    client: r
                        .try_get::<Option<String>, _>("client")
                        .map_err(db_err)?
                        .unwrap_or_default(),
                    created_at: Timestamp(r.try_get("created_at").map_err(db_err)?),
                    last_seen_at: Timestamp(r.try_get("last_seen_at").map_err(db_err)?),
                    current: hash == current_hash,
                })
            })
            .collect()
    }

    async fn end_session(
        &self,
        user: &UserId,
        public_id: &str,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND public_id = $2")
            .bind(user.as_str())
            .bind(public_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn end_other_sessions(
        &self,
        user: &UserId,
        keep_hash: &[u8],
        audit_rec: &AuditRecord,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user.as_str())
            .bind(keep_hash.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }
}
