//! Reading a secure e-mail back: the whole thread for its page, and a staff member's list.

use spreekuur_crypto::{Aad, DataKey};
use spreekuur_domain::secure_mail::{
    Author, CopyView, Line, Method, Overview, PhoneNumber, Post, Status, Thread,
};
use spreekuur_domain::validate::EmailAddress;
use spreekuur_domain::{RecipientId, SecureMailId, StoreError, TeamId, Timestamp, UserId};
use sqlx::Row;

use crate::{Db, db_err};

fn ts(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(row
        .try_get::<Option<i64>, _>(col)
        .map_err(db_err)?
        .map(Timestamp))
}

fn open_text(
    key: Option<&DataKey>,
    table: &str,
    column: &str,
    row: &str,
    sealed: Option<Vec<u8>>,
) -> Result<Option<String>, StoreError> {
    match (key, sealed) {
        (Some(k), Some(s)) => {
            let bytes = k
                .open(Aad::new(table, column, row), &s)
                .map_err(|e| StoreError(format!("open {table}.{column} of row {row}: {e}")))?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| StoreError(format!("{table}.{column} of row {row} is not text")))
        }
        _ => Ok(None),
    }
}

impl Db {
    pub(crate) fn stored_email(
        &self,
        copy: &str,
        sealed: &[u8],
    ) -> Result<EmailAddress, StoreError> {
        let text = self.open("secure_mail_recipients", "email", copy, sealed)?;
        EmailAddress::parse(&text).map_err(|_| StoreError(format!("copy {copy}: bad address")))
    }

    async fn copies(&self, mail: &str) -> Result<Vec<CopyView>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, email, line, method, phone, status, sent_at, delivered_at, failed_at,
                    opened_at, replied_at, locked_until, wrong_number_at
             FROM secure_mail_recipients WHERE mail_id = $1 ORDER BY position",
        )
        .bind(mail)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id").map_err(db_err)?;
                let email: Vec<u8> = row.try_get("email").map_err(db_err)?;
                let line: String = row.try_get("line").map_err(db_err)?;
                let method: String = row.try_get("method").map_err(db_err)?;
                let status: String = row.try_get("status").map_err(db_err)?;
                let phone = match row.try_get::<Option<Vec<u8>>, _>("phone").map_err(db_err)? {
                    Some(s) => Some(PhoneNumber::from_stored(self.open(
                        "secure_mail_recipients",
                        "phone",
                        &id,
                        &s,
                    )?)),
                    None => None,
                };
                Ok(CopyView {
                    email: self.stored_email(&id, &email)?,
                    line: if line == "cc" { Line::Cc } else { Line::To },
                    method: Method::parse(&method)
                        .ok_or_else(|| StoreError(format!("unknown method {method:?}")))?,
                    phone,
                    status: Status::parse(&status)
                        .ok_or_else(|| StoreError(format!("unknown status {status:?}")))?,
                    sent_at: Timestamp(row.try_get("sent_at").map_err(db_err)?),
                    delivered_at: ts(row, "delivered_at")?,
                    failed_at: ts(row, "failed_at")?,
                    opened_at: ts(row, "opened_at")?,
                    replied_at: ts(row, "replied_at")?,
                    locked_until: ts(row, "locked_until")?,
                    wrong_number_at: ts(row, "wrong_number_at")?,
                    id: RecipientId::from_stored(id),
                })
            })
            .collect()
    }
}

pub(super) async fn read(db: &Db, mail: &SecureMailId) -> Result<Option<Thread>, StoreError> {
    let row = sqlx::query(
        "SELECT m.sender_id, m.team_id, m.mail_key, m.subject, m.created_at, m.expires_at,
                m.revoked_at, u.first_name, u.last_name
         FROM secure_mails m JOIN users u ON u.id = m.sender_id WHERE m.id = $1",
    )
    .bind(mail.as_str())
    .fetch_optional(&db.pool)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let id = mail.as_str();
    let key = db.mail_key(id, row.try_get("mail_key").map_err(db_err)?)?;
    let subject = open_text(
        key.as_ref(),
        "secure_mails",
        "subject",
        id,
        row.try_get("subject").map_err(db_err)?,
    )?;
    let copies = db.copies(id).await?;
    let post_rows = sqlx::query(
        "SELECT p.id, p.seq, p.author_id, p.recipient_id, p.body, p.created_at,
                u.first_name, u.last_name
         FROM secure_mail_posts p LEFT JOIN users u ON u.id = p.author_id
         WHERE p.mail_id = $1 ORDER BY p.seq",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
    .map_err(db_err)?;
    let mut posts = Vec::with_capacity(post_rows.len());
    for p in &post_rows {
        let pid: String = p.try_get("id").map_err(db_err)?;
        let author = match (
            p.try_get::<Option<String>, _>("author_id")
                .map_err(db_err)?,
            p.try_get::<Option<String>, _>("recipient_id")
                .map_err(db_err)?,
        ) {
            (Some(user), _) => {
                let first: String = p.try_get("first_name").map_err(db_err)?;
                let last: String = p.try_get("last_name").map_err(db_err)?;
                Author::Staff {
                    id: UserId::from_stored(user),
                    name: format!("{first} {last}"),
                }
            }
            (None, Some(copy)) => {
                let email = copies
                    .iter()
                    .find(|c| c.id.as_str() == copy)
                    .map(|c| c.email.clone())
                    .ok_or_else(|| StoreError(format!("post {pid}: unknown copy")))?;
                Author::Guest {
                    copy: RecipientId::from_stored(copy),
                    email,
                }
            }
            (None, None) => return Err(StoreError(format!("post {pid} has no author"))),
        };
        posts.push(Post {
            seq: p.try_get("seq").map_err(db_err)?,
            author,
            text: open_text(
                key.as_ref(),
                "secure_mail_posts",
                "body",
                &pid,
                p.try_get("body").map_err(db_err)?,
            )?
            .unwrap_or_default(),
            at: Timestamp(p.try_get("created_at").map_err(db_err)?),
        });
    }
    let first: String = row.try_get("first_name").map_err(db_err)?;
    let last: String = row.try_get("last_name").map_err(db_err)?;
    Ok(Some(Thread {
        id: mail.clone(),
        sender: UserId::from_stored(row.try_get("sender_id").map_err(db_err)?),
        sender_name: format!("{first} {last}"),
        team: row
            .try_get::<Option<String>, _>("team_id")
            .map_err(db_err)?
            .map(TeamId::from_stored),
        subject,
        created_at: Timestamp(row.try_get("created_at").map_err(db_err)?),
        expires_at: ts(&row, "expires_at")?,
        revoked_at: ts(&row, "revoked_at")?,
        copies,
        posts,
    }))
}

pub(super) async fn overview(db: &Db, user: &UserId) -> Result<Vec<Overview>, StoreError> {
    let rows = sqlx::query(
        "SELECT m.id, m.mail_key, m.subject, m.last_activity, m.expires_at, m.revoked_at,
                u.first_name, u.last_name, t.name AS team_name,
                (SELECT COUNT(*) FROM secure_mail_posts p
                  WHERE p.mail_id = m.id AND p.seq > COALESCE(r.last_read_seq, 0)
                    AND (p.author_id IS NULL OR p.author_id <> $1)) AS unread
         FROM secure_mails m
         JOIN users u ON u.id = m.sender_id
         LEFT JOIN teams t ON t.id = m.team_id
         LEFT JOIN secure_mail_reads r ON r.mail_id = m.id AND r.user_id = $1
         WHERE m.sender_id = $1
            OR m.team_id IN (SELECT team_id FROM team_members WHERE user_id = $1)
         ORDER BY m.last_activity DESC
         LIMIT 200",
    )
    .bind(user.as_str())
    .fetch_all(&db.pool)
    .await
    .map_err(db_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: String = row.try_get("id").map_err(db_err)?;
        let key = db.mail_key(&id, row.try_get("mail_key").map_err(db_err)?)?;
        let subject = open_text(
            key.as_ref(),
            "secure_mails",
            "subject",
            &id,
            row.try_get("subject").map_err(db_err)?,
        )?;
        let first: String = row.try_get("first_name").map_err(db_err)?;
        let last: String = row.try_get("last_name").map_err(db_err)?;
        let recipients = db.copies(&id).await?.into_iter().map(|c| c.email).collect();
        out.push(Overview {
            subject,
            sender_name: format!("{first} {last}"),
            team_name: row.try_get("team_name").map_err(db_err)?,
            recipients,
            last_activity: Timestamp(row.try_get("last_activity").map_err(db_err)?),
            unread: row.try_get("unread").map_err(db_err)?,
            revoked: ts(row, "revoked_at")?.is_some(),
            expires_at: ts(row, "expires_at")?,
            id: SecureMailId::from_stored(id),
        });
    }
    Ok(out)
}
