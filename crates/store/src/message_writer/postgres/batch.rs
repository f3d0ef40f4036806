//! One batch on PostgreSQL, inside its transaction: the statement that reads, the statements
//! that write (cut into runs of `WRITE_BYTES`), and the commit.
//!
//! Both statements take their rows as arrays (`unnest`), so their text is the same for every
//! batch: each is parsed and planned once per connection and kept. (Built as multi-row lists,
//! a batch of n messages was a statement of its own for each n, parsed and planned again
//! whenever it fell out of the connection's cache, and the reads were four round trips.)

use std::collections::HashMap;
use std::ops::Range;

use spreekuur_domain::Error;
use spreekuur_domain::conversation::Posted;
use sqlx::Row;
use sqlx::postgres::PgConnection;

use crate::Db;
use crate::audit::{self, Chained};
use crate::conversation::{MESSAGE_COLUMNS, MESSAGE_FROM};
use crate::message_writer::plan::{Found, Fresh, Planned, answers, plan};
use crate::message_writer::{InsertError, NewMessage, PostRequest};

/// A batch's writes go as statements of about this many bytes at most (one message per
/// statement at least). sqlx 0.9.0 leaves Nagle's algorithm on (it no longer sets
/// `TCP_NODELAY`; sqlx issue 4335, fixed but not released), and over TLS a statement larger
/// than one record (16 KiB) goes out in two writes: the second waits for the server's delayed
/// acknowledgement, 40 ms. Measured with every batch's writes in one statement (sizes as
/// `wire_size` estimates them): over TLS none of 7,474 statements of 19,056 bytes or less
/// stalled and every one of 105 of 19,850 or more did; without TLS (a Unix socket, or
/// `sslmode=disable`), none of 917 over 16 KiB did.
const WRITE_BYTES: usize = 12 * 1024;

/// Step 1 (see `message_writer.rs`): the members of the batch's conversations ($1), the
/// messages already stored under the batch's client ids (conversation, sender, client id:
/// $2, $3, $4), the conversations' positions and the audit trail's head, in that order.
///
/// What it reads stays locked until the commit. The member rows: so a removal waits for the
/// batch (or the batch, for a removal under way, and then no longer sees the member), and
/// nobody removed meanwhile is among those a message is delivered to. Their lock is the one
/// an UPDATE of those rows takes anyway (the senders' read positions are updated later): a
/// shared lock would deadlock two batches that each hold it and then both update. Then the
/// positions (the batch moves them), in the order of their ids: the order in which other
/// transactions (a team member's removal) lock them too. The head last: it is the most
/// contended lock, held for the least time. Should two transactions still lock rows the other
/// way round, PostgreSQL breaks the deadlock and the batch's messages are stored again one
/// by one.
///
/// Each part is a materialised `WITH` query (PostgreSQL allows no locking clause in a
/// `UNION`); the `UNION ALL` runs them in the order written. The plan is made once and kept
/// until the tables' statistics change: the client ids are looked up one by one (`LATERAL`,
/// kept apart by its `LIMIT`), by the unique index whatever the size of the table. (Joined,
/// a plan made while `messages` was small read the whole table on every batch: 3,493 rows,
/// 1.4 ms, and W1 fell to 3,800 messages/s.)
const READ: &str = "WITH member AS MATERIALIZED (
        SELECT m.conversation_id, m.user_id, u.role
          FROM conversation_members m JOIN users u ON u.id = m.user_id
         WHERE m.left_at IS NULL AND m.conversation_id = ANY($1)
           FOR NO KEY UPDATE OF m),
    retried AS MATERIALIZED (
        SELECT k.conversation_id, m.id
          FROM unnest($2::text[], $3::text[], $4::text[]) AS k(conversation_id, sender_id, client_id)
          CROSS JOIN LATERAL (
              SELECT id FROM messages
               WHERE conversation_id = k.conversation_id AND sender_id = k.sender_id
                 AND client_id = k.client_id
               LIMIT 1) AS m),
    position AS MATERIALIZED (
        SELECT id, last_seq FROM conversations WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE),
    head AS MATERIALIZED (
        SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE)
    SELECT 'member' AS part, conversation_id, user_id, role, NULL::text AS message_id,
           NULL::bigint AS last_seq, NULL::bigint AS seq, NULL::bytea AS hash FROM member
    UNION ALL SELECT 'retried', conversation_id, NULL, NULL, id, NULL, NULL, NULL FROM retried
    UNION ALL SELECT 'position', id, NULL, NULL, NULL, last_seq, NULL, NULL FROM position
    UNION ALL SELECT 'head', NULL, NULL, NULL, NULL, NULL, seq, hash FROM head";

/// Step 3, for some of the batch's new messages: positions ($1-$3), messages ($4-$11), the
/// senders' read positions ($12-$14), audit records ($15-$25) and the head ($26, $27). Parts
/// with nothing to write get empty arrays.
const WRITE: &str = "WITH positions AS (
        UPDATE conversations c SET last_seq = v.seq, last_activity = v.at
          FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, seq, at)
         WHERE c.id = v.id),
    new_messages AS (
        INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at, client_id,
                              file_id)
        SELECT * FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::bytea[],
                             $9::bigint[], $10::text[], $11::text[])),
    read_marks AS (
        UPDATE conversation_members cm SET last_read_seq = v.seq
          FROM unnest($12::text[], $13::text[], $14::bigint[]) AS v(conversation_id, user_id, seq)
         WHERE cm.conversation_id = v.conversation_id AND cm.user_id = v.user_id),
    records AS (
        INSERT INTO audit_log (seq, at, actor_id, on_behalf_of, action, patient_id, object_id,
                               source, outcome, prev_hash, hash)
        SELECT * FROM unnest($15::bigint[], $16::bigint[], $17::text[], $18::text[], $19::text[],
                             $20::text[], $21::text[], $22::text[], $23::text[], $24::bytea[],
                             $25::bytea[]))
    UPDATE audit_head SET seq = $26, hash = $27 WHERE id = 1";

/// The messages a full message is read back for: a retry's first attempt.
fn earlier_sql() -> String {
    format!(
        "SELECT 'earlier' AS part, {MESSAGE_COLUMNS}, m.conversation_id FROM {MESSAGE_FROM}
          WHERE m.id = ANY($1)"
    )
}

/// The batch's work inside its transaction, up to and including the commit; `wrote` is set
/// before the first write is sent. With `more` batches waiting, the commit begins the next
/// one's transaction in the same round trip (`COMMIT; BEGIN`). An idle writer keeps no
/// transaction open.
pub(super) async fn store_in(
    db: &Db,
    conn: &mut PgConnection,
    reqs: &[PostRequest],
    more: bool,
    wrote: &mut bool,
) -> Result<Vec<Result<Posted, Error>>, InsertError> {
    let found = read(db, conn, reqs).await?;
    let planned = plan(db, reqs, found)?;
    *wrote = true;
    let chained = audit::chain(planned.head.0, planned.head.1.clone(), &planned.records);
    // Each conversation's new position and read positions go with its last new message.
    let mut last_of: HashMap<&str, usize> = HashMap::new();
    for (i, f) in planned.fresh.iter().enumerate() {
        last_of.insert(reqs[f.index].message.conversation.as_str(), i);
    }
    let sizes = planned.fresh.iter().enumerate().map(|(i, f)| {
        let c = reqs[f.index].message.conversation.as_str();
        let marks = match last_of.get(c) {
            Some(&last) if last == i => marks_size(&planned, c),
            _ => 0,
        };
        wire_size(f, &reqs[f.index].message) + marks
    });
    for range in runs(sizes, WRITE_BYTES) {
        write(&planned, reqs, &chained, &last_of, range, &mut *conn).await?;
    }
    if more {
        sqlx::raw_sql("COMMIT; BEGIN").execute(&mut *conn).await?;
    } else {
        sqlx::query("COMMIT").execute(&mut *conn).await?;
    }
    Ok(answers(reqs, planned))
}

/// Step 1: one round trip, and one more for the messages of retried client ids if any.
async fn read(
    db: &Db,
    conn: &mut PgConnection,
    reqs: &[PostRequest],
) -> Result<Found, InsertError> {
    let mut conversations: Vec<&str> = reqs
        .iter()
        .map(|r| r.message.conversation.as_str())
        .collect();
    conversations.sort_unstable();
    conversations.dedup();
    // Client ids are looked up for every message that carries one; a non-member's is ignored.
    let (mut c, mut s, mut cid) = (Vec::new(), Vec::new(), Vec::new());
    for r in reqs.iter().map(|r| &r.message) {
        if let Some(id) = &r.client_id {
            c.push(r.conversation.as_str());
            s.push(r.sender.as_str());
            cid.push(id.as_str());
        }
    }
    let rows = sqlx::query(READ)
        .bind(&conversations)
        .bind(&c)
        .bind(&s)
        .bind(&cid)
        .fetch_all(&mut *conn)
        .await?;
    let mut found = Found::default();
    let mut retried: Vec<String> = Vec::new();
    for row in &rows {
        if row.try_get::<&str, _>("part")? == "retried" {
            retried.push(row.try_get("message_id")?);
        } else {
            found.add(db, row)?;
        }
    }
    if !retried.is_empty() {
        for row in sqlx::query(sqlx::AssertSqlSafe(earlier_sql()))
            .bind(&retried)
            .fetch_all(&mut *conn)
            .await?
        {
            found.add(db, &row)?;
        }
    }
    Ok(found)
}

/// Runs of consecutive items of `sizes` bytes each, in order, of `bytes` at most (an item that
/// does not fit alone is a run of its own).
fn runs(sizes: impl IntoIterator<Item = usize>, bytes: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let (mut start, mut used, mut end) = (0, 0, 0);
    for (i, size) in sizes.into_iter().enumerate() {
        if i > start && used + size > bytes {
            runs.push(start..i);
            (start, used) = (i, 0);
        }
        used += size;
        end = i + 1;
    }
    if start < end {
        runs.push(start..end);
    }
    runs
}

/// About how many bytes a new message takes on the wire in `WRITE`: its sealed body, the
/// client's address and id, ids, numbers and hashes in the message and its audit record, and
/// each array element's length (measured: about 590 bytes for a message of 40 characters).
fn wire_size(f: &Fresh, r: &NewMessage) -> usize {
    let source = r.record.as_ref().map_or(0, |rec| rec.source.len());
    f.sealed.len() + source + r.client_id.as_ref().map_or(0, String::len) + 500
}

/// About how many bytes conversation `c`'s new position and read positions take: 36-byte ids,
/// numbers and lengths.
fn marks_size(planned: &Planned, c: &str) -> usize {
    64 + planned
        .read_marks
        .iter()
        .filter(|(rc, _, _)| rc == c)
        .count()
        * 100
}

/// Step 3 for the new messages `range` (of `planned.fresh`): stores them and their audit
/// records, moves the head past them, and moves the positions and read positions of each
/// conversation whose last new message is among them (`last_of`).
async fn write(
    planned: &Planned,
    reqs: &[PostRequest],
    chained: &[Chained<'_>],
    last_of: &HashMap<&str, usize>,
    range: Range<usize>,
    conn: &mut PgConnection,
) -> Result<(), InsertError> {
    let here = |c: &str| last_of.get(c).is_some_and(|i| range.contains(i));
    let (mut pc, mut ps, mut pa) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rc, mut ru, mut rs) = (Vec::new(), Vec::new(), Vec::new());
    for (c, seq, at) in planned.positions.iter().filter(|(c, _, _)| here(c)) {
        pc.push(c.as_str());
        ps.push(*seq);
        pa.push(*at);
    }
    for (c, u, seq) in planned.read_marks.iter().filter(|(c, _, _)| here(c)) {
        rc.push(c.as_str());
        ru.push(u.as_str());
        rs.push(*seq);
    }
    let fresh = &planned.fresh[range.clone()];
    let mut messages = MessageColumns::default();
    for f in fresh {
        let r = &reqs[f.index].message;
        messages.id.push(f.id.as_str());
        messages.conversation.push(r.conversation.as_str());
        messages.seq.push(f.seq);
        messages.sender.push(r.sender.as_str());
        messages.body.push(f.sealed.as_slice());
        messages.at.push(r.now.millis());
        messages.client_id.push(r.client_id.as_deref());
        messages
            .file_id
            .push(r.file.as_ref().map(|a| a.id.as_str()));
    }
    let recorded = planned.records_of(range);
    // The head after these messages' records: the last of them, or where it stands already.
    let (last, head_hash) = match chained[..recorded.end].last() {
        Some(c) => (c.seq(), c.hash().to_vec()),
        None => planned.head.clone(),
    };
    let records = audit::RecordColumns::of(&chained[recorded]);
    sqlx::query(WRITE)
        .bind(pc)
        .bind(ps)
        .bind(pa)
        .bind(messages.id)
        .bind(messages.conversation)
        .bind(messages.seq)
        .bind(messages.sender)
        .bind(messages.body)
        .bind(messages.at)
        .bind(messages.client_id)
        .bind(messages.file_id)
        .bind(rc)
        .bind(ru)
        .bind(rs)
        .bind(records.seq)
        .bind(records.at)
        .bind(records.actor)
        .bind(records.on_behalf_of)
        .bind(records.action)
        .bind(records.patient)
        .bind(records.object)
        .bind(records.source)
        .bind(records.outcome)
        .bind(records.prev_hash)
        .bind(records.hash)
        .bind(last)
        .bind(head_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// New messages' rows, column by column.
#[derive(Default)]
struct MessageColumns<'a> {
    id: Vec<&'a str>,
    conversation: Vec<&'a str>,
    seq: Vec<i64>,
    sender: Vec<&'a str>,
    body: Vec<&'a [u8]>,
    at: Vec<i64>,
    client_id: Vec<Option<&'a str>>,
    file_id: Vec<Option<&'a str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_written_in_runs_that_fit() {
        assert_eq!(
            runs([500, 500, 5000, 20_000, 500, 500], 6000),
            vec![0..3, 3..4, 4..6],
            "cut before the message that would go past the limit; one longer is alone"
        );
        assert_eq!(runs([500; 5], 6000), vec![0..5]);
        assert_eq!(runs([3000, 3000, 1], 6000), vec![0..2, 2..3]);
        assert_eq!(runs([20_000], 6000), vec![0..1]);
        assert!(runs([], 6000).is_empty());
    }
}
