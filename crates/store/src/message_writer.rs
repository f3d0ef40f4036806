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
//!    trail's head (`Found`). PostgreSQL locks what it reads (members, positions, head) until
//!    the commit;
//! 2. decide, here (`plan`): each message is judged on its own (a sender who is no member gets
//!    `NotFound`; a retry gets the message its first attempt stored), the new ones get their
//!    positions, and the audit records their place in the chain;
//! 3. write: positions, messages, the senders' read positions, the audit records and the head;
//!    then commit.
//!
//! On SQLite the writer is a thread of its own with its own connection (`sqlite`), which runs
//! every statement of a batch itself: through sqlx each round trip was a hand-off to sqlx's
//! worker thread and back, about 130 µs under load (BENCHMARKS.md). On PostgreSQL it is a task
//! with a connection of its own, and a batch is four round trips (`postgres`).
//!
//! When the batch as a whole fails (on PostgreSQL, a retry racing its first attempt through
//! another node), it is tried once more whole, and then its messages are stored one by one, so
//! one message cannot fail the others.

mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{Message, Posted};
use spreekuur_domain::{ConversationId, Error, MessageId, StoreError, Timestamp, UserId};
use tokio::sync::{mpsc, oneshot};

use crate::columns::Columns;
use crate::conversation::InsertError;
use crate::{Backend, Db};

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
/// returned sender, and so the `Db` holding it, is dropped. When SQLite's checkpoints raise
/// `catch_up`, the writer finishes one itself between two batches (see `spawn_checkpoints`).
pub(crate) fn spawn(db: Db, catch_up: Arc<AtomicBool>) -> mpsc::Sender<PostRequest> {
    let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
    match db.backend {
        Backend::Sqlite => sqlite::spawn(db, rx, catch_up),
        Backend::Postgres => postgres::spawn(db, rx),
    }
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

/// What a batch will write, decided from what it read.
struct Planned {
    /// A plan per message of the batch, in order.
    plans: Vec<Plan>,
    /// The new messages, in the batch's order.
    fresh: Vec<Fresh>,
    /// Each conversation with new messages: its new last position and the time of its newest
    /// message, by conversation id.
    positions: Vec<(String, i64, i64)>,
    /// A sender has read up to their own newest message: (conversation, sender, position).
    read_marks: Vec<(String, String, i64)>,
    /// A record per new message, in the same order, for the audit trail ...
    records: Vec<AuditRecord>,
    /// ... after its head as read: position and hash.
    head: (i64, Vec<u8>),
    /// The members of each conversation, whom a new message is delivered to.
    members: HashMap<String, Vec<(UserId, Role)>>,
}

/// A new message: its place in the batch, id, position and sealed body.
struct Fresh {
    index: usize,
    id: MessageId,
    seq: i64,
    sealed: Vec<u8>,
}

/// Step 2 (see the module's description): what each message of the batch becomes, and what
/// stores the new ones.
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

    // Positions: each conversation moves past its new messages.
    let mut next_seq: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut read_upto: HashMap<(&str, &str), i64> = HashMap::new();
    let mut fresh = Vec::new();
    let mut records = Vec::new();
    for (index, r) in reqs.iter().enumerate() {
        if !matches!(plans[index], Plan::Fresh) {
            continue;
        }
        let c = r.conversation.as_str();
        let last = found
            .last_seq
            .get(c)
            .copied()
            .ok_or_else(|| InsertError::Store(StoreError("conversation vanished".into())))?;
        let (seq, at) = next_seq.entry(c).or_insert((last, 0));
        *seq += 1;
        *at = (*at).max(r.now.millis());
        read_upto.insert((c, r.sender.id.as_str()), *seq);
        let id = MessageId::new();
        let sealed = db
            .seal("messages", "body", id.as_str(), &r.body)
            .map_err(InsertError::Store)?;
        fresh.push(Fresh {
            index,
            id,
            seq: *seq,
            sealed,
        });
        let rec = AuditRecord::new(r.now, Action::MessageSent, &r.client)
            .actor(&r.sender.id)
            .object(&r.conversation);
        records.push(
            match found.members.get(c).and_then(|ms| {
                ms.iter()
                    .find(|(_, role)| *role == Role::Patient)
                    .map(|(u, _)| u)
            }) {
                Some(p) => rec.patient(p),
                None => rec,
            },
        );
    }
    let head = found
        .head
        .ok_or_else(|| InsertError::Store(StoreError("no audit head".into())))?;
    let mut positions: Vec<(String, i64, i64)> = next_seq
        .into_iter()
        .map(|(c, (seq, at))| (c.to_string(), seq, at))
        .collect();
    positions.sort_unstable();
    let mut read_marks: Vec<(String, String, i64)> = read_upto
        .into_iter()
        .map(|((c, s), seq)| (c.to_string(), s.to_string(), seq))
        .collect();
    read_marks.sort_unstable();
    Ok(Planned {
        plans,
        fresh,
        positions,
        read_marks,
        records,
        head,
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
    let mut fresh_posts = fresh.into_iter().map(|Fresh { index, id, seq, .. }| {
        let r = &reqs[index];
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
