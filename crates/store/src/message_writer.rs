//! New messages are stored in batches. Every `post_message` hands its message to the one
//! writer task of this process; the writer takes whatever has queued up meanwhile (at most
//! `MAX_BATCH`) and stores it all in one transaction: one commit, one flush to disk. A sender
//! hears back only after that commit, so nothing is acknowledged before it is durable. Alone, a
//! message is a batch of one and waits for nothing; under load the batches grow by themselves.
//!
//! A batch costs the same handful of statements however many messages it holds: the members
//! of its conversations, the earlier messages of any retried client ids, the conversations'
//! positions, the messages, the senders' read positions and the audit records, each in one
//! statement. Each message is still judged on its own (a sender who is no member gets
//! `NotFound`; a retry gets the message its first attempt stored). When the batch as a whole
//! fails (on PostgreSQL, a retry racing its first attempt through another node), its messages
//! are stored one by one, so one message cannot fail the others.

use std::collections::HashMap;

use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{Message, Posted};
use spreekuur_domain::{ConversationId, Error, MessageId, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};
use tokio::sync::{mpsc, oneshot};

use crate::conversation::{InsertError, MESSAGE_COLUMNS, MESSAGE_FROM};
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

/// Starts the writer on a copy of `db` (one without a writer of its own); it stops when the
/// returned sender, and so the `Db` holding it, is dropped.
pub(crate) fn spawn(db: Db) -> mpsc::Sender<PostRequest> {
    let (tx, mut rx) = mpsc::channel(MAX_BATCH * 8);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            db.write_batch(&mut batch).await;
        }
    });
    tx
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

impl Db {
    /// Stores `batch` (emptying it) and answers every sender.
    pub(crate) async fn write_batch(&self, batch: &mut Vec<PostRequest>) {
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
            Err(e) if batch.len() > 1 => {
                // The database itself failed: trying the messages one by one would only keep
                // every sender waiting longer. They hear it and may send again.
                let e = StoreError::from(e);
                tracing::error!(error = %e, messages = batch.len(), "a batch of messages was not stored");
                batch
                    .iter()
                    .map(|_| Err(Error::Internal(e.0.clone())))
                    .collect()
            }
            Err(InsertError::Conflict(_)) => match batch.first() {
                Some(r) => vec![self.store_alone(r).await],
                None => Vec::new(),
            },
            Err(e) => match batch.first() {
                Some(r) => vec![self.after_failure(r, e).await],
                None => Vec::new(),
            },
        };
        for (req, result) in batch.drain(..).zip(results) {
            // A sender that went away meanwhile finds its message on retry.
            let _ = req.reply.send(result);
        }
    }

    async fn store_alone(&self, r: &PostRequest) -> Result<Posted, Error> {
        let mut result = self.store_batch(std::slice::from_ref(r)).await;
        // Given way to another transaction once more: once more, then it is an error.
        if matches!(result, Err(InsertError::Conflict(_))) {
            result = self.store_batch(std::slice::from_ref(r)).await;
        }
        match result {
            Ok(mut v) => v
                .pop()
                .unwrap_or_else(|| Err(Error::Internal("empty batch answer".into()))),
            Err(e) => self.after_failure(r, e).await,
        }
    }

    /// A message that failed alone: a retry that raced its first attempt (through another
    /// node) gets that attempt's message; anything else is an error.
    async fn after_failure(&self, r: &PostRequest, e: InsertError) -> Result<Posted, Error> {
        if let (InsertError::Duplicate, Some(cid)) = (&e, &r.client_id) {
            let mut conn = self.pool.acquire().await.map_err(internal)?;
            if let Some(message) = self
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

    /// One transaction for the whole batch; an answer per message, in order.
    async fn store_batch(
        &self,
        reqs: &[PostRequest],
    ) -> Result<Vec<Result<Posted, Error>>, InsertError> {
        let mut tx = self.write().await.map_err(InsertError::Store)?;
        let mut conversations: Vec<&str> = reqs.iter().map(|r| r.conversation.as_str()).collect();
        conversations.sort_unstable();
        conversations.dedup();
        let members = members_in(&mut tx, self.backend, &conversations).await?;
        let is_member = |r: &PostRequest| {
            members
                .get(r.conversation.as_str())
                .is_some_and(|ms| ms.iter().any(|(u, _)| *u == r.sender.id))
        };
        let retried: Vec<&PostRequest> = reqs
            .iter()
            .filter(|r| r.client_id.is_some() && is_member(r))
            .collect();
        let earlier = self.earlier_messages(&mut tx, &retried).await?;

        let mut first_with: HashMap<(&str, &str, &str), usize> = HashMap::new();
        let mut plans = Vec::with_capacity(reqs.len());
        for (i, r) in reqs.iter().enumerate() {
            if !is_member(r) {
                plans.push(Plan::NotMember);
                continue;
            }
            if let Some(cid) = &r.client_id {
                let key = (r.conversation.as_str(), r.sender.id.as_str(), cid.as_str());
                if let Some(message) = earlier.get(&key) {
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
        let fresh: Vec<&PostRequest> = reqs
            .iter()
            .zip(&plans)
            .filter(|(_, p)| matches!(p, Plan::Fresh))
            .map(|(r, _)| r)
            .collect();

        // Positions: each conversation moves past its new messages in one step.
        let mut counts: Vec<(&str, i64, i64)> = Vec::new();
        for r in &fresh {
            match counts
                .iter_mut()
                .find(|(c, _, _)| *c == r.conversation.as_str())
            {
                Some((_, n, at)) => {
                    *n += 1;
                    *at = (*at).max(r.now.millis());
                }
                None => counts.push((r.conversation.as_str(), 1, r.now.millis())),
            }
        }
        let mut next_seq = advance_positions(&mut tx, &counts).await?;

        let mut stored = Vec::with_capacity(fresh.len());
        for r in &fresh {
            let slot = next_seq
                .get_mut(r.conversation.as_str())
                .ok_or_else(|| InsertError::Store(StoreError("conversation vanished".into())))?;
            let seq = *slot;
            *slot += 1;
            let id = MessageId::new();
            let sealed = self
                .seal("messages", "body", id.as_str(), &r.body)
                .map_err(InsertError::Store)?;
            stored.push((id, seq, sealed));
        }
        insert_messages(&mut tx, &fresh, &stored).await?;
        mark_senders_read(&mut tx, &fresh, &stored).await?;

        let records: Vec<AuditRecord> = fresh
            .iter()
            .map(|r| {
                let rec = AuditRecord::new(r.now, Action::MessageSent, &r.client)
                    .actor(&r.sender.id)
                    .object(&r.conversation);
                match members.get(r.conversation.as_str()).and_then(|ms| {
                    ms.iter()
                        .find(|(_, role)| *role == Role::Patient)
                        .map(|(u, _)| u)
                }) {
                    Some(p) => rec.patient(p),
                    None => rec,
                }
            })
            .collect();
        audit::append_all(&mut tx, &records)
            .await
            .map_err(InsertError::Store)?;
        tx.commit().await?;

        let mut fresh_posts = fresh.iter().zip(stored).map(|(r, (id, seq, _))| Posted {
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
        Ok(answers)
    }

    /// The messages stored earlier under the client ids of `reqs`, by (conversation, sender,
    /// client id).
    async fn earlier_messages<'a>(
        &self,
        conn: &mut AnyConnection,
        reqs: &[&'a PostRequest],
    ) -> Result<HashMap<(&'a str, &'a str, &'a str), Message>, InsertError> {
        let mut found = HashMap::new();
        if reqs.is_empty() {
            return Ok(found);
        }
        let wanted: Vec<String> = (0..reqs.len())
            .map(|i| {
                format!(
                    "(m.conversation_id = ${} AND m.sender_id = ${} AND m.client_id = ${})",
                    3 * i + 1,
                    3 * i + 2,
                    3 * i + 3
                )
            })
            .collect();
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS}, m.conversation_id FROM {MESSAGE_FROM} WHERE {}",
            wanted.join(" OR ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in reqs {
            q = q
                .bind(r.conversation.as_str())
                .bind(r.sender.id.as_str())
                .bind(r.client_id.as_deref());
        }
        let rows = q.fetch_all(&mut *conn).await?;
        for row in rows {
            let conversation: String = row.try_get("conversation_id")?;
            let sender: String = row.try_get("sender_id")?;
            let cid: Option<String> = row.try_get("client_id")?;
            let Some(r) = reqs.iter().find(|r| {
                r.conversation.as_str() == conversation
                    && r.sender.id.as_str() == sender
                    && r.client_id == cid
            }) else {
                continue;
            };
            let message = self
                .message_from_row(&r.conversation, &row)
                .map_err(|e| InsertError::Store(StoreError(e.to_string())))?;
            found.insert(
                (
                    r.conversation.as_str(),
                    r.sender.id.as_str(),
                    r.client_id.as_deref().unwrap_or_default(),
                ),
                message,
            );
        }
        Ok(found)
    }
}

/// The current members of `conversations`, with their roles. On PostgreSQL their rows stay
/// locked until the batch commits, so a removal waits for the batch (or the batch, for a
/// removal under way, and then no longer sees the member): nobody removed meanwhile is among
/// those a message is delivered to. SQLite's batch holds the database's one write lock anyway.
/// Should two batches (or a batch and a removal) still lock them the other way round,
/// PostgreSQL breaks the deadlock and the batch's messages are stored again one by one.
async fn members_in(
    conn: &mut AnyConnection,
    backend: Backend,
    conversations: &[&str],
) -> Result<HashMap<String, Vec<(UserId, Role)>>, InsertError> {
    let placeholders: Vec<String> = (1..=conversations.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT m.conversation_id, m.user_id, u.role FROM conversation_members m JOIN users u ON u.id = m.user_id
          WHERE m.left_at IS NULL AND m.conversation_id IN ({}){}",
        placeholders.join(", "),
        backend.lock_members_sql()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for c in conversations {
        q = q.bind(*c);
    }
    let mut members: HashMap<String, Vec<(UserId, Role)>> = HashMap::new();
    for row in q.fetch_all(&mut *conn).await? {
        let role: String = row.try_get("role")?;
        members
            .entry(row.try_get("conversation_id")?)
            .or_default()
            .push((
                UserId::from_stored(row.try_get("user_id")?),
                Role::parse(&role).unwrap_or(Role::Patient),
            ));
    }
    Ok(members)
}

/// Moves each conversation's position past its new messages (conversation, count, time) and
/// returns the first new position of each.
async fn advance_positions(
    conn: &mut AnyConnection,
    counts: &[(&str, i64, i64)],
) -> Result<HashMap<String, i64>, InsertError> {
    let mut first = HashMap::new();
    if counts.is_empty() {
        return Ok(first);
    }
    let sql = format!(
        "UPDATE conversations SET last_seq = last_seq + v.column2, last_activity = v.column3
           FROM (VALUES {}) AS v WHERE conversations.id = v.column1
         RETURNING conversations.id, conversations.last_seq",
        values(counts.len(), 3)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (c, n, at) in counts {
        q = q.bind(*c).bind(*n).bind(*at);
    }
    for row in q.fetch_all(&mut *conn).await? {
        let id: String = row.try_get("id")?;
        let last: i64 = row.try_get("last_seq")?;
        let n = counts
            .iter()
            .find(|(c, _, _)| *c == id)
            .map_or(0, |(_, n, _)| *n);
        first.insert(id, last - n + 1);
    }
    Ok(first)
}

async fn insert_messages(
    conn: &mut AnyConnection,
    fresh: &[&PostRequest],
    stored: &[(MessageId, i64, Vec<u8>)],
) -> Result<(), InsertError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at, client_id) VALUES {}",
        values(fresh.len(), 7)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (r, (id, seq, sealed)) in fresh.iter().zip(stored) {
        q = q
            .bind(id.as_str())
            .bind(r.conversation.as_str())
            .bind(*seq)
            .bind(r.sender.id.as_str())
            .bind(sealed.clone())
            .bind(r.now.millis())
            .bind(r.client_id.as_deref());
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// A sender has read up to their own newest message.
async fn mark_senders_read(
    conn: &mut AnyConnection,
    fresh: &[&PostRequest],
    stored: &[(MessageId, i64, Vec<u8>)],
) -> Result<(), InsertError> {
    let mut newest: Vec<(&str, &str, i64)> = Vec::new();
    for (r, (_, seq, _)) in fresh.iter().zip(stored) {
        let (c, s) = (r.conversation.as_str(), r.sender.id.as_str());
        match newest.iter_mut().find(|(nc, ns, _)| *nc == c && *ns == s) {
            Some((_, _, up_to)) => *up_to = (*up_to).max(*seq),
            None => newest.push((c, s, *seq)),
        }
    }
    if newest.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE conversation_members SET last_read_seq = v.column3
           FROM (VALUES {}) AS v
          WHERE conversation_members.conversation_id = v.column1 AND conversation_members.user_id = v.column2",
        values(newest.len(), 3)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (c, s, seq) in newest {
        q = q.bind(c).bind(s).bind(seq);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}
