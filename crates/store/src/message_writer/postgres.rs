//! The message writer on PostgreSQL: a task on a thread of its own, with a connection of its
//! own. A batch is four round trips whatever its size: `BEGIN`, one statement that reads (and
//! locks) all it needs, one statement that writes (more for a batch of long messages, see
//! `batch::WRITE_BYTES`), `COMMIT`. Under load, three: the commit begins the next batch's
//! transaction.
//!
//! Here: the writer's task and thread, its connection (opened, kept, dropped after a failure or
//! a timeout) and what happens to a batch that fails. One batch's statements inside its
//! transaction are in `batch`.

mod batch;

use spreekuur_domain::conversation::Posted;
use spreekuur_domain::{Error, StoreError};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::mpsc;

use super::{InsertError, MAX_BATCH, PostRequest, all_failed, answer_senders};
use crate::{Backend, Db, internal};
use batch::store_in;

/// How long a batch may take before the writer gives up on its connection.
const BATCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the writer's task; it stops when every sender of `rx` is gone.
///
/// The task runs on a thread of its own (a runtime of one thread): among the request handlers'
/// tasks it waited for a turn after every round trip. Measured at 32 senders: `BEGIN` took
/// 370 µs there and 150-200 µs on its own thread, and W1 went from 8,566 to 9,044 messages/s.
pub(super) fn spawn(db: Db, mut rx: mpsc::Receiver<PostRequest>) {
    let main = tokio::runtime::Handle::current();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            // Its receiver is gone with it: every message gets "the message writer has stopped".
            tracing::error!(error = %e, "the message writer's runtime did not start");
            return;
        }
    };
    let started = std::thread::Builder::new()
        .name("message-writer".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut writer = Writer {
                    db,
                    main,
                    conn: None,
                    begun: false,
                };
                let mut batch = Vec::with_capacity(MAX_BATCH);
                while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                    writer.write_batch(&mut batch, !rx.is_empty()).await;
                }
                if let Some(conn) = writer.conn.take() {
                    let _ = sqlx::Connection::close(conn).await;
                }
            })
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "the message writer's thread did not start");
    }
}

/// The writer task's state: the database, and its own connection (opened when first needed,
/// and again after one failed).
struct Writer {
    db: Db,
    /// The process's main runtime, for work that uses the pool.
    main: tokio::runtime::Handle,
    conn: Option<PgConnection>,
    /// The next batch's transaction is open already: the last commit began it (see
    /// `store_in`).
    begun: bool,
}

impl Writer {
    /// Stores `batch` (emptying it) and answers every sender. With `more` waiting, its commit
    /// begins the next batch's transaction.
    async fn write_batch(&mut self, batch: &mut Vec<PostRequest>, more: bool) {
        let mut stored = self.store_batch(batch, more).await;
        if matches!(stored, Err(InsertError::Duplicate)) && batch.len() > 1 {
            // A retry's first attempt was committed through another node while this batch's
            // read waited for its locks: the read's snapshot, taken before the wait, missed it.
            // Once more, the read sees it.
            stored = self.store_batch(batch, more).await;
        }
        let results = match stored {
            Ok(results) => results,
            // One message's retry raced its first attempt, or PostgreSQL chose this batch to
            // give way to another transaction: each message on its own.
            Err(e @ (InsertError::Duplicate | InsertError::Conflict(_))) if batch.len() > 1 => {
                tracing::warn!(error = %StoreError::from(e), messages = batch.len(),
                    "a batch of messages was not stored; storing them one by one");
                let mut results = Vec::with_capacity(batch.len());
                for (i, r) in batch.iter().enumerate() {
                    // Each commit but the last begins the next one's transaction.
                    let next = more || i + 1 < batch.len();
                    results.push(self.store_alone(r, next).await);
                }
                results
            }
            Err(e) if batch.len() > 1 => all_failed(batch.len(), e),
            Err(InsertError::Conflict(_)) => match batch.first() {
                Some(r) => vec![self.store_alone(r, more).await],
                None => Vec::new(),
            },
            Err(e) => match batch.first() {
                Some(r) => vec![after_failure(&self.db, &self.main, r, e).await],
                None => Vec::new(),
            },
        };
        answer_senders(batch, results);
    }

    async fn store_alone(&mut self, r: &PostRequest, more: bool) -> Result<Posted, Error> {
        let mut result = self.store_batch(std::slice::from_ref(r), more).await;
        // Given way to another transaction once more: once more, then it is an error.
        if matches!(result, Err(InsertError::Conflict(_))) {
            result = self.store_batch(std::slice::from_ref(r), more).await;
        }
        match result {
            Ok(mut v) => v
                .pop()
                .unwrap_or_else(|| Err(Error::Internal("empty batch answer".into()))),
            Err(e) => after_failure(&self.db, &self.main, r, e).await,
        }
    }

    /// Opens the writer's connection (to the pool's database) when it has none.
    async fn connect(&mut self) -> Result<(), InsertError> {
        if self.conn.is_none() {
            let url = &self.db.pool.connect_options().database_url;
            let mut conn = PgConnectOptions::from_url(url)?.connect().await?;
            for stmt in Backend::Postgres.connection_setup() {
                sqlx::query(*stmt).execute(&mut conn).await?;
            }
            // The writer's statements find rows by key, the same way whatever the values: one
            // plan per statement, kept, instead of PostgreSQL planning the first five
            // executions of each anew.
            sqlx::query("SET plan_cache_mode = force_generic_plan")
                .execute(&mut conn)
                .await?;
            self.conn = Some(conn);
            self.begun = false;
        }
        Ok(())
    }

    /// One transaction for the whole batch; an answer per message, in order. A failure rolls
    /// back; a connection that cannot even do that is closed, and the next try opens another.
    /// A kept connection found lost before anything of the batch was written (the database
    /// restarted while the writer waited) costs nothing: the batch is tried once more on a new
    /// one.
    async fn store_batch(
        &mut self,
        reqs: &[PostRequest],
        more: bool,
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        let reused = self.conn.is_some();
        let mut wrote = false;
        let result = self.bounded(reqs, more, &mut wrote).await;
        if result.is_err() && reused && !wrote && self.conn.is_none() {
            tracing::warn!("the message writer's connection was lost; trying the batch again");
            return self.bounded(reqs, more, &mut wrote).await;
        }
        result
    }

    /// `try_batch` within `BATCH_TIMEOUT`. A connection that silently stopped answering (a
    /// network path dropped without a reset) would otherwise hold every later message: it is
    /// dropped, and its session's locks go with it when the database notices.
    async fn bounded(
        &mut self,
        reqs: &[PostRequest],
        more: bool,
        wrote: &mut bool,
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        match tokio::time::timeout(BATCH_TIMEOUT, self.try_batch(reqs, more, wrote)).await {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(
                    messages = reqs.len(),
                    "a batch of messages timed out; the writer's connection is closed"
                );
                self.conn = None;
                Err(InsertError::Store(StoreError(
                    "the database did not answer in time".into(),
                )))
            }
        }
    }

    /// `store_batch`, once; `wrote` is set before the first write is sent.
    async fn try_batch(
        &mut self,
        reqs: &[PostRequest],
        more: bool,
        wrote: &mut bool,
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        self.connect().await?;
        let begun = std::mem::take(&mut self.begun);
        let (db, Some(conn)) = (&self.db, self.conn.as_mut()) else {
            return Err(InsertError::Store(StoreError("no connection".into())));
        };
        let result = match begun {
            true => Ok(()),
            false => sqlx::query("BEGIN").execute(&mut *conn).await.map(|_| ()),
        };
        let result = match result {
            Ok(()) => store_in(db, conn, reqs, more, wrote).await,
            Err(e) => Err(e.into()),
        };
        // Committed with `COMMIT; BEGIN` when there is more.
        self.begun = result.is_ok() && more;
        if result.is_err() {
            // Whatever is left of the transaction (if anything) goes.
            let rolled_back = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            if let Err(e) = rolled_back
                && !no_transaction(&e)
            {
                tracing::warn!(error = %e, "the message writer's connection is closed after a failure");
                self.conn = None;
            }
        }
        result
    }
}

/// A message that failed alone: a retry that raced its first attempt (through another
/// node) gets that attempt's message; anything else is an error. The lookup goes through the
/// pool on the process's main runtime (`main`): a connection the pool opened on the writer's
/// runtime would depend on the writer's thread.
async fn after_failure(
    db: &Db,
    main: &tokio::runtime::Handle,
    r: &PostRequest,
    e: InsertError,
) -> Result<Posted, Error> {
    let r = &r.message;
    if let (InsertError::Duplicate, Some(cid)) = (&e, &r.client_id) {
        let (db, conversation, sender, cid) = (
            db.without_writer(),
            r.conversation.clone(),
            r.sender.clone(),
            cid.clone(),
        );
        let found = main
            .spawn(async move {
                let mut conn = db.pool.acquire().await.map_err(internal)?;
                db.by_client_id(&mut conn, &conversation, &sender, &cid)
                    .await
            })
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        if let Some(message) = found {
            return Ok(Posted {
                message,
                created: false,
                recipients: Vec::new(),
            });
        }
    }
    Err(StoreError::from(e).into())
}

/// PostgreSQL's answer to a ROLLBACK when no transaction is open (nothing to undo).
fn no_transaction(e: &sqlx::Error) -> bool {
    e.to_string().contains("no transaction")
}
