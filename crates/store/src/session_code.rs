//! Pending sign-ins and their session codes.

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::session_code::{CodeProblem, CodeState, MAX_ATTEMPTS, check_open};
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::ports::{NewSessionCode, SessionCodeInfo, SessionCodeStore, SessionDevice};
use spreekuur_domain::{StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::session::{Stage, account_in_stage, insert_session};
use crate::{Db, audit, db_err, outbox};

async fn insert_code(conn: &mut AnyConnection, code: &NewSessionCode) -> Result<(), StoreError> {
    // Only the newest code works.
    sqlx::query(
        "UPDATE session_codes SET state = 'voided' WHERE session_hash = $1 AND state = 'open'",
    )
    .bind(code.session_hash.clone())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO session_codes (id, session_hash, user_id, code_hash, requested_at, expires_at, attempts, state, next_path)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 'open', $7)",
    )
    .bind(code.id.clone())
    .bind(code.session_hash.clone())
    .bind(code.user.as_str())
    .bind(code.code_hash.clone())
    .bind(code.requested_at.millis())
    .bind(code.expires_at.millis())
    .bind(code.next_path.clone())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn info(row: &sqlx::any::AnyRow) -> Result<SessionCodeInfo, StoreError> {
    let state: String = row.try_get("state").map_err(db_err)?;
    Ok(SessionCodeInfo {
        id: row.try_get("id").map_err(db_err)?,
        requested_at: Timestamp(row.try_get("requested_at").map_err(db_err)?),
        expires_at: Timestamp(row.try_get("expires_at").map_err(db_err)?),
        attempts: row.try_get("attempts").map_err(db_err)?,
        state: CodeState::parse(&state)
            .ok_or_else(|| StoreError(format!("unknown code state {state:?}")))?,
        next_path: row.try_get("next_path").map_err(db_err)?,
    })
}

#[async_trait]
impl SessionCodeStore for Db {
    async fn start_pending_session(
        &self,
        expires_at: Timestamp,
        device: &SessionDevice,
        code: &NewSessionCode,
        mail: &Outgoing,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        insert_session(
            &mut tx,
            &code.session_hash,
            &code.user,
            code.requested_at,
            expires_at,
            device,
            Stage::Code,
        )
        .await?;
        insert_code(&mut tx, code).await?;
        outbox::enqueue(self, &mut tx, mail, code.requested_at).await?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn pending_session(
        &self,
        session_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(Account, Option<SessionCodeInfo>)>, StoreError> {
        let Some(account) = account_in_stage(self, session_hash, now, Stage::Code).await? else {
            return Ok(None);
        };
        let code = sqlx::query(
            "SELECT id, requested_at, expires_at, attempts, state, next_path FROM session_codes WHERE session_hash = $1 ORDER BY requested_at DESC, id DESC LIMIT 1",
        )
        .bind(session_hash.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(Some((account, code.as_ref().map(info).transpose()?)))
    }

    async fn replace_session_code(
        &self,
        code: &NewSessionCode,
        mail: &Outgoing,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        insert_code(&mut tx, code).await?;
        outbox::enqueue(self, &mut tx, mail, code.requested_at).await?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn verify_session_code(
        &self,
        session_hash: &[u8],
        code_id: &str,
        reading_hashes: &[Vec<u8>],
        now: Timestamp,
        client: &str,
    ) -> Result<Result<String, CodeProblem>, StoreError> {
        let mut tx = self.write().await?;
        let Some(row) = sqlx::query(
            "SELECT id, user_id, code_hash, requested_at, expires_at, attempts, state, next_path FROM session_codes WHERE id = $1 AND session_hash = $2",
        )
        .bind(code_id)
        .bind(session_hash.to_vec())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        else {
            return Ok(Err(CodeProblem::Missing));
        };
        let code = info(&row)?;
        let user = UserId::from_stored(row.try_get("user_id").map_err(db_err)?);
        let stored: Vec<u8> = row.try_get("code_hash").map_err(db_err)?;
        let next_path: String = row.try_get("next_path").map_err(db_err)?;
        let rec = |action, ok: bool| {
            let r = AuditRecord::new(now, action, client)
                .actor(&user)
                .object(code_id);
            if ok { r } else { r.failed() }
        };
        if let Err(problem) = check_open(code.state, code.expires_at, now) {
            audit::append(&mut tx, &rec(Action::SessionCodeRefused, false)).await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(Err(problem));
        }
        let matches = reading_hashes
            .iter()
            .any(|h| spreekuur_crypto::ct_eq(h, &stored));
        if matches {
            let used = sqlx::query(
                "UPDATE session_codes SET state = 'used' WHERE id = $1 AND state = 'open'",
            )
            .bind(code_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if used == 1 {
                sqlx::query("UPDATE sessions SET stage = 'full', last_seen_at = $1 WHERE id_hash = $2 AND stage = 'code'")
                    .bind(now.millis())
                    .bind(session_hash.to_vec())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                audit::append(&mut tx, &rec(Action::SessionCodeAccepted, true)).await?;
                tx.commit().await.map_err(db_err)?;
                return Ok(Ok(next_path));
            }
            tx.commit().await.map_err(db_err)?;
            return Ok(Err(CodeProblem::Used));
        }
        let attempts = code.attempts + 1;
        let state = if attempts >= MAX_ATTEMPTS {
            CodeState::Exhausted
        } else {
            CodeState::Open
        };
        sqlx::query(
            "UPDATE session_codes SET attempts = $1, state = $2 WHERE id = $3 AND state = 'open'",
        )
        .bind(attempts)
        .bind(state.as_str())
        .bind(code_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit::append(&mut tx, &rec(Action::SessionCodeRefused, false)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Err(if state == CodeState::Exhausted {
            CodeProblem::Exhausted
        } else {
            CodeProblem::Incorrect {
                attempts_left: MAX_ATTEMPTS - attempts,
            }
        }))
    }
}
