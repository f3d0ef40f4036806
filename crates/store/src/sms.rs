//! The sms outbox: text messages waiting for the sms worker, number and text sealed.

use async_trait::async_trait;
use spreekuur_domain::ports::{SmsItem, SmsOutboxStore};
use spreekuur_domain::secure_mail::PhoneNumber;
use spreekuur_domain::{StoreError, Timestamp};
use sqlx::Row;

use crate::{Db, db_err};

impl Db {
    fn sms_item(&self, row: &sqlx::any::AnyRow, with_body: bool) -> Result<SmsItem, StoreError> {
        let id: String = row.try_get("id").map_err(db_err)?;
        let to: Vec<u8> = row.try_get("to_number").map_err(db_err)?;
        let text = match row.try_get::<Option<Vec<u8>>, _>("body").map_err(db_err)? {
            Some(body) if with_body => self.open("sms_outbox", "body", &id, &body)?,
            _ => String::new(),
        };
        Ok(SmsItem {
            to: PhoneNumber::from_stored(self.open("sms_outbox", "to_number", &id, &to)?),
            text,
            created_at: Timestamp(row.try_get("created_at").map_err(db_err)?),
            attempts: row.try_get("attempts").map_err(db_err)?,
            status: row.try_get("status").map_err(db_err)?,
            id,
        })
    }
}

#[async_trait]
impl SmsOutboxStore for Db {
    async fn claim_sms(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<SmsItem>, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(self.backend.claim_sms_sql())
            .bind(now.millis())
            .bind(now.millis() + lease_ms)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        row.as_ref().map(|r| self.sms_item(r, true)).transpose()
    }

    async fn sms_sent(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        // Sent: the text (it holds a code) is not kept.
        sqlx::query(
            "UPDATE sms_outbox SET status = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL,
                 body = NULL
             WHERE id = $2",
        )
        .bind(now.millis())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn sms_failed(
        &self,
        id: &str,
        now: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(500).collect();
        match retry_at {
            Some(at) => sqlx::query(
                "UPDATE sms_outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3",
            )
            .bind(at.millis())
            .bind(error)
            .bind(id),
            None => sqlx::query(
                "UPDATE sms_outbox SET status = 'failed', lease_until = NULL, last_error = $1 WHERE id = $2",
            )
            .bind(error)
            .bind(id),
        }
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if retry_at.is_none() {
            let copy: Option<String> =
                sqlx::query("SELECT recipient_id FROM sms_outbox WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?
                    .map(|r| r.try_get("recipient_id"))
                    .transpose()
                    .map_err(db_err)?
                    .flatten();
            if let Some(copy) = copy {
                crate::secure_mail::not_delivered(&self.pool, "id", &copy, now).await?;
            }
        }
        Ok(())
    }

    async fn sms_recent(&self, limit: i64) -> Result<Vec<SmsItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, to_number, body, created_at, attempts, status FROM sms_outbox
             ORDER BY created_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| self.sms_item(r, true)).collect()
    }
}
