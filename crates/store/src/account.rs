//! The practice, accounts and single-use links.

use async_trait::async_trait;
use spreekuur_domain::account::{Account, NewAccount, Practice, Role};
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::auth::session_code::SecondStep;
use spreekuur_domain::error::Reason;
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::office_hours::OfficeHours;
use spreekuur_domain::ports::{AccountStore, LinkPurpose, NewLinkToken};
use spreekuur_domain::secure_mail::send::Rules;
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_domain::{Error, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::{Db, audit, db_err, internal, is_unique_violation, outbox};

pub(crate) const ACCOUNT_COLUMNS: &str = "u.id, u.role, u.email, u.username, u.first_name, u.last_name, u.active, u.lang, u.send_read_receipts, u.notify_email, u.created_at";

pub(crate) fn account_from_row(row: &sqlx::any::AnyRow) -> Result<Account, StoreError> {
    let role: String = row.try_get("role").map_err(db_err)?;
    Ok(Account {
        id: UserId::from_stored(row.try_get("id").map_err(db_err)?),
        role: Role::parse(&role).ok_or_else(|| StoreError(format!("unknown role {role:?}")))?,
        email: EmailAddress::from_stored(row.try_get("email").map_err(db_err)?),
        username: row.try_get("username").map_err(db_err)?,
        first_name: PersonName::from_stored(row.try_get("first_name").map_err(db_err)?),
        last_name: PersonName::from_stored(row.try_get("last_name").map_err(db_err)?),
        active: row.try_get::<i64, _>("active").map_err(db_err)? != 0,
        lang: row.try_get("lang").map_err(db_err)?,
        send_read_receipts: row
            .try_get::<i64, _>("send_read_receipts")
            .map_err(db_err)?
            != 0,
        notify_email: row.try_get::<i64, _>("notify_email").map_err(db_err)? != 0,
        created_at: Timestamp(row.try_get("created_at").map_err(db_err)?),
    })
}

/// Inserts an account inside the caller's transaction; `Conflict` when the address or the
/// username is taken.
pub(crate) async fn insert_account(
    conn: &mut AnyConnection,
    a: &NewAccount,
    now: Timestamp,
) -> Result<(), Error> {
    let taken = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE email = $1 OR (username IS NOT NULL AND username = $2)")
        .bind(a.email.as_str())
        .bind(a.username.clone())
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
    if taken.try_get::<i64, _>("n").map_err(internal)? > 0 {
        return Err(Error::Conflict(Reason::AccountExists));
    }
    sqlx::query(
        "INSERT INTO users (id, role, email, username, first_name, last_name, password_hash, active, lang, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
    )
    .bind(a.id.as_str())
    .bind(a.role.as_str())
    .bind(a.email.as_str())
    .bind(a.username.clone())
    .bind(a.first_name.as_str())
    .bind(a.last_name.as_str())
    .bind(a.password_hash.clone())
    .bind(a.lang.clone())
    .bind(now.millis())
    .execute(&mut *conn)
    .await
    .map_err(|e| if is_unique_violation(&e) { Error::Conflict(Reason::AccountExists) } else { internal(e) })?;
    Ok(())
}

/// Inserts the practice (there is one per server); `Conflict` if it exists.
async fn insert_practice(
    conn: &mut AnyConnection,
    p: &Practice,
    now: Timestamp,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO practice (id, name, email, terms_text, privacy_text, created_at, patient_second_step, staff_second_step, lock_minutes, read_receipts, office_hours, closed_days, emergency_text)
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(p.name.clone())
    .bind(p.email.as_str())
    .bind(p.terms_text.clone())
    .bind(p.privacy_text.clone())
    .bind(now.millis())
    .bind(p.patient_second_step.as_str())
    .bind(p.staff_second_step.as_str())
    .bind(p.lock_minutes)
    .bind(i64::from(p.read_receipts))
    .bind(p.office_hours.encode_week())
    .bind(p.office_hours.format_closed_days())
    .bind(p.emergency_text.clone())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict(Reason::PracticeExists)
        } else {
            internal(e)
        }
    })?;
    Ok(())
}

async fn insert_link(conn: &mut AnyConnection, link: &NewLinkToken) -> Result<(), StoreError> {
    // A new link voids every unused older one for the same purpose and person.
    sqlx::query("UPDATE link_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL AND (user_id = $3 OR (user_id IS NULL AND $3 IS NULL))")
        .bind(link.created_at.millis())
        .bind(link.purpose.as_str())
        .bind(link.user.as_ref().map(|u| u.to_string()))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    sqlx::query("INSERT INTO link_tokens (hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(link.hash.clone())
        .bind(link.purpose.as_str())
        .bind(link.user.as_ref().map(|u| u.to_string()))
        .bind(link.created_at.millis())
        .bind(link.expires_at.millis())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Uses a link exactly once: the conditional UPDATE lets one of two simultaneous requests win.
/// When nothing is updated, reads the row to say why (unknown, used or expired).
async fn use_link(
    conn: &mut AnyConnection,
    hash: &[u8],
    purpose: LinkPurpose,
    now: Timestamp,
) -> Result<Option<UserId>, Error> {
    let row = sqlx::query(
        "UPDATE link_tokens SET used_at = $1 WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now.millis())
    .bind(hash.to_vec())
    .bind(purpose.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    match row {
        Some(r) => Ok(r
            .try_get::<Option<String>, _>("user_id")
            .map_err(internal)?
            .map(UserId::from_stored)),
        None => Err(link_problem(conn, hash, purpose, now).await),
    }
}

async fn link_problem(
    conn: &mut AnyConnection,
    hash: &[u8],
    purpose: LinkPurpose,
    now: Timestamp,
) -> Error {
    let row =
        sqlx::query("SELECT used_at, expires_at FROM link_tokens WHERE hash = $1 AND purpose = $2")
            .bind(hash.to_vec())
            .bind(purpose.as_str())
            .fetch_optional(&mut *conn)
            .await;
    match row {
        Ok(None) => Error::NotFound,
        Ok(Some(r)) => {
            let used: Option<i64> = r.try_get("used_at").unwrap_or(None);
            let expires: i64 = r.try_get("expires_at").unwrap_or(0);
            if used.is_some() {
                Error::Used
            } else if expires <= now.millis() {
                Error::Expired
            } else {
                Error::Internal("link neither used nor expired but not usable".into())
            }
        }
        Err(e) => internal(e),
    }
}

#[async_trait]
impl AccountStore for Db {
    async fn practice(&self) -> Result<Option<Practice>, StoreError> {
        let row =
            sqlx::query("SELECT name, email, terms_text, privacy_text, patient_second_step, staff_second_step, lock_minutes, read_receipts, office_hours, closed_days, emergency_text, secure_mail_expiry_days, secure_mail_email_code, secure_mail_subject_in_notice FROM practice WHERE id = 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        row.map(|r| {
            let step = |col: &str| -> Result<SecondStep, StoreError> {
                let v: String = r.try_get(col).map_err(db_err)?;
                SecondStep::parse(&v)
                    .ok_or_else(|| StoreError(format!("unknown second step {v:?}")))
            };
            Ok(Practice {
                name: r.try_get("name").map_err(db_err)?,
                email: EmailAddress::from_stored(r.try_get("email").map_err(db_err)?),
                terms_text: r.try_get("terms_text").map_err(db_err)?,
                privacy_text: r.try_get("privacy_text").map_err(db_err)?,
                patient_second_step: step("patient_second_step")?,
                staff_second_step: step("staff_second_step")?,
                lock_minutes: r.try_get("lock_minutes").map_err(db_err)?,
                read_receipts: r.try_get::<i64, _>("read_receipts").map_err(db_err)? != 0,
                secure_mail: Rules {
                    expiry_days: r.try_get("secure_mail_expiry_days").map_err(db_err)?,
                    email_code: r
                        .try_get::<i64, _>("secure_mail_email_code")
                        .map_err(db_err)?
                        != 0,
                    subject_in_notice: r
                        .try_get::<i64, _>("secure_mail_subject_in_notice")
                        .map_err(db_err)?
                        != 0,
                },
                office_hours: OfficeHours {
                    week: OfficeHours::decode_week(
                        &r.try_get::<String, _>("office_hours").map_err(db_err)?,
                    ),
                    closed_days: OfficeHours::parse_closed_days(
                        &r.try_get::<String, _>("closed_days").map_err(db_err)?,
                    )
                    .unwrap_or_default(),
                },
                emergency_text: r.try_get("emergency_text").map_err(db_err)?,
            })
        })
        .transpose()
    }

    async fn update_practice(
        &self,
        p: &Practice,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, audit_rec).await?;
        sqlx::query("UPDATE practice SET name = $1, email = $2, terms_text = $3, privacy_text = $4, patient_second_step = $5, staff_second_step = $6, lock_minutes = $7, read_receipts = $8, office_hours = $9, closed_days = $10, emergency_text = $11, secure_mail_expiry_days = $12, secure_mail_email_code = $13, secure_mail_subject_in_notice = $14 WHERE id = 1")
            .bind(p.name.clone())
            .bind(p.email.as_str())
            .bind(p.terms_text.clone())
            .bind(p.privacy_text.clone())
            .bind(p.patient_second_step.as_str())
            .bind(p.staff_second_step.as_str())
            .bind(p.lock_minutes)
            .bind(i64::from(p.read_receipts))
            .bind(p.office_hours.encode_week())
            .bind(p.office_hours.format_closed_days())
            .bind(p.emergency_text.clone())
            .bind(p.secure_mail.expiry_days)
            .bind(i64::from(p.secure_mail.email_code))
            .bind(i64::from(p.secure_mail.subject_in_notice))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn create_practice(
        &self,
        p: &Practice,
        now: Timestamp,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, audit_rec).await?;
        insert_practice(&mut tx, p, now).await?;
        tx.commit().await.map_err(internal)
    }

    async fn staff_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role <> 'patient'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        row.try_get("n").map_err(db_err)
    }

    async fn account(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users u WHERE u.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn account_for_login(
        &self,
        login: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError> {
        let login = login.trim().to_lowercase();
        // No account's name holds a NUL, and PostgreSQL would refuse it in a parameter.
        if login.contains('\0') {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1 OR u.username = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            Ok((
                account_from_row(&r)?,
                r.try_get("password_hash").map_err(db_err)?,
            ))
        })
        .transpose()
    }

    async fn list_staff(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users u WHERE u.role <> 'patient' ORDER BY u.last_name, u.first_name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(account_from_row).collect()
    }

    async fn create_account(
        &self,
        account: &NewAccount,
        link: Option<&NewLinkToken>,
        mail: Option<&Outgoing>,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, audit_rec).await?;
        insert_account(&mut tx, account, audit_rec.at).await?;
        if let Some(link) = link {
            insert_link(&mut tx, link).await?;
        }
        if let Some(mail) = mail {
            outbox::enqueue(self, &mut tx, mail, audit_rec.at).await?;
        }
        tx.commit().await.map_err(internal)
    }

    async fn set_active(
        &self,
        id: &UserId,
        active: bool,
        audit_rec: &AuditRecord,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, audit_rec).await?;
        let n = sqlx::query("UPDATE users SET active = $1 WHERE id = $2 AND role <> 'patient'")
            .bind(i64::from(active))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)
    }

    async fn set_send_read_receipts(&self, id: &UserId, on: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET send_read_receipts = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn issue_link(
        &self,
        link: &NewLinkToken,
        mail: Option<&Outgoing>,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, audit_rec).await?;
        insert_link(&mut tx, link).await?;
        if let Some(mail) = mail {
            outbox::enqueue(self, &mut tx, mail, link.created_at).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn check_link(
        &self,
        hash: &[u8],
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<UserId>, Error> {
        let row = sqlx::query("SELECT user_id FROM link_tokens WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3")
            .bind(hash.to_vec())
            .bind(purpose.as_str())
            .bind(now.millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
        match row {
            Some(r) => Ok(r
                .try_get::<Option<String>, _>("user_id")
                .map_err(internal)?
                .map(UserId::from_stored)),
            None => {
                let mut conn = self.pool.acquire().await.map_err(internal)?;
                Err(link_problem(&mut conn, hash, purpose, now).await)
            }
        }
    }

    async fn redeem_setup(
        &self,
        hash: &[u8],
        now: Timestamp,
        practice: &Practice,
        admin: &NewAccount,
        audit_recs: &[AuditRecord],
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        use_link(&mut tx, hash, LinkPurpose::Setup, now).await?;
        insert_practice(&mut tx, practice, now)
            .await
            .map_err(|e| match e {
                // The practice exists: this server was set up already, so the link is spent.
                Error::Conflict(_) => Error::Used,
                other => other,
            })?;
        insert_account(&mut tx, admin, now).await?;
        audit::append_all(&mut tx, audit_recs).await?;
        tx.commit().await.map_err(internal)
    }

    async fn redeem_password_link(
        &self,
        hash: &[u8],
        purpose: LinkPurpose,
        now: Timestamp,
        password_hash: &str,
        mail: Option<&Outgoing>,
        audit_rec: AuditRecord,
    ) -> Result<UserId, Error> {
        let mut tx = self.write().await?;
        let user = use_link(&mut tx, hash, purpose, now)
            .await?
            .ok_or(Error::NotFound)?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        // A new password signs out every existing session of the account, and revokes its API
        // tokens (one made by whoever knew the old password must not outlive it).
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        crate::api_token::revoke_all(&mut tx, &user, now)
            .await
            .map_err(Error::from)?;
        if let Some(mail) = mail {
            outbox::enqueue(self, &mut tx, mail, now).await?;
        }
        audit::append(&mut tx, &audit_rec.actor(&user)).await?;
        tx.commit().await.map_err(internal)?;
        Ok(user)
    }

    async fn latest_open_link(
        &self,
        user: &UserId,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(created_at) AS at FROM link_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(user.as_str())
        .bind(purpose.as_str())
        .bind(now.millis())
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row
            .try_get::<Option<i64>, _>("at")
            .map_err(db_err)?
            .map(Timestamp))
    }
}
