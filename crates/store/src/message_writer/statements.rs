//! Steps 1 and 3 (see `message_writer.rs`) as statements built per batch: SQLite's writer runs
//! them on its own connection, and `write_in` runs them through sqlx inside a caller's
//! transaction on either database. (PostgreSQL's writer has statements of its own, of the same
//! text for every batch: `postgres.rs`.)

use std::borrow::Borrow;

use super::NewMessage;
use super::plan::Planned;
use crate::conversation::{MESSAGE_COLUMNS, MESSAGE_FROM};
use crate::statement::Stmt;
use crate::{Backend, audit, values};

/// Step 1's statements: the members of the batch's conversations with each conversation's
/// position, the earlier messages of any client ids, and the audit trail's head. Each names
/// what it reads in a `part` column (see `Found::add`).
///
/// On SQLite the transaction holds the database's one write lock: nothing changes them before
/// the commit. On PostgreSQL they are locked in the order its writer locks them (see `READ` in
/// `postgres.rs`): the member rows, then the positions (read again, locked, in the order of
/// their ids), then the head.
pub(super) fn read_parts<M: Borrow<NewMessage>>(backend: Backend, reqs: &[M]) -> Vec<Stmt> {
    let mut conversations: Vec<&str> = reqs
        .iter()
        .map(|r| r.borrow().conversation.as_str())
        .collect();
    conversations.sort_unstable();
    conversations.dedup();
    let in_list = format!(
        "({})",
        (1..=conversations.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let postgres = backend == Backend::Postgres;
    let mut members = Stmt::new(format!(
        "SELECT 'member' AS part, m.conversation_id, m.user_id, u.role, c.last_seq
           FROM conversation_members m JOIN users u ON u.id = m.user_id
           JOIN conversations c ON c.id = m.conversation_id
          WHERE m.left_at IS NULL AND m.conversation_id IN {in_list}{}",
        backend.lock_members_sql()
    ));
    for c in &conversations {
        members.push(*c);
    }
    let mut parts = vec![members];
    // Client ids are looked up for every message that carries one; a non-member's is ignored.
    let retried: Vec<&NewMessage> = reqs
        .iter()
        .map(Borrow::borrow)
        .filter(|r| r.client_id.is_some())
        .collect();
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
            earlier.push(r.sender.as_str());
            earlier.push(r.client_id.as_deref());
        }
        parts.push(earlier);
    }
    if postgres {
        let mut positions = Stmt::new(format!(
            "SELECT 'position' AS part, id AS conversation_id, last_seq FROM conversations
              WHERE id IN {in_list} ORDER BY id FOR NO KEY UPDATE"
        ));
        for c in &conversations {
            positions.push(*c);
        }
        parts.push(positions);
    }
    parts.push(Stmt::new(if postgres {
        "SELECT 'head' AS part, seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT 'head' AS part, seq, hash FROM audit_head WHERE id = 1"
    }));
    parts
}

/// Step 3's statements: positions, messages, the senders' read positions, the audit records
/// and the head (none when nothing is new).
pub(super) fn writes<M: Borrow<NewMessage>>(reqs: &[M], planned: &Planned) -> Vec<Stmt> {
    if planned.fresh.is_empty() {
        return Vec::new();
    }
    let mut positions = Stmt::new(format!(
        "UPDATE conversations SET last_seq = v.column2, last_activity = v.column3
           FROM (VALUES {}) AS v WHERE conversations.id = v.column1",
        values(planned.positions.len(), 3)
    ));
    for (c, seq, at) in &planned.positions {
        positions.push(c.as_str());
        positions.push(*seq);
        positions.push(*at);
    }
    let mut messages = Stmt::new(format!(
        "INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at, client_id, file_id) VALUES {}",
        values(planned.fresh.len(), 8)
    ));
    for f in &planned.fresh {
        let r: &NewMessage = reqs[f.index].borrow();
        messages.push(f.id.as_str());
        messages.push(r.conversation.as_str());
        messages.push(f.seq);
        messages.push(r.sender.as_str());
        messages.push(f.sealed.clone());
        messages.push(r.now.millis());
        messages.push(r.client_id.as_deref());
        messages.push(r.file.as_ref().map(|a| a.id.as_str()));
    }
    let mut read = Stmt::new(format!(
        "UPDATE conversation_members SET last_read_seq = v.column3
           FROM (VALUES {}) AS v
          WHERE conversation_members.conversation_id = v.column1 AND conversation_members.user_id = v.column2",
        values(planned.read_marks.len(), 3)
    ));
    for (c, s, seq) in &planned.read_marks {
        read.push(c.as_str());
        read.push(s.as_str());
        read.push(*seq);
    }
    let (head_seq, head_hash) = planned.head.clone();
    let mut out = vec![positions, messages, read];
    out.extend(audit::append_statements(&audit::chain(
        head_seq,
        head_hash,
        &planned.records,
    )));
    out
}
