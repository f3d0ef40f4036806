//! Sms and e-mail codes of secure e-mails: issued with the message that carries them, and
//! answered, each in one transaction that also reads the counts it checks.

use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::auth::session_code::CodeProblem;
use spreekuur_domain::secure_mail::code::SENT_CODE_TRIES;
use spreekuur_domain::secure_mail::sent_code::{Delivery, NewSentCode};
use spreekuur_domain::{Error, RecipientId, StoreError, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::{Db, audit, db_err, outbox};

/// Queues a text message inside the caller's transaction.
async fn enqueue_sms(
    db: &Db,
    conn: &mut AnyConnection,
    copy: &RecipientId,
    to: &str,
    text: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO sms_outbox (id, recipient_id, to_number, body, status, attempts, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
    )
    .bind(id.clone())
    .bind(copy.as_str())
    .bind(db.seal("sms_outbox", "to_number", &id, to)?)
    .bind(db.seal("sms_outbox", "body", &id, text)?)
    .bind(now.millis())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(super) async fn issue(
    db: &Db,
    code: &NewSentCode,
    may_send: fn(&[Timestamp], Timestamp) -> Result<(), Timestamp>,
    audit_rec: &AuditRecord,
) -> Result<(), Error> {
    let now = code.created_at;
    let mut tx = db.write().await?;
    // On PostgreSQL the copy's row is the lock that makes two requests at once take turns.
    sqlx::query("UPDATE secure_mail_recipients SET code_failures = code_failures WHERE id = $1")
        .bind(code.copy.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let recent: Vec<Timestamp> = sqlx::query(
        "SELECT created_at FROM secure_mail_codes WHERE recipient_id = $1 AND created_at > $2",
    )
    .bind(code.copy.as_str())
    .bind(now.millis() - 3_600_000)
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| r.try_get::<i64, _>("created_at").map(Timestamp))
    .collect::<Result<_, _>>()
    .map_err(db_err)?;
    if let Err(until) = may_send(&recent, now) {
        return Err(Error::rate_limited(until, now));
    }
    sqlx::query(
        "UPDATE secure_mail_codes SET state = 'voided' WHERE recipient_id = $1 AND state = 'open'",
    )
    .bind(code.copy.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO secure_mail_codes (id, recipient_id, code_hash, created_at, expires_at, tries, state)
         VALUES ($1, $2, $3, $4, $5, 0, 'open')",
    )
    .bind(code.id.clone())
    .bind(code.copy.as_str())
    .bind(code.code_hash.clone())
    .bind(now.millis())
    .bind(code.expires_at.millis())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    match &code.delivery {
        Delivery::Sms(sms) => {
            enqueue_sms(db, &mut tx, &code.copy, sms.to.as_str(), &sms.text, now).await?;
        }
        Delivery::Mail(mail) => {
            outbox::enqueue(db, &mut tx, mail, now).await?;
        }
    }
    audit::append(&mut tx, audit_rec).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(super) async fn answer(
    db: &Db,
    copy: &RecipientId,
    candidates: &[Vec<u8>],
    now: Timestamp,
    session: (&[u8], Timestamp),
    (opened, refused): (&AuditRecord, &AuditRecord),
) -> Result<Result<(), CodeProblem>, Error> {
    let mut tx = db.write().await?;
    // The newest code, locked for this answer (PostgreSQL); on SQLite the write lock is held.
    let row = sqlx::query(
        "UPDATE secure_mail_codes SET tries = tries
         WHERE id = (SELECT id FROM secure_mail_codes WHERE recipient_id = $1
                     ORDER BY created_at DESC, id DESC LIMIT 1)
         RETURNING id, code_hash, expires_at, tries, state",
    )
    .bind(copy.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let Some(row) = row else {
        return Ok(Err(CodeProblem::Missing));
    };
    let id: String = row.try_get("id").map_err(db_err)?;
    let hash: Vec<u8> = row.try_get("code_hash").map_err(db_err)?;
    let expires_at: i64 = row.try_get("expires_at").map_err(db_err)?;
    let tries: i64 = row.try_get("tries").map_err(db_err)?;
    let state: String = row.try_get("state").map_err(db_err)?;
    let problem = match state.as_str() {
        "used" => Some(CodeProblem::Used),
        "voided" => Some(CodeProblem::Voided),
        _ if expires_at <= now.millis() => Some(CodeProblem::Expired),
        _ if tries >= SENT_CODE_TRIES => Some(CodeProblem::Exhausted),
        _ => None,
    };
    if let Some(p) = problem {
        audit::append(&mut tx, refused).await?;
        tx.commit().await.map_err(db_err)?;
        return Ok(Err(p));
    }
    let right = candidates.iter().any(|c| spreekuur_crypto::ct_eq(c, &hash));
    if !right {
        sqlx::query("UPDATE secure_mail_codes SET tries = tries + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit::append(&mut tx, refused).await?;
        tx.commit().await.map_err(db_err)?;
        let left = SENT_CODE_TRIES - tries - 1;
        return Ok(Err(if left > 0 {
            CodeProblem::Incorrect {
                attempts_left: left,
            }
        } else {
            CodeProblem::Exhausted
        }));
    }
    sqlx::query("UPDATE secure_mail_codes SET state = 'used' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    super::guest::start_guest_session(&mut tx, copy, session.0, now, session.1).await?;
    audit::append(&mut tx, opened).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(Ok(()))
}
