//! Changing a secure e-mail after it was sent: a recipient's new link, how they open it, their
//! report of a wrong number; withdrawing the message; destroying the content of expired ones.

use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::secure_mail::{Method, PhoneNumber};
use spreekuur_domain::{Error, RecipientId, SecureMailId, StoreError, Timestamp};
use sqlx::{AnyConnection, Row};

use super::notify;
use crate::{Db, audit, db_err, outbox};

pub(super) async fn report_wrong_number(
    db: &Db,
    copy: &RecipientId,
    now: Timestamp,
    mail: &Outgoing,
    audit_rec: &AuditRecord,
) -> Result<bool, Error> {
    let mut tx = db.write().await?;
    let first = sqlx::query(
        "UPDATE secure_mail_recipients SET wrong_number_at = $2
         WHERE id = $1 AND wrong_number_at IS NULL",
    )
    .bind(copy.as_str())
    .bind(now.millis())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected()
        == 1;
    if first {
        outbox::enqueue(db, &mut tx, mail, now).await?;
        audit::append(&mut tx, audit_rec).await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(first)
}

pub(super) async fn resend_notice(
    db: &Db,
    copy: &RecipientId,
    link_hash: &[u8],
    mail: &Outgoing,
    now: Timestamp,
    audit_rec: &AuditRecord,
) -> Result<(), Error> {
    let mut tx = db.write().await?;
    notify(db, &mut tx, copy, link_hash, mail, now).await?;
    sqlx::query(
        "UPDATE secure_mail_recipients SET sent_at = $2, delivered_at = NULL, failed_at = NULL,
             status = CASE WHEN status IN ('delivered', 'not_delivered') THEN 'sent' ELSE status END
         WHERE id = $1",
    )
    .bind(copy.as_str())
    .bind(now.millis())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    audit::append(&mut tx, audit_rec).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(super) async fn set_proof(
    db: &Db,
    copy: &RecipientId,
    method: Method,
    phone: Option<&PhoneNumber>,
    access_code_hash: Option<&[u8]>,
    audit_rec: &AuditRecord,
) -> Result<(), Error> {
    let sealed_phone = match phone {
        Some(p) => Some(db.seal("secure_mail_recipients", "phone", copy.as_str(), p.as_str())?),
        None => None,
    };
    let mut tx = db.write().await?;
    sqlx::query(
        "UPDATE secure_mail_recipients
         SET method = $2, phone = COALESCE($3, phone), access_code_hash = $4,
             code_failures = 0, locked_until = NULL, wrong_number_at = NULL
         WHERE id = $1",
    )
    .bind(copy.as_str())
    .bind(method.as_str())
    .bind(sealed_phone)
    .bind(access_code_hash.map(<[u8]>::to_vec))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE secure_mail_codes SET state = 'voided' WHERE recipient_id = $1 AND state = 'open'",
    )
    .bind(copy.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    audit::append(&mut tx, audit_rec).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(super) async fn revoke_secure_mail(
    db: &Db,
    mail: &SecureMailId,
    now: Timestamp,
    audit_rec: &AuditRecord,
) -> Result<(), Error> {
    let mut tx = db.write().await?;
    let done =
        sqlx::query("UPDATE secure_mails SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(mail.as_str())
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
    if done == 0 {
        return Ok(());
    }
    end_guest_sessions(&mut tx, mail).await?;
    audit::append(&mut tx, audit_rec).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(super) async fn destroy_expired_secure_mails(
    db: &Db,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut tx = db.write().await?;
    let ids: Vec<String> = sqlx::query(
        "SELECT id FROM secure_mails
         WHERE expires_at IS NOT NULL AND expires_at <= $1 AND destroyed_at IS NULL
         ORDER BY expires_at LIMIT 500",
    )
    .bind(now.millis())
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| r.try_get("id"))
    .collect::<Result<_, _>>()
    .map_err(db_err)?;
    let mut records = Vec::with_capacity(ids.len());
    for id in &ids {
        let mail = SecureMailId::from_stored(id.clone());
        sqlx::query(
            "UPDATE secure_mails SET mail_key = NULL, subject = NULL, destroyed_at = $2
             WHERE id = $1",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("UPDATE secure_mail_posts SET body = NULL WHERE mail_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        end_guest_sessions(&mut tx, &mail).await?;
        records.push(
            AuditRecord::new(
                now,
                spreekuur_domain::audit::Action::SecureMailExpired,
                "system",
            )
            .object(&mail),
        );
    }
    audit::append_all(&mut tx, &records).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(ids.len() as u64)
}

/// Ends every guest session on the message's copies.
pub(super) async fn end_guest_sessions(
    conn: &mut AnyConnection,
    mail: &SecureMailId,
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM guest_sessions WHERE recipient_id IN
             (SELECT id FROM secure_mail_recipients WHERE mail_id = $1)",
    )
    .bind(mail.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}
