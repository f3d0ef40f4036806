//! A conversation's external id: the reference staff give it in another system (a patient
//! record number, a case number), and finding conversations by it.

use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::ConversationSummary;
use spreekuur_domain::error::Reason;
use spreekuur_domain::ports::ConversationStore;
use spreekuur_domain::{ConversationId, Error, StoreError, Timestamp, UserId};
use sqlx::Row;

use super::membership::{members_of, patient_of};
use crate::{Db, audit, db_err, internal};

impl Db {
    /// Sets (or clears) the external id of `id`, on record; staff only.
    pub(super) async fn store_external_id(
        &self,
        id: &ConversationId,
        by: &Account,
        external_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        if !by.role.is_staff() {
            return Err(Error::NotFound);
        }
        let value = match external_id.map(str::trim) {
            None | Some("") => None,
            Some(v)
                if v.chars().count() <= 64
                    && v.chars().all(|c| c.is_ascii_graphic() || c == ' ') =>
            {
                Some(v.to_string())
            }
            Some(_) => {
                return Err(Error::invalid(
                    "external_id",
                    Reason::Api("1 to 64 printable characters"),
                ));
            }
        };
        let mut tx = self.write().await?;
        let members = members_of(&mut tx, id, &by.id).await?;
        sqlx::query("UPDATE conversations SET external_id = $1 WHERE id = $2")
            .bind(value)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let mut rec = AuditRecord::new(now, Action::ExternalIdSet, client)
            .actor(&by.id)
            .object(id);
        if let Some(p) = patient_of(&members) {
            rec = rec.patient(p);
        }
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)
    }

    /// The conversations of `user` with this external id.
    pub(super) async fn by_external_id(
        &self,
        user: &UserId,
        external_id: &str,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        // External ids are printable ASCII (set_external_id): one with a NUL matches nothing.
        if external_id.contains('\0') {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = sqlx::query(
            "SELECT c.id FROM conversations c
               JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $1 AND m.left_at IS NULL
              WHERE c.external_id = $2",
        )
        .bind(user.as_str())
        .bind(external_id.trim())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .conversations_for(user)
            .await?
            .into_iter()
            .filter(|c| ids.iter().any(|i| i == c.id.as_str()))
            .collect())
    }

    /// The external id of `id`, for a member.
    pub(super) async fn external_id_of(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<String>, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, viewer).await?;
        sqlx::query("SELECT external_id FROM conversations WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *conn)
            .await
            .map_err(internal)?
            .try_get("external_id")
            .map_err(internal)
    }
}
