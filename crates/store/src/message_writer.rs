//! New messages are stored in batches. Every `post_message` hands its message to the one
//! writer of this process; the writer takes whatever has queued up meanwhile (at most
//! `MAX_BATCH`) and stores it all in one transaction: one commit, one flush to disk. A sender
//! hears back only after that commit, so nothing is acknowledged before it is durable. Alone, a
//! message is a batch of one and waits for nothing; under load the batches grow by themselves.
//!
//! A batch is the same few steps however many messages it holds:
//!
//! 1. read, in the transaction: the members of the batch's conversations with the
//!    conversations' positions, the earlier messages of any retried client ids, and the audit
//!    trail's head (`read_parts`). PostgreSQL locks what it reads (members, positions, head)
//!    until the commit;
//! 2. decide, here (`plan`): each message is judged on its own (a sender who is no member gets
//!    `NotFound`; a retry gets the message its first attempt stored), the new ones get their
//!    positions, and the audit records their place in the chain;
//! 3. write: positions, messages, the senders' read positions, the audit records and the head;
//!    then commit.
//!
//! On SQLite the writer is a thread of its own with its own connection (`sqlite`), which runs
//! every statement of a batch itself: through sqlx each round trip was a hand-off to sqlx's
//! worker thread and back, about 130 µs under load (BENCHMARKS.md). On PostgreSQL it is a task
//! with a connection of its own, and a batch is a handful of round trips (below).
//!
//! When the batch as a whole fails (on PostgreSQL, a retry racing its first attempt through
//! another node), its messages are stored one by one, so one message cannot fail the others.

mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{Message, Posted};
use spreekuur_domain::{ConversationId, Error, MessageId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, ConnectOptions};
use tokio::sync::{mpsc, oneshot};

use crate::columns::Columns;
use crate::conversation::{InsertError, MESSAGE_COLUMNS, MESSAGE_FROM};
use crate::statement::{Stmt, combine};
use crate::{Backend, Db, audit, internal, values};

/// A checked message on its way to the writer.
pub(crate) struct PostRequest {
    pub conversation: ConversationId,
    pub sender: Account,
    pub body: String,
    pub client_id: Option<String>,
    pub now: Timestamp,
    pub client: String,
    pub reply: oneshot::Sender<Result<Posted, Error>>,
}

/// Messages in one transaction at most.
const MAX_BATCH: usize = 128;

/// How long a batch may take before the writer gives up on its connection.
const BATCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// On PostgreSQL a batch's writes go as few statements as fit in this many bytes each (one
/// statement of data-modifying `WITH` clauses, see `combine`). sqlx 0.9.0 leaves Nagle's
/// algorithm on (it no longer sets `TCP_NODELAY`; sqlx issue 4335, fixed but not released): a
/// statement the socket takes in two writes (its first send buffer is 16 KiB) waits for the
/// server's delayed acknowledgement, 40 ms. Measured: one statement for a batch of 25
/// messages (about 25 KB) took 43 ms where 24 took 0.9 ms.
const PG_STATEMENT_BYTES: usize = 12 * 1024;

/// Starts the writer on a copy of `db` (one without a writer of its own); it stops when the
/// returned sender, and so the `Db` holding it, is dropped. When SQLite's checkpoints raise
/// `catch_up`, the writer finishes one itself between two batches (see `spawn_checkpoints`).
pub(crate) fn spawn(db: Db, catch_up: Arc<AtomicBool>) -> mpsc::Sender<PostRequest> {
    let (tx, mut rx) = mpsc::channel(MAX_BATCH * 8);
    if db.backend == Backend::Sqlite {
        sqlite::spawn(db, rx, catch_up);
        return tx;
    }
    tokio::spawn(async move {
        let mut writer = Writer { db, conn: None };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            writer.write_batch(&mut batch).await;
        }
        if let Some(conn) = writer.conn.take() {
            let _ = sqlx::Connection::close(conn).await;
        }
    });
    tx
}

/// The writer task's state: the database, and its own connection (opened when first needed,
/// and again after one failed).
struct Writer {
    db: Db,
    conn: Option<AnyConnection>,
}

/// What a batch decided for one of its messages.
enum Plan {
    /// The sender is no member: nothing is stored.
    NotMember,
    /// Stored earlier under its client id: that message.
    Earlier(Box<Message>),
    /// The same client id as an earlier message of this batch: that one's answer.
    SameAs(usize),
    /// Stored now.
    Fresh,
}

/// What the first round trip of a batch found.
#[derive(Default)]
struct Found {
    /// The current members of each conversation, with their roles.
    members: HashMap<String, Vec<(UserId, Role)>>,
    /// Earlier messages by (conversation, sender, client id).
    earlier: Vec<(String, String, String, Message)>,
    /// Each conversation's last position (of those with members).
    last_seq: HashMap<String, i64>,
    /// The audit trail's last position and hash.
    head: Option<(i64, Vec<u8>)>,
}

impl Writer {
    /// Stores `batch` (emptying it) and answers every sender.
    async fn write_batch(&mut self, batch: &mut Vec<PostRequest>) {
        let results = match self.store_batch(batch).await {
            Ok(results) => results,
            // One message's retry raced its first attempt, or PostgreSQL chose this batch to
            // give way to another transaction: each message on its own.
            Err(e @ (InsertError::Duplicate | InsertError::Conflict(_))) if batch.len() > 1 => {
                tracing::warn!(error = %StoreError::from(e), messages = batch.len(),
                    "a batch of messages was not stored; storing them one by one");
                let mut results = Vec::with_capacity(batch.len());
                for r in batch.iter() {
                    results.push(self.store_alone(r).await);
                }
                results
            }
            Err(e) if batch.len() > 1 => all_failed(batch.len(), e),
            Err(InsertError::Conflict(_)) => match batch.first() {
                Some(r) => vec![self.store_alone(r).await],
                None => Vec::new(),
            },
            Err(e) => match batch.first() {
                Some(r) => vec![after_failure(&self.db, r, e).await],
                None => Vec::new(),
            },
        };
        answer_senders(batch, results);
    }

    async fn store_alone(&mut self, r: &PostRequest) -> Result<Posted, Error> {
        let mut result = self.store_batch(std::slice::from_ref(r)).await;
        // Given way to another transaction once more: once more, then it is an error.
        if matches!(result, Err(InsertError::Conflict(_))) {
            result = self.store_batch(std::slice::from_ref(r)).await;
        }
        match result {
            Ok(mut v) => v
                .pop()
                .unwrap_or_else(|| Err(Error::Internal("empty batch answer".into()))),
            Err(e) => after_failure(&self.db, r, e).await,
        }
    }

    /// Opens the writer's connection (with the pool's settings) when it has none.
    async fn connect(&mut self) -> Result<(), InsertError> {
        if self.conn.is_none() {
            let mut conn = self.db.pool.connect_options().connect().await?;
            for stmt in self.db.backend.connection_setup() {
                sqlx::query(*stmt).execute(&mut conn).await?;
            }
            // The writer's statements find rows by key, the same way whatever the values: one
            // plan per statement, kept, instead of PostgreSQL planning the first five
            // executions of each anew (a batch's statements have hundreds of parameters).
            sqlx::query("SET plan_cache_mode = force_generic_plan")
                .execute(&mut conn)
                .await?;
            self.conn = Some(conn);
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
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        let reused = self.conn.is_some();
        let mut wrote = false;
        let result = self.bounded(reqs, &mut wrote).await;
        if result.is_err() && reused && !wrote && self.conn.is_none() {
            tracing::warn!("the message writer's connection was lost; trying the batch again");
            return self.bounded(reqs, &mut wrote).await;
        }
        result
    }

    /// `try_batch` within `BATCH_TIMEOUT`. A connection that silently stopped answering (a
    /// network path dropped without a reset) would otherwise hold every later message: it is
    /// dropped, and its session's locks go with it when the database notices.
    async fn bounded(
        &mut self,
        reqs: &[PostRequest],
        wrote: &mut bool,
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        match tokio::time::timeout(BATCH_TIMEOUT, self.try_batch(reqs, wrote)).await {
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
        wrote: &mut bool,
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        self.connect().await?;
        let (db, Some(conn)) = (&self.db, self.conn.as_mut()) else {
            return Err(InsertError::Store(StoreError("no connection".into())));
        };
        let result = match sqlx::query("BEGIN").execute(&mut *conn).await {
            Ok(_) => store_in(db, conn, reqs, wrote).await,
            Err(e) => Err(e.into()),
        };
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

/// The database itself failed for a batch of several: trying the messages one by one would
/// only keep every sender waiting longer. They hear it and may send again.
fn all_failed(messages: usize, e: InsertError) -> Vec<Result<Posted, Error>> {
    let e = StoreError::from(e);
    tracing::error!(error = %e, messages, "a batch of messages was not stored");
    (0..messages)
        .map(|_| Err(Error::Internal(e.0.clone())))
        .collect()
}

/// Hands each sender of `batch` (emptying it) its answer, in order.
fn answer_senders(batch: &mut Vec<PostRequest>, results: Vec<Result<Posted, Error>>) {
    for (req, result) in batch.drain(..).zip(results) {
        // A sender that went away meanwhile finds its message on retry.
        let _ = req.reply.send(result);
    }
}

/// A message that failed alone: a retry that raced its first attempt (through another
/// node) gets that attempt's message; anything else is an error.
async fn after_failure(db: &Db, r: &PostRequest, e: InsertError) -> Result<Posted, Error> {
    if let (InsertError::Duplicate, Some(cid)) = (&e, &r.client_id) {
        let mut conn = db.pool.acquire().await.map_err(internal)?;
        if let Some(message) = db
            .by_client_id(&mut conn, &r.conversation, &r.sender.id, cid)
            .await?
        {
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

/// The batch's work inside its transaction, up to and including the commit (PostgreSQL);
/// `wrote` is set before the first write is sent.
async fn store_in(
    db: &Db,
    conn: &mut AnyConnection,
    reqs: &[PostRequest],
    wrote: &mut bool,
) -> Result<Vec<Result<Posted, Error>>, InsertError> {
    let mut found = Found::default();
    for part in read_parts(db.backend, reqs) {
        for row in part.fetch_all(&mut *conn).await? {
            found.add(db, &row)?;
        }
    }
    let mut planned = plan(db, reqs, found)?;
    *wrote = true;
    for group in fitting(std::mem::take(&mut planned.writes), PG_STATEMENT_BYTES) {
        combine(group).execute(&mut *conn).await?;
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(answers(reqs, planned))
}

/// `stmts` in order, in groups of at most `bytes` each (by `Stmt::size`); a statement larger
/// than that is a group of its own.
fn fitting(stmts: Vec<Stmt>, bytes: usize) -> Vec<Vec<Stmt>> {
    let mut groups: Vec<(usize, Vec<Stmt>)> = Vec::new();
    for stmt in stmts {
        let size = stmt.size();
        match groups.last_mut() {
            Some((used, group)) if *used + size <= bytes => {
                *used += size;
                group.push(stmt);
            }
            _ => groups.push((size, vec![stmt])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// What a batch will write, decided from what it read.
struct Planned {
    /// A plan per message of the batch, in order.
    plans: Vec<Plan>,
    /// The new messages: their place in the batch, id and position.
    fresh: Vec<(usize, MessageId, i64)>,
    /// The statements that store them (none when nothing is new).
    writes: Vec<Stmt>,
    /// The members of each conversation, whom a new message is delivered to.
    members: HashMap<String, Vec<(UserId, Role)>>,
}

/// Step 2 (see the module's description): what each message of the batch becomes, and the
/// statements that store the new ones.
fn plan(db: &Db, reqs: &[PostRequest], found: Found) -> Result<Planned, InsertError> {
    let is_member = |r: &PostRequest| {
        found
            .members
            .get(r.conversation.as_str())
            .is_some_and(|ms| ms.iter().any(|(u, _)| *u == r.sender.id))
    };
    let mut first_with: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut plans = Vec::with_capacity(reqs.len());
    for (i, r) in reqs.iter().enumerate() {
        if !is_member(r) {
            plans.push(Plan::NotMember);
            continue;
        }
        if let Some(cid) = &r.client_id {
            let key = (r.conversation.as_str(), r.sender.id.as_str(), cid.as_str());
            if let Some((_, _, _, message)) = found
                .earlier
                .iter()
                .find(|(c, s, id, _)| (c.as_str(), s.as_str(), id.as_str()) == key)
            {
                plans.push(Plan::Earlier(Box::new(message.clone())));
                continue;
            }
            if let Some(&j) = first_with.get(&key) {
                plans.push(Plan::SameAs(j));
                continue;
            }
            first_with.insert(key, i);
        }
        plans.push(Plan::Fresh);
    }
    let fresh: Vec<(usize, &PostRequest)> = reqs
        .iter()
        .enumerate()
        .zip(&plans)
        .filter(|(_, p)| matches!(p, Plan::Fresh))
        .map(|(r, _)| r)
        .collect();

    // Positions: each conversation moves past its new messages.
    let mut next_seq: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut stored = Vec::with_capacity(fresh.len());
    for (i, r) in &fresh {
        let c = r.conversation.as_str();
        let last = found
            .last_seq
            .get(c)
            .copied()
            .ok_or_else(|| InsertError::Store(StoreError("conversation vanished".into())))?;
        let (seq, at) = next_seq.entry(c).or_insert((last, 0));
        *seq += 1;
        *at = (*at).max(r.now.millis());
        let id = MessageId::new();
        let sealed = db
            .seal("messages", "body", id.as_str(), &r.body)
            .map_err(InsertError::Store)?;
        stored.push((*i, id, *seq, sealed));
    }

    let records: Vec<AuditRecord> = fresh
        .iter()
        .map(|(_, r)| {
            let rec = AuditRecord::new(r.now, Action::MessageSent, &r.client)
                .actor(&r.sender.id)
                .object(&r.conversation);
            match found.members.get(r.conversation.as_str()).and_then(|ms| {
                ms.iter()
                    .find(|(_, role)| *role == Role::Patient)
                    .map(|(u, _)| u)
            }) {
                Some(p) => rec.patient(p),
                None => rec,
            }
        })
        .collect();
    let (head_seq, head_hash) = found
        .head
        .clone()
        .ok_or_else(|| InsertError::Store(StoreError("no audit head".into())))?;

    let mut writes = Vec::new();
    if !fresh.is_empty() {
        writes.push(positions(&next_seq));
        writes.push(insert_messages(reqs, &stored));
        writes.push(mark_senders_read(reqs, &stored));
        writes.extend(audit::append_statements(&audit::chain(
            head_seq, head_hash, &records,
        )));
    }
    Ok(Planned {
        plans,
        fresh: stored
            .into_iter()
            .map(|(i, id, seq, _)| (i, id, seq))
            .collect(),
        writes,
        members: found.members,
    })
}

/// Step 4, after the commit: an answer per message, in order.
fn answers(reqs: &[PostRequest], planned: Planned) -> Vec<Result<Posted, Error>> {
    let Planned {
        plans,
        fresh,
        members,
        ..
    } = planned;
    let mut fresh_posts = fresh.into_iter().map(|(i, id, seq)| {
        let r = &reqs[i];
        Posted {
            message: Message {
                id,
                conversation: r.conversation.clone(),
                seq,
                sender: r.sender.id.clone(),
                sender_name: r.sender.display_name(),
                body: r.body.clone(),
                sent_at: r.now,
                client_id: r.client_id.clone(),
                file: None,
            },
            created: true,
            recipients: members
                .get(r.conversation.as_str())
                .map(|ms| ms.iter().map(|(u, _)| u.clone()).collect())
                .unwrap_or_default(),
        }
    });
    let mut answers: Vec<Result<Posted, Error>> = Vec::with_capacity(reqs.len());
    for plan in plans {
        let answer = match plan {
            Plan::NotMember => Err(Error::NotFound),
            Plan::Earlier(message) => Ok(Posted {
                message: *message,
                created: false,
                recipients: Vec::new(),
            }),
            Plan::Fresh => fresh_posts
                .next()
                .ok_or_else(|| Error::Internal("batch lost a message".into())),
            Plan::SameAs(j) => match answers.get(j) {
                Some(Ok(first)) => Ok(Posted {
                    message: first.message.clone(),
                    created: false,
                    recipients: Vec::new(),
                }),
                _ => Err(Error::Internal("retry without its first attempt".into())),
            },
        };
        answers.push(answer);
    }
    answers
}

/// Step 1's statements (see the module's description). Each names what it reads in a `part`
/// column (see `Found::add`).
fn read_parts(backend: Backend, reqs: &[PostRequest]) -> Vec<Stmt> {
    let mut conversations: Vec<&str> = reqs.iter().map(|r| r.conversation.as_str()).collect();
    conversations.sort_unstable();
    conversations.dedup();
    // Client ids are looked up for every message that carries one; a non-member's is ignored.
    let retried: Vec<&PostRequest> = reqs.iter().filter(|r| r.client_id.is_some()).collect();
    let in_list = format!(
        "({})",
        (1..=conversations.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // On PostgreSQL the member rows stay locked until the commit, so a removal waits for the
    // batch (or the batch, for a removal under way, and then no longer sees the member):
    // nobody removed meanwhile is among those a message is delivered to. The lock is the one
    // an UPDATE of those rows takes anyway (the senders' read positions are updated later): a
    // shared lock would deadlock two batches that each hold it and then both update. Should
    // two batches (or a batch and a removal) still lock them the other way round, PostgreSQL
    // breaks the deadlock and the batch's messages are stored again one by one. SQLite's
    // transaction holds the database's one write lock.
    // With each member, the conversation's position. On PostgreSQL the positions are read
    // (and locked: the batch moves them) by a statement of their own after the members, in the
    // order of their ids: the order in which other transactions (a team member's removal)
    // lock them too.
    let mut members = Stmt::new(match backend {
        Backend::Sqlite => format!(
            "SELECT 'member' AS part, m.conversation_id, m.user_id, u.role, c.last_seq
               FROM conversation_members m JOIN users u ON u.id = m.user_id
               JOIN conversations c ON c.id = m.conversation_id
              WHERE m.left_at IS NULL AND m.conversation_id IN {in_list}"
        ),
        Backend::Postgres => format!(
            "SELECT 'member' AS part, m.conversation_id, m.user_id, u.role, NULL::BIGINT AS last_seq
               FROM conversation_members m JOIN users u ON u.id = m.user_id
              WHERE m.left_at IS NULL AND m.conversation_id IN {in_list}{}",
            backend.lock_members_sql()
        ),
    });
    for c in &conversations {
        members.push(*c);
    }
    let head = Stmt::new(format!(
        "SELECT 'head' AS part, seq, hash FROM audit_head WHERE id = 1{}",
        match backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    ));
    let mut parts = vec![members];
    if !retried.is_empty() {
        let wanted: Vec<String> = (0..retried.len())
            .map(|i| {
                format!(
                    "(m.conversation_id = ${} AND m.sender_id = ${} AND m.client_id = ${})",
                    3 * i + 1,
                    3 * i + 2,
                    3 * i + 3
                )
            })
            .collect();
        let mut earlier = Stmt::new(format!(
            "SELECT 'earlier' AS part, {MESSAGE_COLUMNS}, m.conversation_id FROM {MESSAGE_FROM} WHERE {}",
            wanted.join(" OR ")
        ));
        for r in retried {
            earlier.push(r.conversation.as_str());
            earlier.push(r.sender.id.as_str());
            earlier.push(r.client_id.as_deref());
        }
        parts.push(earlier);
    }
    if backend == Backend::Postgres {
        let mut positions = Stmt::new(format!(
            "SELECT 'position' AS part, id AS conversation_id, last_seq FROM conversations
              WHERE id IN {in_list} ORDER BY id FOR NO KEY UPDATE"
        ));
        for c in &conversations {
            positions.push(*c);
        }
        parts.push(positions);
    }
    // The head last: on PostgreSQL it is the most contended lock, held for the least time.
    parts.push(head);
    parts
}

impl Found {
    /// Takes in one row of step 1's reads.
    fn add(&mut self, db: &Db, row: &impl Columns) -> Result<(), InsertError> {
        let part = row.text("part")?;
        match part.as_str() {
            "member" | "position" => {
                if let Some(last) = row.maybe_int("last_seq")? {
                    self.last_seq.insert(row.text("conversation_id")?, last);
                }
                if part == "member" {
                    let role = row.text("role")?;
                    self.members
                        .entry(row.text("conversation_id")?)
                        .or_default()
                        .push((
                            UserId::from_stored(row.text("user_id")?),
                            Role::parse(&role).unwrap_or(Role::Patient),
                        ));
                }
            }
            "earlier" => {
                let conversation = ConversationId::from_stored(row.text("conversation_id")?);
                let message = db
                    .message_from_row(&conversation, row)
                    .map_err(|e| InsertError::Store(StoreError(e.to_string())))?;
                let cid = message.client_id.clone().unwrap_or_default();
                self.earlier.push((
                    conversation.to_string(),
                    message.sender.to_string(),
                    cid,
                    message,
                ));
            }
            "head" => self.head = Some((row.int("seq")?, row.bytes("hash")?)),
            _ => {}
        }
        Ok(())
    }
}

/// Moves each conversation to its last new position (conversation → (position, time)).
fn positions(next_seq: &HashMap<&str, (i64, i64)>) -> Stmt {
    let mut stmt = Stmt::new(format!(
        "UPDATE conversations SET last_seq = v.column2, last_activity = v.column3
           FROM (VALUES {}) AS v WHERE conversations.id = v.column1",
        values(next_seq.len(), 3)
    ));
    for (c, (seq, at)) in next_seq {
        stmt.push(*c);
        stmt.push(*seq);
        stmt.push(*at);
    }
    stmt
}

/// The new messages: (place in the batch, id, position, sealed body) each.
type Stored = [(usize, MessageId, i64, Vec<u8>)];

fn insert_messages(reqs: &[PostRequest], stored: &Stored) -> Stmt {
    let mut stmt = Stmt::new(format!(
        "INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at, client_id) VALUES {}",
        values(stored.len(), 7)
    ));
    for (i, id, seq, sealed) in stored {
        let r = &reqs[*i];
        stmt.push(id.as_str());
        stmt.push(r.conversation.as_str());
        stmt.push(*seq);
        stmt.push(r.sender.id.as_str());
        stmt.push(sealed.clone());
        stmt.push(r.now.millis());
        stmt.push(r.client_id.as_deref());
    }
    stmt
}

/// A sender has read up to their own newest message.
fn mark_senders_read(reqs: &[PostRequest], stored: &Stored) -> Stmt {
    let mut newest: Vec<(&str, &str, i64)> = Vec::new();
    for (i, _, seq, _) in stored {
        let r = &reqs[*i];
        let (c, s) = (r.conversation.as_str(), r.sender.id.as_str());
        match newest.iter_mut().find(|(nc, ns, _)| *nc == c && *ns == s) {
            Some((_, _, up_to)) => *up_to = (*up_to).max(*seq),
            None => newest.push((c, s, *seq)),
        }
    }
    let mut stmt = Stmt::new(format!(
        "UPDATE conversation_members SET last_read_seq = v.column3
           FROM (VALUES {}) AS v
          WHERE conversation_members.conversation_id = v.column1 AND conversation_members.user_id = v.column2",
        values(newest.len(), 3)
    ));
    for (c, s, seq) in newest {
        stmt.push(c);
        stmt.push(s);
        stmt.push(seq);
    }
    stmt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_go_in_groups_that_fit() {
        let stmt = |n: usize| Stmt::new("x".repeat(n));
        let sizes = |groups: Vec<Vec<Stmt>>| {
            groups
                .iter()
                .map(|g| g.iter().map(Stmt::size).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sizes(fitting(
                vec![stmt(4), stmt(5), stmt(2), stmt(20), stmt(3)],
                10
            )),
            vec![vec![4, 5], vec![2], vec![20], vec![3]],
            "in order; one too big goes alone"
        );
        assert_eq!(
            sizes(fitting(vec![stmt(3), stmt(3), stmt(4)], 10)),
            vec![vec![3, 3, 4]]
        );
        assert!(fitting(Vec::new(), 10).is_empty());
        assert_eq!(
            Stmt::new("ab").arg(7).arg("xyz").arg(vec![1u8, 2]).size(),
            2 + 12 + 7 + 6
        );
    }
}
