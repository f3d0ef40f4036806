//! Spreekuur's storage adapter: one implementation of the domain's ports over sqlx's `Any`
//! pool, the same SQL text for SQLite (default) and PostgreSQL (scale-out). What really differs
//! between the two lives in [`backend`]. Content is sealed with the key ring before it reaches a
//! row and opened after it leaves one; the associated data names the table, column and row.

mod account;
mod account_admin;
mod api_token;
mod audit;
pub mod backend;
mod blob;
mod columns;
mod conversation;
mod file;
mod group;
mod invitation;
mod live;
mod message_writer;
mod migrations;
mod notice;
mod outbox;
mod passkey;
mod secure_mail;
mod session;
mod session_code;
mod sms;
mod statement;
mod team;
mod throttle;
mod totp;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use spreekuur_crypto::{Aad, DataKey, KeyRing, KeyStatus, MasterKey};
use spreekuur_domain::ports::HealthStore;
use spreekuur_domain::{Error, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

pub use backend::Backend;
pub use blob::LocalBlobs;
pub use live::Live;

/// Why the store could not be opened. Shown to the operator at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "unsupported database URL scheme {0:?}: use sqlite: (for example sqlite://spreekuur-data/spreekuur.db) or postgres: (for example postgres://user@host/db)"
    )]
    Scheme(String),
    #[error("could not open the database: {0}")]
    Open(String),
    #[error("could not apply database migrations: {0}")]
    Migrate(String),
    #[error(
        "could not load the data keys (is this the master key that created this database?): {0}"
    )]
    Keys(String),
}

/// The database, its backend and the key ring.
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    keys: Arc<KeyRing>,
    /// Where new messages go to be stored in batches; None in the writer's own copy.
    writer: Option<tokio::sync::mpsc::Sender<message_writer::PostRequest>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens the database named by `url`, applies migrations and loads the key ring (creating
    /// the first data key, wrapped by `master`, on a new database).
    pub async fn connect(
        url: &str,
        master: &MasterKey,
        max_connections: u32,
    ) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        backend.check_shared(url)?;
        if backend.unverified_transport(url) {
            tracing::warn!(
                "the database is reached over the network without checking its certificate: \
                 set sslmode=verify-full (with sslrootcert) in database_url, or use a Unix socket"
            );
        }
        let url = backend.normalise_url(url);
        let options =
            AnyConnectOptions::from_str(&url).map_err(|e| ConnectError::Open(e.to_string()))?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            // A SQLite connection is a file: nothing to test before lending it out (the test
            // is one more hand-off to its worker thread). PostgreSQL's may have been dropped.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    for stmt in backend.connection_setup() {
                        sqlx::query(*stmt).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        Migrator::with_migrations(migrations::all(backend))
            .run(&pool)
            .await
            .map_err(|e| ConnectError::Migrate(e.to_string()))?;
        let keys = load_keys(&pool, master)
            .await
            .map_err(|e| ConnectError::Keys(e.0))?;
        let mut db = Self {
            pool,
            backend,
            keys: Arc::new(keys),
            writer: None,
        };
        let catch_up = Arc::new(AtomicBool::new(false));
        let writer = message_writer::spawn(db.without_writer(), catch_up.clone());
        if backend == Backend::Sqlite {
            spawn_checkpoints(db.pool.clone(), writer.downgrade(), catch_up);
        }
        db.writer = Some(writer);
        Ok(db)
    }

    /// The same database and keys, with no message writer: the writer's own copy, and work
    /// handed to another task by it.
    pub(crate) fn without_writer(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            backend: self.backend,
            keys: self.keys.clone(),
            writer: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (before a test drops its database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes cannot fail on a lock upgrade under load.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(db_err),
            Backend::Postgres => self.pool.begin().await.map_err(db_err),
        }
    }

    pub(crate) fn seal(
        &self,
        table: &str,
        column: &str,
        row: &str,
        plaintext: &str,
    ) -> Result<Vec<u8>, StoreError> {
        self.keys
            .seal(Aad::new(table, column, row), plaintext.as_bytes())
            .map_err(|e| StoreError(format!("seal {table}.{column}: {e}")))
    }

    pub(crate) fn seal_bytes(
        &self,
        table: &str,
        column: &str,
        row: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        self.keys
            .seal(Aad::new(table, column, row), plaintext)
            .map_err(|e| StoreError(format!("seal {table}.{column}: {e}")))
    }

    pub(crate) fn open_bytes(
        &self,
        table: &str,
        column: &str,
        row: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        self.keys
            .open(Aad::new(table, column, row), sealed)
            .map_err(|e| StoreError(format!("open {table}.{column} of row {row}: {e}")))
    }

    pub(crate) fn open(
        &self,
        table: &str,
        column: &str,
        row: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        self.keys
            .open_text(Aad::new(table, column, row), sealed)
            .map_err(|e| StoreError(format!("open {table}.{column} of row {row}: {e}")))
    }

    /// Runs raw SQL; for tests that play an attacker with database access.
    #[doc(hidden)]
    pub async fn danger_execute(&self, sql: &str) -> Result<u64, StoreError> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err)
    }

    /// Reads one BLOB column of one row; for tests that check what is stored.
    #[doc(hidden)]
    pub async fn danger_read_blob(
        &self,
        sql: &'static str,
        id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| r.try_get::<Option<Vec<u8>>, _>(0))
            .transpose()
            .map_err(db_err)
            .map(Option::flatten)
    }
}

async fn load_keys(pool: &AnyPool, master: &MasterKey) -> Result<KeyRing, StoreError> {
    let rows = sqlx::query("SELECT id, wrapped, status FROM data_keys")
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    if rows.is_empty() {
        let key = DataKey::generate().map_err(|e| StoreError(e.to_string()))?;
        let wrapped = master
            .wrap(1, &key)
            .map_err(|e| StoreError(e.to_string()))?;
        // Another node may create the first key at the same moment; the first insert wins and
        // everyone loads that one.
        sqlx::query("INSERT INTO data_keys (id, wrapped, status, created_at) VALUES (1, $1, 'active', 0) ON CONFLICT (id) DO NOTHING")
            .bind(wrapped)
            .execute(pool)
            .await
            .map_err(db_err)?;
        return Box::pin(load_keys(pool, master)).await;
    }
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id").map_err(db_err)?;
        let wrapped: Vec<u8> = row.try_get("wrapped").map_err(db_err)?;
        let status: String = row.try_get("status").map_err(db_err)?;
        let status = KeyStatus::parse(&status)
            .ok_or_else(|| StoreError(format!("data key {id} has unknown status")))?;
        let id =
            u32::try_from(id).map_err(|_| StoreError(format!("data key id {id} out of range")))?;
        let key = master
            .unwrap_key(id, &wrapped)
            .map_err(|_| StoreError(format!("data key {id} does not open with this master key")))?;
        keys.push((id, key, status));
    }
    KeyRing::new(keys).map_err(|e| StoreError(e.to_string()))
}

/// The placeholders of a multi-row VALUES list: `($1, $2), ($3, $4)` for 2 rows of 2 columns.
pub(crate) fn values(rows: usize, columns: usize) -> String {
    values_from(1, rows, columns)
}

/// The same, numbered from `first`.
pub(crate) fn values_from(first: usize, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * columns + c).to_string());
        }
        out.push(')');
    }
    out
}

/// How often SQLite's log is copied back into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// The length of SQLite's log (in pages of 4 KiB: 64 MiB) past which the message writer is asked
/// to finish a checkpoint itself (see `spawn_checkpoints`).
const LOG_CATCH_UP_PAGES: i64 = 16_384;

/// Copies SQLite's log back into the database on a task of its own (every connection has
/// `wal_autocheckpoint = 0`), so no commit pays for it. A passive checkpoint never waits for,
/// nor holds up, a writer. It stops with the database (its message writer gone, or the pool
/// closed).
///
/// SQLite starts its log over only when a write begins with every page of the log copied back.
/// Under a steady stream of batches this task never catches up with the writer (it copies while
/// the writer appends), and the log would grow for as long as the stream lasts: 1 GiB in six
/// seconds of the benchmark's W1. So once the log is past `LOG_CATCH_UP_PAGES`, it raises
/// `catch_up`: the writer copies the little that is left between two batches, and its next
/// batch starts the log over (`journal_size_limit` then shrinks the file).
fn spawn_checkpoints(
    pool: AnyPool,
    alive: tokio::sync::mpsc::WeakSender<message_writer::PostRequest>,
    catch_up: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while alive.strong_count() > 0 && !pool.is_closed() {
            tick.tick().await;
            // (busy, pages in the log, pages copied back)
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
                .and_then(|row| row.try_get::<i64, _>(1))
            {
                Ok(pages) if pages >= LOG_CATCH_UP_PAGES => catch_up.store(true, Ordering::Relaxed),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "SQLite checkpoint"),
            }
        }
    });
}

/// Wraps a database error for the log; the user only ever sees a generic message.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    StoreError(e.to_string())
}

/// True for a unique-constraint violation (a taken e-mail address, a duplicate client id).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub(crate) fn internal(e: sqlx::Error) -> Error {
    Error::Internal(e.to_string())
}

#[async_trait]
impl HealthStore for Db {
    async fn ready(&self) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success = $1")
            .bind(true)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        let applied: Option<i64> = row.try_get("v").map_err(db_err)?;
        let latest = migrations::latest();
        if applied.unwrap_or(0) < latest {
            return Err(StoreError(format!(
                "migrations behind: applied {applied:?}, binary knows {latest}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lists_number_their_placeholders_in_order() {
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_from(3, 1, 2), "($3, $4)");
        assert_eq!(values(0, 2), "");
    }
}
