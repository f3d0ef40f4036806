//! Secure e-mail ("Veilig mailen"): the message with its own key, the copies, the links of the
//! notifications, the guests' sessions and the thread. `thread.rs` reads them back.
//!
//! The message's key is sealed by the key ring; subject and posts are sealed with the message's
//! key, so that deleting that key destroys them. Addresses and phone numbers are sealed by the
//! ring, bound to their row.

mod guest;
mod manage;
mod sent_code;
mod thread;

use async_trait::async_trait;
use spreekuur_crypto::{Aad, DataKey};
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::auth::session_code::CodeProblem;
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::ports::SecureMailStore;
use spreekuur_domain::secure_mail::sent_code::NewSentCode;
use spreekuur_domain::secure_mail::{
    Copy, Line, Method, NewAuthor, NewPost, NewSecureMail, Overview, PhoneNumber, Status, Thread,
};
use spreekuur_domain::{Error, RecipientId, SecureMailId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::{Db, audit, db_err, outbox};

pub(crate) fn line_str(line: Line) -> &'static str {
    match line {
        Line::To => "to",
        Line::Cc => "cc",
    }
}

fn crypto(what: &str, e: spreekuur_crypto::CryptoError) -> StoreError {
    StoreError(format!("secure mail {what}: {e}"))
}

impl Db {
    /// The message's own key, opened with the ring; `None` once it was destroyed.
    pub(crate) fn mail_key(
        &self,
        mail: &str,
        sealed: Option<Vec<u8>>,
    ) -> Result<Option<DataKey>, StoreError> {
        match sealed {
            None => Ok(None),
            Some(s) => {
                let bytes = zeroize::Zeroizing::new(self.open_bytes(
                    "secure_mails",
                    "mail_key",
                    mail,
                    &s,
                )?);
                DataKey::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| crypto("key", e))
            }
        }
    }
}

async fn insert_post(
    conn: &mut AnyConnection,
    key: &DataKey,
    post: &NewPost,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "UPDATE secure_mails SET last_seq = last_seq + 1, last_activity = $2
         WHERE id = $1 RETURNING last_seq",
    )
    .bind(post.mail.as_str())
    .bind(post.at.millis())
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let seq: i64 = row.try_get("last_seq").map_err(db_err)?;
    let id = uuid::Uuid::now_v7().to_string();
    let body = key
        .seal(
            Aad::new("secure_mail_posts", "body", &id),
            post.text.as_bytes(),
        )
        .map_err(|e| crypto("post", e))?;
    let (author, guest) = match &post.author {
        NewAuthor::Staff(u) => (Some(u.as_str().to_string()), None),
        NewAuthor::Guest(r) => (None, Some(r.as_str().to_string())),
    };
    sqlx::query(
        "INSERT INTO secure_mail_posts (id, mail_id, seq, author_id, recipient_id, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(post.mail.as_str())
    .bind(seq)
    .bind(author)
    .bind(guest)
    .bind(body)
    .bind(post.at.millis())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(seq)
}

/// Queues a notification for a copy and stores its link.
async fn notify(
    db: &Db,
    conn: &mut AnyConnection,
    copy: &RecipientId,
    link_hash: &[u8],
    mail: &Outgoing,
    now: Timestamp,
) -> Result<(), StoreError> {
    let notice = outbox::enqueue(db, conn, mail, now).await?;
    sqlx::query(
        "INSERT INTO secure_mail_links (hash, recipient_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(link_hash.to_vec())
    .bind(copy.as_str())
    .bind(now.millis())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE secure_mail_recipients SET notice_id = $2 WHERE id = $1")
        .bind(copy.as_str())
        .bind(notice.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl SecureMailStore for Db {
    async fn create_secure_mail(
        &self,
        new: &NewSecureMail,
        audit_recs: &[AuditRecord],
    ) -> Result<(), Error> {
        let id = new.id.as_str();
        let key = DataKey::generate().map_err(|e| crypto("key", e))?;
        let sealed_key = self.seal_bytes("secure_mails", "mail_key", id, key.as_bytes())?;
        let subject = key
            .seal(
                Aad::new("secure_mails", "subject", id),
                new.subject.as_bytes(),
            )
            .map_err(|e| crypto("subject", e))?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO secure_mails (id, sender_id, team_id, mail_key, subject, created_at, expires_at, last_seq, last_activity, lang)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $6, $8)",
        )
        .bind(id)
        .bind(new.sender.as_str())
        .bind(new.team.as_ref().map(|t| t.as_str().to_string()))
        .bind(sealed_key)
        .bind(subject)
        .bind(new.created_at.millis())
        .bind(new.expires_at.map(Timestamp::millis))
        .bind(new.lang.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_post(
            &mut tx,
            &key,
            &NewPost {
                mail: new.id.clone(),
                author: NewAuthor::Staff(new.sender.clone()),
                text: new.text.clone(),
                at: new.created_at,
            },
        )
        .await?;
        for (position, c) in new.copies.iter().enumerate() {
            let rid = c.id.as_str();
            let email = self.seal("secure_mail_recipients", "email", rid, c.email.as_str())?;
            let phone = match &c.phone {
                Some(p) => Some(self.seal("secure_mail_recipients", "phone", rid, p.as_str())?),
                None => None,
            };
            sqlx::query(
                "INSERT INTO secure_mail_recipients (id, mail_id, position, email, line, method, phone, access_code_hash, status, sent_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent', $9)",
            )
            .bind(rid)
            .bind(id)
            .bind(position as i64)
            .bind(email)
            .bind(line_str(c.line))
            .bind(c.method.as_str())
            .bind(phone)
            .bind(c.access_code_hash.clone())
            .bind(new.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            notify(
                self,
                &mut tx,
                &c.id,
                &c.link_hash,
                &c.notice,
                new.created_at,
            )
            .await?;
        }
        audit::append_all(&mut tx, audit_recs).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn copy_by_link(&self, link_hash: &[u8]) -> Result<Option<Copy>, StoreError> {
        guest::copy_by_link(self, link_hash).await
    }

    async fn access_code_failed(
        &self,
        copy: &RecipientId,
        now: Timestamp,
        tries: i64,
        lock_secs: fn(i64) -> i64,
        audit_rec: &AuditRecord,
    ) -> Result<Option<Timestamp>, Error> {
        guest::access_code_failed(self, copy, now, tries, lock_secs, audit_rec).await
    }

    async fn open_copy(
        &self,
        copy: &RecipientId,
        session_hash: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        guest::open_copy(self, copy, session_hash, now, expires_at, audit_rec).await
    }

    async fn issue_sent_code(
        &self,
        code: &NewSentCode,
        may_send: for<'r> fn(&'r [Timestamp], Timestamp) -> Result<(), Timestamp>,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        sent_code::issue(self, code, may_send, audit_rec).await
    }

    async fn answer_sent_code(
        &self,
        copy: &RecipientId,
        candidates: &[Vec<u8>],
        now: Timestamp,
        session: (&[u8], Timestamp),
        audit_recs: (&AuditRecord, &AuditRecord),
    ) -> Result<Result<(), CodeProblem>, Error> {
        sent_code::answer(self, copy, candidates, now, session, audit_recs).await
    }

    async fn guest_session(
        &self,
        session_hash: &[u8],
        now: Timestamp,
        idle_ms: i64,
    ) -> Result<Option<RecipientId>, StoreError> {
        guest::guest_session(self, session_hash, now, idle_ms).await
    }

    async fn thread(&self, mail: &SecureMailId) -> Result<Option<Thread>, StoreError> {
        thread::read(self, mail).await
    }

    async fn post_secure_mail(
        &self,
        post: &NewPost,
        notices: &[(RecipientId, Vec<u8>, Outgoing)],
        audit_rec: &AuditRecord,
    ) -> Result<i64, Error> {
        let mut tx = self.write().await?;
        let row =
            sqlx::query("SELECT mail_key, revoked_at, expires_at FROM secure_mails WHERE id = $1")
                .bind(post.mail.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?
                .ok_or(Error::NotFound)?;
        if row
            .try_get::<Option<i64>, _>("revoked_at")
            .map_err(db_err)?
            .is_some()
        {
            return Err(Error::Used);
        }
        let expired = row
            .try_get::<Option<i64>, _>("expires_at")
            .map_err(db_err)?
            .is_some_and(|e| e <= post.at.millis());
        let key = self.mail_key(post.mail.as_str(), row.try_get("mail_key").map_err(db_err)?)?;
        let key = match key {
            Some(k) if !expired => k,
            _ => return Err(Error::Expired),
        };
        let seq = insert_post(&mut tx, &key, post).await?;
        if let NewAuthor::Guest(copy) = &post.author {
            let status: String = sqlx::query(
                "SELECT status FROM secure_mail_recipients WHERE id = $1 AND mail_id = $2",
            )
            .bind(copy.as_str())
            .bind(post.mail.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(Error::NotFound)?
            .try_get("status")
            .map_err(db_err)?;
            let status = Status::parse(&status)
                .unwrap_or(Status::Sent)
                .after(Status::Replied);
            sqlx::query(
                "UPDATE secure_mail_recipients SET status = $2, replied_at = $3 WHERE id = $1",
            )
            .bind(copy.as_str())
            .bind(status.as_str())
            .bind(post.at.millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        for (copy, link_hash, mail) in notices {
            notify(self, &mut tx, copy, link_hash, mail, post.at).await?;
        }
        if let NewAuthor::Staff(user) = &post.author {
            mark_read(&mut tx, &post.mail, user, seq).await?;
        }
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(seq)
    }

    async fn report_wrong_number(
        &self,
        copy: &RecipientId,
        now: Timestamp,
        mail: &Outgoing,
        audit_rec: &AuditRecord,
    ) -> Result<bool, Error> {
        manage::report_wrong_number(self, copy, now, mail, audit_rec).await
    }

    async fn practice_rules(
        &self,
    ) -> Result<spreekuur_domain::secure_mail::send::Rules, StoreError> {
        use spreekuur_domain::ports::AccountStore;
        Ok(self
            .practice()
            .await?
            .map(|p| p.secure_mail)
            .unwrap_or_default())
    }

    async fn resend_notice(
        &self,
        copy: &RecipientId,
        link_hash: &[u8],
        mail: &Outgoing,
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        manage::resend_notice(self, copy, link_hash, mail, now, audit_rec).await
    }

    async fn set_proof(
        &self,
        copy: &RecipientId,
        method: Method,
        phone: Option<&PhoneNumber>,
        access_code_hash: Option<&[u8]>,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        manage::set_proof(self, copy, method, phone, access_code_hash, audit_rec).await
    }

    async fn revoke_secure_mail(
        &self,
        mail: &SecureMailId,
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        manage::revoke_secure_mail(self, mail, now, audit_rec).await
    }

    async fn destroy_expired_secure_mails(&self, now: Timestamp) -> Result<u64, StoreError> {
        manage::destroy_expired_secure_mails(self, now).await
    }

    async fn secure_mails_for(&self, user: &UserId) -> Result<Vec<Overview>, StoreError> {
        thread::overview(self, user).await
    }

    async fn mark_secure_mail_read(
        &self,
        mail: &SecureMailId,
        user: &UserId,
        seq: i64,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        mark_read(&mut tx, mail, user, seq).await?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }
}

async fn mark_read(
    conn: &mut AnyConnection,
    mail: &SecureMailId,
    user: &UserId,
    seq: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO secure_mail_reads (mail_id, user_id, last_read_seq) VALUES ($1, $2, $3)
         ON CONFLICT (mail_id, user_id) DO UPDATE SET last_read_seq =
             CASE WHEN secure_mail_reads.last_read_seq > excluded.last_read_seq
                  THEN secure_mail_reads.last_read_seq ELSE excluded.last_read_seq END",
    )
    .bind(mail.as_str())
    .bind(user.as_str())
    .bind(seq)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A notification or code that could not be delivered: its copy is "niet afgeleverd" (unless it
/// was opened meanwhile). `column` names how the copy is found: `notice_id` for an e-mail, `id`
/// for a text message's copy.
pub(crate) async fn not_delivered(
    pool: &sqlx::AnyPool,
    column: &'static str,
    id: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE secure_mail_recipients SET failed_at = $1,
             status = CASE WHEN status IN ('sent', 'delivered') THEN 'not_delivered' ELSE status END
         WHERE {column} = $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now.millis())
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}
