//! The message writer on SQLite: a thread of its own, with a connection of its own through
//! rusqlite (the same SQLite as sqlx's, see Cargo.toml). It runs a batch's statements itself:
//! `BEGIN IMMEDIATE`, the reads, the writes, `COMMIT`, with no hand-off to another thread in
//! between. Its prepared statements stay cached on the connection; placeholders are bound by
//! their number (`?N`), not looked up by name.
//!
//! A local file does not silently stop answering the way a network connection can, so there is
//! no time limit here; waiting for another writer's lock is bounded by `busy_timeout`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{Connection, OpenFlags};
use spreekuur_domain::conversation::Posted;
use spreekuur_domain::{Error, StoreError};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use tokio::sync::mpsc;

use super::plan::{Found, answers, plan};
use super::statements::{read_parts, writes};
use super::{InsertError, MAX_BATCH, PostRequest, all_failed, answer_senders};
use crate::conversation::{MESSAGE_COLUMNS, MESSAGE_FROM};
use crate::statement::{Arg, Stmt};
use crate::{Backend, Db};

/// Prepared statements kept on the writer's connection: a batch's statements differ with the
/// number of its messages and conversations.
const STATEMENT_CACHE: usize = 256;

/// Starts the writer's thread; it stops when every sender of `rx` is gone.
pub(super) fn spawn(db: Db, mut rx: mpsc::Receiver<PostRequest>, catch_up: Arc<AtomicBool>) {
    let started = std::thread::Builder::new()
        .name("message-writer".into())
        .spawn(move || {
            let mut writer = Writer { db, conn: None };
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.blocking_recv() {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                writer.write_batch(&mut batch);
                // Without a connection (a failed batch dropped it), the request waits for the next.
                if writer.conn.is_some() && catch_up.swap(false, Ordering::Relaxed) {
                    writer.checkpoint();
                }
            }
        });
    if let Err(e) = started {
        // Its receiver is gone with it: every message gets "the message writer has stopped".
        tracing::error!(error = %e, "the message writer's thread did not start");
    }
}

impl From<rusqlite::Error> for InsertError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                InsertError::Duplicate
            }
            _ => InsertError::Store(StoreError(e.to_string())),
        }
    }
}

struct Writer {
    db: Db,
    /// Opened when first needed, and again after one failed.
    conn: Option<Connection>,
}

impl Writer {
    /// Stores `batch` (emptying it) and answers every sender.
    fn write_batch(&mut self, batch: &mut Vec<PostRequest>) {
        let results = match self.store_batch(batch) {
            Ok(results) => results,
            // Not expected on SQLite (its one writer reads every earlier client id inside
            // the transaction), but should a constraint fail: each message on its own.
            Err(e @ InsertError::Duplicate) if batch.len() > 1 => {
                tracing::warn!(error = %StoreError::from(e), messages = batch.len(),
                    "a batch of messages was not stored; storing them one by one");
                let mut results = Vec::with_capacity(batch.len());
                for r in batch.iter() {
                    results.push(match self.store_batch(std::slice::from_ref(r)) {
                        Ok(mut v) => v
                            .pop()
                            .unwrap_or_else(|| Err(Error::Internal("empty batch answer".into()))),
                        Err(e) => self.after_failure(r, e),
                    });
                }
                results
            }
            Err(e) if batch.len() > 1 => all_failed(batch.len(), e),
            Err(e) => match batch.first() {
                Some(r) => vec![self.after_failure(r, e)],
                None => Vec::new(),
            },
        };
        answer_senders(batch, results);
    }

    /// The writer's connection, opened (with every connection's settings) when it has none.
    fn connection(&mut self) -> Result<(&Db, &Connection), InsertError> {
        if self.conn.is_none() {
            let options = self.db.pool.connect_options();
            let file = SqliteConnectOptions::from_url(&options.database_url)
                .map_err(|e| InsertError::Store(StoreError(e.to_string())))?;
            let conn = Connection::open_with_flags(
                file.get_filename(),
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            for stmt in Backend::Sqlite.connection_setup() {
                conn.execute_batch(stmt)?;
            }
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            self.conn = Some(conn);
        }
        match &self.conn {
            Some(conn) => Ok((&self.db, conn)),
            None => Err(InsertError::Store(StoreError("no connection".into()))),
        }
    }

    /// One transaction for the whole batch; an answer per message, in order. A failure rolls
    /// back; a connection that cannot even do that is closed, and the next batch opens another.
    fn store_batch(
        &mut self,
        reqs: &[PostRequest],
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        let (db, conn) = self.connection()?;
        let result = store_in(db, conn, reqs);
        // Whatever is left of the transaction goes.
        let lost = result.is_err()
            && !conn.is_autocommit()
            && conn
                .execute_batch("ROLLBACK")
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "the message writer's connection is closed after a failure");
                })
                .is_err();
        if lost {
            self.conn = None;
        }
        result
    }

    /// A message that failed alone: a retry that raced its first attempt gets that attempt's
    /// message; anything else is an error.
    fn after_failure(&mut self, r: &PostRequest, e: InsertError) -> Result<Posted, Error> {
        let r = &r.message;
        if let (InsertError::Duplicate, Some(cid)) = (&e, &r.client_id) {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}
                  WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_id = $3"
            );
            let stmt = Stmt::new(sql)
                .arg(r.conversation.as_str())
                .arg(r.sender.as_str())
                .arg(cid.as_str());
            let (db, conn) = self.connection().map_err(StoreError::from)?;
            let mut earlier = None;
            each_row(conn, &stmt, |row| {
                earlier = Some(db.message_from_row(&r.conversation, row)?);
                Ok(())
            })
            .map_err(StoreError::from)?;
            if let Some(message) = earlier {
                return Ok(Posted {
                    message,
                    created: false,
                    recipients: Vec::new(),
                });
            }
        }
        Err(StoreError::from(e).into())
    }

    /// Copies SQLite's log back into the database between two batches: what is left after the
    /// background checkpoints is what came since the last one, and with all of it copied the
    /// next batch starts the log over (see `spawn_checkpoints`).
    fn checkpoint(&mut self) {
        if let Some(conn) = &self.conn
            && let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, "SQLite checkpoint by the message writer");
        }
    }
}

/// The batch's work inside its transaction, up to and including the commit: steps 1 to 3 as
/// `write_in` takes them (the same statements, plan and answers), on this connection.
fn store_in(
    db: &Db,
    conn: &Connection,
    reqs: &[PostRequest],
) -> Result<Vec<Result<Posted, Error>>, InsertError> {
    // The write lock at once, so reading first cannot fail on a lock upgrade.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut found = Found::default();
    for part in read_parts(Backend::Sqlite, reqs) {
        each_row(conn, &part, |row| found.add(db, row))?;
    }
    let planned = plan(db, reqs, found)?;
    for w in writes(reqs, &planned) {
        prepared(conn, &w)?.raw_execute()?;
    }
    conn.execute_batch("COMMIT")?;
    Ok(answers(reqs, planned))
}

/// `stmt` prepared (or found in the cache), its arguments bound to their numbers.
fn prepared<'c>(
    conn: &'c Connection,
    stmt: &Stmt,
) -> Result<rusqlite::CachedStatement<'c>, InsertError> {
    // `$N` is SQLite's named parameter "$N", looked up by name; `?N` is parameter number N.
    // The statements built here hold no `$` other than placeholders (see `statement.rs`).
    let mut s = conn.prepare_cached(&stmt.sql.replace('$', "?"))?;
    for (i, a) in stmt.args.iter().enumerate() {
        let n = i + 1;
        match a {
            Arg::Text(t) => s.raw_bind_parameter(n, t.as_str()),
            Arg::MaybeText(t) => s.raw_bind_parameter(n, t.as_deref()),
            Arg::Int(v) => s.raw_bind_parameter(n, *v),
            Arg::Bytes(b) => s.raw_bind_parameter(n, b.as_slice()),
        }?;
    }
    Ok(s)
}

/// Runs `stmt` and hands each row to `f`.
fn each_row(
    conn: &Connection,
    stmt: &Stmt,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<(), InsertError>,
) -> Result<(), InsertError> {
    let mut s = prepared(conn, stmt)?;
    let mut rows = s.raw_query();
    while let Some(row) = rows.next()? {
        f(row)?;
    }
    Ok(())
}
