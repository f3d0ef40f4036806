//! A guest and their copy: the copy behind a link, wrong access codes counted and locked, the
//! guest session that the right code starts and that keeps the thread open for a while.

use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::secure_mail::{Copy, Method, PhoneNumber, Status};
use spreekuur_domain::{Error, RecipientId, SecureMailId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::{Db, audit, db_err};

pub(super) async fn copy_by_link(db: &Db, link_hash: &[u8]) -> Result<Option<Copy>, StoreError> {
    let row = sqlx::query(
        "SELECT r.id, r.mail_id, r.email, r.method, r.phone, r.access_code_hash, r.locked_until,
                m.revoked_at, m.expires_at, m.sender_id, m.lang, u.first_name, u.last_name
         FROM secure_mail_links l
         JOIN secure_mail_recipients r ON r.id = l.recipient_id
         JOIN secure_mails m ON m.id = r.mail_id
         JOIN users u ON u.id = m.sender_id
         WHERE l.hash = $1",
    )
    .bind(link_hash.to_vec())
    .fetch_optional(&db.pool)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id").map_err(db_err)?;
    let method: String = row.try_get("method").map_err(db_err)?;
    let phone = match row.try_get::<Option<Vec<u8>>, _>("phone").map_err(db_err)? {
        Some(s) => Some(PhoneNumber::from_stored(db.open(
            "secure_mail_recipients",
            "phone",
            &id,
            &s,
        )?)),
        None => None,
    };
    let first: String = row.try_get("first_name").map_err(db_err)?;
    let last: String = row.try_get("last_name").map_err(db_err)?;
    let email: Vec<u8> = row.try_get("email").map_err(db_err)?;
    Ok(Some(Copy {
        email: db.stored_email(&id, &email)?,
        mail: SecureMailId::from_stored(row.try_get("mail_id").map_err(db_err)?),
        method: Method::parse(&method)
            .ok_or_else(|| StoreError(format!("unknown method {method:?}")))?,
        phone,
        access_code_hash: row.try_get("access_code_hash").map_err(db_err)?,
        revoked: row
            .try_get::<Option<i64>, _>("revoked_at")
            .map_err(db_err)?
            .is_some(),
        expires_at: row
            .try_get::<Option<i64>, _>("expires_at")
            .map_err(db_err)?
            .map(Timestamp),
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until")
            .map_err(db_err)?
            .map(Timestamp),
        sender_name: format!("{first} {last}"),
        sender: UserId::from_stored(row.try_get("sender_id").map_err(db_err)?),
        lang: row.try_get("lang").map_err(db_err)?,
        id: RecipientId::from_stored(id),
    }))
}

pub(super) async fn access_code_failed(
    db: &Db,
    copy: &RecipientId,
    now: Timestamp,
    tries: i64,
    lock_secs: fn(i64) -> i64,
    audit_rec: &AuditRecord,
) -> Result<Option<Timestamp>, Error> {
    let mut tx = db.write().await?;
    let row = sqlx::query(
        "UPDATE secure_mail_recipients SET code_failures = code_failures + 1
         WHERE id = $1 RETURNING code_failures, locks",
    )
    .bind(copy.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?
    .ok_or(Error::NotFound)?;
    let failures: i64 = row.try_get("code_failures").map_err(db_err)?;
    let locks: i64 = row.try_get("locks").map_err(db_err)?;
    let locked = if failures >= tries {
        let until = now.plus_seconds(lock_secs(locks + 1));
        sqlx::query(
            "UPDATE secure_mail_recipients
             SET code_failures = 0, locks = locks + 1, locked_until = $2 WHERE id = $1",
        )
        .bind(copy.as_str())
        .bind(until.millis())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        Some(until)
    } else {
        None
    };
    audit::append(&mut tx, audit_rec).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(locked)
}

pub(super) async fn open_copy(
    db: &Db,
    copy: &RecipientId,
    session_hash: &[u8],
    now: Timestamp,
    expires_at: Timestamp,
    audit_rec: &AuditRecord,
) -> Result<(), Error> {
    let mut tx = db.write().await?;
    start_guest_session(&mut tx, copy, session_hash, now, expires_at).await?;
    audit::append(&mut tx, audit_rec).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(super) async fn guest_session(
    db: &Db,
    session_hash: &[u8],
    now: Timestamp,
    idle_ms: i64,
) -> Result<Option<RecipientId>, StoreError> {
    let row = sqlx::query(
        "UPDATE guest_sessions SET last_seen_at = $2
         WHERE id_hash = $1 AND expires_at > $2 AND last_seen_at > $3
         RETURNING recipient_id",
    )
    .bind(session_hash.to_vec())
    .bind(now.millis())
    .bind(now.millis() - idle_ms)
    .fetch_optional(&db.pool)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        r.try_get::<String, _>("recipient_id")
            .map(RecipientId::from_stored)
    })
    .transpose()
    .map_err(db_err)
}

/// Marks the copy opened (clearing its count of wrong codes) and starts a guest session on it,
/// inside the caller's transaction.
pub(crate) async fn start_guest_session(
    tx: &mut AnyConnection,
    copy: &RecipientId,
    session_hash: &[u8],
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), Error> {
    let row = sqlx::query("SELECT status, opened_at FROM secure_mail_recipients WHERE id = $1")
        .bind(copy.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(Error::NotFound)?;
    let status: String = row.try_get("status").map_err(db_err)?;
    let status = Status::parse(&status)
        .unwrap_or(Status::Sent)
        .after(Status::Opened);
    sqlx::query(
        "UPDATE secure_mail_recipients
         SET code_failures = 0, status = $2, opened_at = COALESCE(opened_at, $3)
         WHERE id = $1",
    )
    .bind(copy.as_str())
    .bind(status.as_str())
    .bind(now.millis())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO guest_sessions (id_hash, recipient_id, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(session_hash.to_vec())
    .bind(copy.as_str())
    .bind(now.millis())
    .bind(expires_at.millis())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    Ok(())
}
