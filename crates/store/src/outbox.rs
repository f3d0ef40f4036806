//! The transactional outbox. An e-mail is inserted in the same transaction as the action that
//! causes it; a worker claims due rows under a lease, sends outside any transaction and records
//! the outcome. Bodies carry single-use links, so they are sealed at rest and wiped once sent.

use async_trait::async_trait;
use spreekuur_domain::mail::{OutboxItem, Outgoing};
use spreekuur_domain::ports::OutboxStore;
use spreekuur_domain::validate::EmailAddress;
use spreekuur_domain::{OutboxId, StoreError, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::{Db, db_err};

pub(crate) async fn enqueue(
    db: &Db,
    conn: &mut AnyConnection,
    mail: &Outgoing,
    now: Timestamp,
) -> Result<OutboxId, StoreError> {
    let id = OutboxId::new();
    sqlx::query(
        "INSERT INTO outbox (id, kind, to_addr, from_name, subject, body_text, body_html, status, attempts, created_at, next_attempt_at)
         VALUES ($1, 'email', $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
    )
    .bind(id.as_str())
    .bind(mail.to.as_str())
    .bind(mail.from_name.clone())
    .bind(mail.subject.clone())
    .bind(db.seal("outbox", "body_text", id.as_str(), &mail.text)?)
    .bind(db.seal("outbox", "body_html", id.as_str(), &mail.html)?)
    .bind(now.millis())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(id)
}

impl Db {
    fn outbox_item(&self, row: &sqlx::any::AnyRow) -> Result<OutboxItem, StoreError> {
        let id: String = row.try_get("id").map_err(db_err)?;
        let open = |col: &str| -> Result<String, StoreError> {
            match row.try_get::<Option<Vec<u8>>, _>(col).map_err(db_err)? {
                Some(sealed) => self.open("outbox", col, &id, &sealed),
                None => Ok(String::new()),
            }
        };
        Ok(OutboxItem {
            mail: Outgoing {
                to: EmailAddress::from_stored(row.try_get("to_addr").map_err(db_err)?),
                from_name: row.try_get("from_name").map_err(db_err)?,
                subject: row.try_get("subject").map_err(db_err)?,
                text: open("body_text")?,
                html: open("body_html")?,
            },
            created_at: Timestamp(row.try_get("created_at").map_err(db_err)?),
            attempts: row.try_get("attempts").map_err(db_err)?,
            status: row.try_get("status").map_err(db_err)?,
            id: OutboxId::from_stored(id),
        })
    }
}

#[async_trait]
impl OutboxStore for Db {
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<OutboxItem>, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(self.backend.claim_outbox_sql())
            .bind(now.millis())
            .bind(now.millis() + lease_ms)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        row.as_ref().map(|r| self.outbox_item(r)).transpose()
    }

    async fn outbox_sent(&self, id: &OutboxId, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, lease_until = NULL, body_text = NULL, body_html = NULL, last_error = NULL WHERE id = $2",
        )
        .bind(now.millis())
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        // A secure e-mail's notification: the relay took it ("afgeleverd").
        sqlx::query(
            "UPDATE secure_mail_recipients SET delivered_at = $1,
                 status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END
             WHERE notice_id = $2",
        )
        .bind(now.millis())
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn outbox_failed(
        &self,
        id: &OutboxId,
        now: Timestamp,
        retry_at: Option<Timestamp>,
        reason: &str,
    ) -> Result<(), StoreError> {
        let reason: String = reason.chars().take(500).collect();
        match retry_at {
            Some(at) => sqlx::query("UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3")
                .bind(at.millis())
                .bind(reason)
                .bind(id.as_str()),
            None => sqlx::query("UPDATE outbox SET status = 'failed', lease_until = NULL, last_error = $1 WHERE id = $2")
                .bind(reason)
                .bind(id.as_str()),
        }
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if retry_at.is_none() {
            crate::secure_mail::not_delivered(&self.pool, "notice_id", id.as_str(), now).await?;
        }
        Ok(())
    }

    async fn outbox_depth(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        row.try_get("n").map_err(db_err)
    }

    async fn outbox_recent(&self, limit: i64) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, to_addr, from_name, subject, body_text, body_html, created_at, attempts, status FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| self.outbox_item(r)).collect()
    }
}
