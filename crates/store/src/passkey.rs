//! Passkeys and WebAuthn ceremony state. Credentials and ceremony states are sealed with the key
//! ring and bound to their row, so a row copied onto another account does not open.

use async_trait::async_trait;
use base64::Engine;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::ports::{CeremonyPurpose, PasskeyRecord, PasskeyStore};
use spreekuur_domain::{PasskeyId, StoreError, Timestamp, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, audit, db_err, is_unique_violation};

const COLUMNS: &str = "id, user_id, name, credential_id, credential, created_at, last_used_at";

fn ceremony_row(id_hash: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id_hash)
}

impl Db {
    fn passkey_from_row(&self, r: &AnyRow) -> Result<PasskeyRecord, StoreError> {
        let id: String = r.try_get("id").map_err(db_err)?;
        let sealed: Vec<u8> = r.try_get("credential").map_err(db_err)?;
        Ok(PasskeyRecord {
            credential: self.open_bytes("passkeys", "credential", &id, &sealed)?,
            id: PasskeyId::from_stored(id),
            user: UserId::from_stored(r.try_get("user_id").map_err(db_err)?),
            name: r.try_get("name").map_err(db_err)?,
            credential_id: r.try_get("credential_id").map_err(db_err)?,
            created_at: Timestamp::from_millis(r.try_get("created_at").map_err(db_err)?),
            last_used_at: r
                .try_get::<Option<i64>, _>("last_used_at")
                .map_err(db_err)?
                .map(Timestamp::from_millis),
        })
    }
}

#[async_trait]
impl PasskeyStore for Db {
    async fn add_passkey(
        &self,
        key: &PasskeyRecord,
        audit_rec: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let sealed = self.seal_bytes("passkeys", "credential", key.id.as_str(), &key.credential)?;
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO passkeys (id, user_id, name, credential_id, credential, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.id.as_str())
        .bind(key.user.as_str())
        .bind(key.name.clone())
        .bind(key.credential_id.clone())
        .bind(sealed)
        .bind(key.created_at.millis())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(db_err(e)),
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn passkeys(&self, user: &UserId) -> Result<Vec<PasskeyRecord>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| self.passkey_from_row(r)).collect()
    }

    async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<PasskeyRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(credential_id.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(|r| self.passkey_from_row(r)).transpose()
    }

    async fn passkey_used(
        &self,
        key: &PasskeyRecord,
        updated: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let q = match updated {
            Some(credential) => {
                let sealed =
                    self.seal_bytes("passkeys", "credential", key.id.as_str(), credential)?;
                sqlx::query("UPDATE passkeys SET last_used_at = $1, credential = $2 WHERE id = $3")
                    .bind(now.millis())
                    .bind(sealed)
            }
            None => sqlx::query("UPDATE passkeys SET last_used_at = $1 WHERE id = $2")
                .bind(now.millis()),
        };
        q.bind(key.id.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn remove_passkey(
        &self,
        user: &UserId,
        id: &PasskeyId,
        audit_rec: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
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

    async fn save_ceremony(
        &self,
        id_hash: &[u8],
        user: Option<&UserId>,
        purpose: CeremonyPurpose,
        state: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let sealed = self.seal_bytes(
            "webauthn_ceremonies",
            purpose.as_str(),
            &ceremony_row(id_hash),
            state,
        )?;
        let mut tx = self.write().await?;
        // Ceremonies that were started and never finished go as new ones come.
        sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at <= $1")
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO webauthn_ceremonies (id_hash, user_id, purpose, state, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id_hash.to_vec())
            .bind(user.map(|u| u.as_str().to_string()))
            .bind(purpose.as_str())
            .bind(sealed)
            .bind(expires_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn take_ceremony(
        &self,
        id_hash: &[u8],
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<(Option<UserId>, Vec<u8>)>, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND purpose = $2 RETURNING user_id, state, expires_at",
        )
        .bind(id_hash.to_vec())
        .bind(purpose.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        if r.try_get::<i64, _>("expires_at").map_err(db_err)? <= now.millis() {
            return Ok(None);
        }
        let sealed: Vec<u8> = r.try_get("state").map_err(db_err)?;
        let state = self.open_bytes(
            "webauthn_ceremonies",
            purpose.as_str(),
            &ceremony_row(id_hash),
            &sealed,
        )?;
        let user = r
            .try_get::<Option<String>, _>("user_id")
            .map_err(db_err)?
            .map(UserId::from_stored);
        Ok(Some((user, state)))
    }
}
