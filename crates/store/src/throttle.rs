//! Throttling counters (login names, client addresses, an account's second step and session
//! codes), one row per key, updated under the write lock so that attempts made at the same
//! moment on several nodes are each counted before they are checked.

use async_trait::async_trait;
use spreekuur_domain::auth::throttle::Throttle;
use spreekuur_domain::ports::ThrottleStore;
use spreekuur_domain::{StoreError, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::{Db, db_err};

async fn read(conn: &mut AnyConnection, key: &str) -> Result<Throttle, StoreError> {
    let row = sqlx::query(
        "SELECT failures, last_failure, blocked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(match row {
        None => Throttle::default(),
        Some(r) => Throttle {
            failures: r.try_get("failures").map_err(db_err)?,
            last_failure: r
                .try_get::<Option<i64>, _>("last_failure")
                .map_err(db_err)?
                .map(Timestamp),
            blocked_until: r
                .try_get::<Option<i64>, _>("blocked_until")
                .map_err(db_err)?
                .map(Timestamp),
        },
    })
}

/// Reads the key's record with its row locked (PostgreSQL; SQLite's writer is one at a time),
/// so two nodes cannot both count from the same value.
async fn lock(conn: &mut AnyConnection, key: &str) -> Result<Throttle, StoreError> {
    sqlx::query("INSERT INTO login_throttle (key, failures) VALUES ($1, 0) ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    read(conn, key).await
}

async fn write(conn: &mut AnyConnection, key: &str, t: &Throttle) -> Result<(), StoreError> {
    sqlx::query("UPDATE login_throttle SET failures = $1, last_failure = $2, blocked_until = $3 WHERE key = $4")
        .bind(t.failures)
        .bind(t.last_failure.map(Timestamp::millis))
        .bind(t.blocked_until.map(Timestamp::millis))
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl ThrottleStore for Db {
    async fn throttle(&self, key: &str) -> Result<Throttle, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        read(&mut conn, key).await
    }

    async fn take_attempt(
        &self,
        key: &str,
        now: Timestamp,
        free: i64,
    ) -> Result<Result<Throttle, Timestamp>, StoreError> {
        let mut tx = self.write().await?;
        let current = lock(&mut tx, key).await?;
        if let Some(until) = current.blocked(now) {
            tx.commit().await.map_err(db_err)?;
            return Ok(Err(until));
        }
        let next = current.after_failure(now, free);
        write(&mut tx, key, &next).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Ok(next))
    }

    async fn forgive_attempt(&self, key: &str, free: i64) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let next = lock(&mut tx, key).await?.forgiven(free);
        write(&mut tx, key, &next).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn clear_throttle(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
