//! Steps 2 and 4 of storing messages (see `message_writer.rs`), the same for every way a
//! message is stored: what the reads found (`Found`), what each message becomes and what
//! stores the new ones (`plan`), and each message's answer after the commit (`answers`).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::ops::Range;

use spreekuur_domain::account::Role;
use spreekuur_domain::audit::AuditRecord;
use spreekuur_domain::conversation::{Message, Posted};
use spreekuur_domain::{ConversationId, Error, MessageId, StoreError, UserId};

use super::{InsertError, NewMessage};
use crate::Db;
use crate::columns::Columns;

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
pub(super) struct Found {
    /// The current members of each conversation, with their roles.
    members: HashMap<String, Vec<(UserId, Role)>>,
    /// Earlier messages by (conversation, sender, client id).
    earlier: Vec<(String, String, String, Message)>,
    /// Each conversation's last position (of those with members).
    last_seq: HashMap<String, i64>,
    /// The audit trail's last position and hash.
    head: Option<(i64, Vec<u8>)>,
}

/// What a batch will write, decided from what it read.
pub(super) struct Planned {
    /// A plan per message of the batch, in order.
    plans: Vec<Plan>,
    /// The new messages, in the batch's order.
    pub fresh: Vec<Fresh>,
    /// Each conversation with new messages: its new last position and the time of its newest
    /// message, by conversation id.
    pub positions: Vec<(String, i64, i64)>,
    /// A sender has read up to their own newest message: (conversation, sender, position).
    pub read_marks: Vec<(String, String, i64)>,
    /// The audit records of the new messages that have one, in the same order ...
    pub records: Vec<AuditRecord>,
    /// ... after its head as read: position and hash.
    pub head: (i64, Vec<u8>),
    /// The members of each conversation, whom a new message is delivered to.
    members: HashMap<String, Vec<(UserId, Role)>>,
}

impl Planned {
    /// Which of `records` belong to the new messages `range` (of `fresh`).
    pub fn records_of(&self, range: Range<usize>) -> Range<usize> {
        let before = |i: usize| self.fresh[..i].iter().filter(|f| f.recorded).count();
        before(range.start)..before(range.end)
    }
}

/// A new message: its place in the batch, id, position and sealed body, and whether it has an
/// audit record.
pub(super) struct Fresh {
    pub index: usize,
    pub id: MessageId,
    pub seq: i64,
    pub sealed: Vec<u8>,
    pub recorded: bool,
}

/// Step 2 (see the module's description): what each message of the batch becomes, and what
/// stores the new ones.
pub(super) fn plan<M: Borrow<NewMessage>>(
    db: &Db,
    reqs: &[M],
    found: Found,
) -> Result<Planned, InsertError> {
    let is_member = |r: &NewMessage| {
        found
            .members
            .get(r.conversation.as_str())
            .is_some_and(|ms| ms.iter().any(|(u, _)| *u == r.sender))
    };
    let mut first_with: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut plans = Vec::with_capacity(reqs.len());
    for (i, r) in reqs.iter().map(Borrow::borrow).enumerate() {
        if !is_member(r) {
            plans.push(Plan::NotMember);
            continue;
        }
        if let Some(cid) = &r.client_id {
            let key = (r.conversation.as_str(), r.sender.as_str(), cid.as_str());
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
    for (index, r) in reqs.iter().map(Borrow::borrow).enumerate() {
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
        read_upto.insert((c, r.sender.as_str()), *seq);
        let id = MessageId::new();
        let sealed = db
            .seal("messages", "body", id.as_str(), &r.body)
            .map_err(InsertError::Store)?;
        fresh.push(Fresh {
            index,
            id,
            seq: *seq,
            sealed,
            recorded: r.record.is_some(),
        });
        if let Some(rec) = &r.record {
            let patient = found.members.get(c).and_then(|ms| {
                ms.iter()
                    .find(|(_, role)| *role == Role::Patient)
                    .map(|(u, _)| u)
            });
            records.push(match patient {
                Some(p) => rec.clone().patient(p),
                None => rec.clone(),
            });
        }
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
pub(super) fn answers<M: Borrow<NewMessage>>(
    reqs: &[M],
    planned: Planned,
) -> Vec<Result<Posted, Error>> {
    let Planned {
        plans,
        fresh,
        members,
        ..
    } = planned;
    let mut fresh_posts = fresh.into_iter().map(|Fresh { index, id, seq, .. }| {
        let r: &NewMessage = reqs[index].borrow();
        Posted {
            message: Message {
                id,
                conversation: r.conversation.clone(),
                seq,
                sender: r.sender.clone(),
                sender_name: r.sender_name.clone(),
                body: r.body.clone(),
                sent_at: r.now,
                client_id: r.client_id.clone(),
                file: r.file.clone(),
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
    pub(super) fn add(&mut self, db: &Db, row: &impl Columns) -> Result<(), InsertError> {
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
