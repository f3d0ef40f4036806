//! An administrator's actions on someone's account: finding it, signing it out everywhere,
//! resetting its second step. Each writes its notice e-mail and audit record in the same
//! transaction as the change.

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::ports::AccountAdminStore;
use spreekuur_domain::{StoreError, UserId};

use crate::account::{ACCOUNT_COLUMNS, account_from_row};
use crate::{Db, audit, db_err, outbox};

/// `query` as a LIKE pattern that matches it anywhere, its wildcards taken literally.
fn contains_pattern(query: &str) -> String {
    let mut p = String::from("%");
    for c in query.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[async_trait]
impl AccountAdminStore for Db {
    async fn search_accounts(&self, query: &str, limit: i64) -> Result<Vec<Account>, StoreError> {
        // Nothing stored holds a NUL (PostgreSQL refuses it in text): nothing can match.
        if query.contains('\0') {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users u
              WHERE LOWER(u.first_name || ' ' || u.last_name) LIKE $1 ESCAPE '\\'
                 OR LOWER(u.email) LIKE $1 ESCAPE '\\'
                 OR LOWER(COALESCE(u.username, '')) LIKE $1 ESCAPE '\\'
              ORDER BY u.last_name, u.first_name, u.id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(contains_pattern(query))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(account_from_row).collect()
    }

    async fn end_all_sessions(
        &self,
        user: &UserId,
        notice: &Outgoing,
        audit_rec: &AuditRecord,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        crate::api_token::revoke_all(&mut tx, user, audit_rec.at).await?;
        outbox::enqueue(self, &mut tx, notice, audit_rec.at).await?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn reset_second_step(
        &self,
        user: &UserId,
        notice: &Outgoing,
        audit_rec: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for sql in [
            "DELETE FROM backup_codes WHERE user_id = $1",
            "DELETE FROM totp_credentials WHERE user_id = $1",
            "DELETE FROM passkeys WHERE user_id = $1",
            "DELETE FROM webauthn_ceremonies WHERE user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
        ] {
            sqlx::query(sql)
                .bind(user.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        crate::api_token::revoke_all(&mut tx, user, audit_rec.at).await?;
        outbox::enqueue(self, &mut tx, notice, audit_rec.at).await?;
        audit::append(&mut tx, audit_rec).await?;
        tx.commit().await.map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_in_a_search_are_taken_literally() {
        assert_eq!(contains_pattern(" De Vries "), "%de vries%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
