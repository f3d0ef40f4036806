//! Invitations. Every answer is a conditional UPDATE on the invitation's state, so a link is
//! used exactly once even when two requests race; when nothing changes, the row says why.

use async_trait::async_trait;
use spreekuur_domain::account::NewAccount;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::error::Reason;
use spreekuur_domain::invitation::{Invitation, NewInvitation, State};
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::ports::InvitationStore;
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_domain::{ConversationId, Error, InvitationId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::account::insert_account;
use crate::conversation::direct_conversation;
use crate::message_writer::{NewMessage, write_in};
use crate::{Db, audit, db_err, internal, outbox};

const SELECT: &str = "SELECT i.*, u.first_name AS inviter_first, u.last_name AS inviter_last FROM invitations i JOIN users u ON u.id = i.inviter_id";

impl Db {
    fn invitation_from_row(&self, r: &sqlx::any::AnyRow) -> Result<Invitation, StoreError> {
        let id: String = r.try_get("id").map_err(db_err)?;
        let note = match r.try_get::<Option<Vec<u8>>, _>("note").map_err(db_err)? {
            Some(sealed) => Some(self.open("invitations", "note", &id, &sealed)?),
            None => None,
        };
        let state: String = r.try_get("state").map_err(db_err)?;
        Ok(Invitation {
            inviter: UserId::from_stored(r.try_get("inviter_id").map_err(db_err)?),
            inviter_name: format!(
                "{} {}",
                r.try_get::<String, _>("inviter_first").map_err(db_err)?,
                r.try_get::<String, _>("inviter_last").map_err(db_err)?
            ),
            first_name: PersonName::from_stored(r.try_get("first_name").map_err(db_err)?),
            last_name: PersonName::from_stored(r.try_get("last_name").map_err(db_err)?),
            email: EmailAddress::from_stored(r.try_get("email").map_err(db_err)?),
            note,
            lang: r.try_get("lang").map_err(db_err)?,
            stored_state: State::parse(&state)
                .ok_or_else(|| StoreError(format!("unknown invitation state {state:?}")))?,
            created_at: Timestamp(r.try_get("created_at").map_err(db_err)?),
            sent_at: Timestamp(r.try_get("sent_at").map_err(db_err)?),
            expires_at: Timestamp(r.try_get("expires_at").map_err(db_err)?),
            account: r
                .try_get::<Option<String>, _>("account_id")
                .map_err(db_err)?
                .map(UserId::from_stored),
            conversation: r
                .try_get::<Option<String>, _>("conversation_id")
                .map_err(db_err)?
                .map(ConversationId::from_stored),
            id: InvitationId::from_stored(id),
        })
    }

    /// Moves an open invitation found by its link to `to`, exactly once. Returns the invitation
    /// as it was; when the link is unknown, answered, withdrawn or expired, says which.
    async fn answer(
        &self,
        conn: &mut AnyConnection,
        hash: &[u8],
        to: State,
        now: Timestamp,
    ) -> Result<Invitation, Error> {
        let sql = format!("{SELECT} WHERE i.token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash.to_vec())
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
        let inv = match row {
            Some(r) => self.invitation_from_row(&r)?,
            None => return Err(Error::NotFound),
        };
        inv.check_answerable(now)?;
        let changed = sqlx::query(
            "UPDATE invitations SET state = $1, answered_at = $2 WHERE id = $3 AND state IN ('sent', 'opened') AND expires_at > $2",
        )
        .bind(to.as_str())
        .bind(now.millis())
        .bind(inv.id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(internal)?
        .rows_affected();
        if changed == 0 {
            return Err(Error::Used);
        }
        Ok(inv)
    }

    /// After acceptance: the conversation with the inviter, the note as its first message.
    async fn open_conversation(
        &self,
        conn: &mut AnyConnection,
        inv: &Invitation,
        patient: &UserId,
        now: Timestamp,
    ) -> Result<ConversationId, Error> {
        let (conv, _) = direct_conversation(conn, &inv.inviter, patient, now).await?;
        if let Some(note) = inv.note.as_deref().filter(|n| !n.is_empty()) {
            // Stored as every message is, in this transaction. Not on record of its own: the
            // invitation was, and its acceptance is.
            let note = NewMessage {
                conversation: conv.clone(),
                sender: inv.inviter.clone(),
                sender_name: inv.inviter_name.clone(),
                body: note.to_string(),
                client_id: None,
                file: None,
                now,
                record: None,
            };
            for answer in write_in(self, conn, std::slice::from_ref(&note))
                .await
                .map_err(StoreError::from)?
            {
                answer.map_err(|e| match e {
                    // A 1:1 conversation keeps both its members.
                    Error::NotFound => {
                        Error::Internal("the inviter is not in the conversation".into())
                    }
                    e => e,
                })?;
            }
        }
        sqlx::query("UPDATE invitations SET account_id = $1, conversation_id = $2 WHERE id = $3")
            .bind(patient.as_str())
            .bind(conv.as_str())
            .bind(inv.id.as_str())
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(conv)
    }
}

#[async_trait]
impl InvitationStore for Db {
    async fn create_invitation(
        &self,
        new: &NewInvitation,
        mail: &Outgoing,
        audit_recs: &[AuditRecord],
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        audit::append_all(&mut tx, audit_recs).await?;
        // The e-mail first: if storing the invitation fails after it, both roll back together.
        outbox::enqueue(self, &mut tx, mail, new.created_at).await?;
        let note = new
            .note
            .as_deref()
            .map(|n| self.seal("invitations", "note", new.id.as_str(), n))
            .transpose()?;
        sqlx::query(
            "INSERT INTO invitations (id, token_hash, inviter_id, first_name, last_name, email, note, lang, state, created_at, sent_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent', $9, $9, $10)",
        )
        .bind(new.id.as_str())
        .bind(new.token_hash.clone())
        .bind(new.inviter.as_str())
        .bind(new.first_name.as_str())
        .bind(new.last_name.as_str())
        .bind(new.email.as_str())
        .bind(note)
        .bind(new.lang.clone())
        .bind(new.created_at.millis())
        .bind(new.expires_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn invitation_by_token(&self, hash: &[u8]) -> Result<Option<Invitation>, StoreError> {
        let sql = format!("{SELECT} WHERE i.token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref()
            .map(|r| self.invitation_from_row(r))
            .transpose()
    }

    async fn invitation(&self, id: &InvitationId) -> Result<Option<Invitation>, StoreError> {
        let sql = format!("{SELECT} WHERE i.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref()
            .map(|r| self.invitation_from_row(r))
            .transpose()
    }

    async fn list_invitations(&self) -> Result<Vec<Invitation>, StoreError> {
        let sql = format!("{SELECT} ORDER BY i.created_at DESC, i.id DESC LIMIT 500");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| self.invitation_from_row(r)).collect()
    }

    async fn mark_opened(
        &self,
        id: &InvitationId,
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let n =
            sqlx::query("UPDATE invitations SET state = 'opened' WHERE id = $1 AND state = 'sent'")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
        if n > 0 {
            audit::append(&mut tx, audit_rec).await?;
        }
        let _ = now;
        tx.commit().await.map_err(db_err)
    }

    async fn resend_invitation(
        &self,
        id: &InvitationId,
        new_hash: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
        mail: &Outgoing,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE invitations SET token_hash = $1, state = 'sent', sent_at = $2, expires_at = $3 WHERE id = $4 AND state IN ('sent', 'opened')",
        )
        .bind(new_hash.to_vec())
        .bind(now.millis())
        .bind(expires_at.millis())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if n == 0 {
            return Err(Error::Conflict(Reason::InvitationNotOpen));
        }
        outbox::enqueue(self, &mut tx, mail, now).await?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn withdraw_invitation(
        &self,
        id: &InvitationId,
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE invitations SET state = 'withdrawn', answered_at = $1 WHERE id = $2 AND state IN ('sent', 'opened') AND expires_at > $1",
        )
        .bind(now.millis())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if n == 0 {
            return Err(Error::Conflict(Reason::InvitationNotOpen));
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn decline_invitation(
        &self,
        hash: &[u8],
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let inv = self.answer(&mut tx, hash, State::Declined, now).await?;
        audit::append(&mut tx, &audit_rec.clone().object(&inv.id)).await?;
        tx.commit().await.map_err(internal)
    }

    async fn accept_with_new_account(
        &self,
        hash: &[u8],
        now: Timestamp,
        account: &NewAccount,
        client: &str,
    ) -> Result<(UserId, ConversationId), Error> {
        let mut tx = self.write().await?;
        let inv = self.answer(&mut tx, hash, State::Accepted, now).await?;
        // The address is the one invited, whatever the form said.
        let account = NewAccount {
            email: inv.email.clone(),
            ..account.clone()
        };
        insert_account(&mut tx, &account, now).await?;
        let conv = self
            .open_conversation(&mut tx, &inv, &account.id, now)
            .await?;
        let recs = [
            AuditRecord::new(now, Action::Registered, client)
                .actor(&account.id)
                .patient(&account.id),
            AuditRecord::new(now, Action::InvitationAccepted, client)
                .actor(&account.id)
                .patient(&account.id)
                .object(&inv.id),
        ];
        audit::append_all(&mut tx, &recs).await?;
        tx.commit().await.map_err(internal)?;
        Ok((account.id, conv))
    }

    async fn accept_with_existing_account(
        &self,
        hash: &[u8],
        now: Timestamp,
        account: &UserId,
        client: &str,
    ) -> Result<ConversationId, Error> {
        let mut tx = self.write().await?;
        let inv = self.answer(&mut tx, hash, State::Accepted, now).await?;
        let conv = self.open_conversation(&mut tx, &inv, account, now).await?;
        let rec = AuditRecord::new(now, Action::InvitationAccepted, client)
            .actor(account)
            .patient(account)
            .object(&inv.id);
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)?;
        Ok(conv)
    }
}
