//! The hash-chained audit trail. Appends serialise on the single `audit_head` row: the first
//! statement of an append is an UPDATE of that row, which takes its lock (PostgreSQL) or the
//! write lock (SQLite), so two transactions can never chain onto the same predecessor.

use async_trait::async_trait;
use spreekuur_crypto::sha256;
use spreekuur_domain::audit::{AuditRecord, ChainReport, StoredAuditRecord};
use spreekuur_domain::ports::AuditStore;
use spreekuur_domain::{StoreError, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::statement::Stmt;
use crate::{Db, db_err, values};

/// Appends `rec` inside the caller's transaction.
pub(crate) async fn append(conn: &mut AnyConnection, rec: &AuditRecord) -> Result<(), StoreError> {
    append_all(conn, std::slice::from_ref(rec)).await
}

/// Appends `recs` in order inside the caller's transaction, in three statements however many
/// there are: the head is moved past all of them at once (which locks it), the chain is
/// computed here, and the rows go in together.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    recs: &[AuditRecord],
) -> Result<(), StoreError> {
    if recs.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(recs.len()).map_err(|_| StoreError("too many audit records".into()))?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let last: i64 = head.try_get("seq").map_err(db_err)?;
    let prev: Vec<u8> = head.try_get("hash").map_err(db_err)?;
    for stmt in append_statements(&chain(last - n, prev, recs)) {
        stmt.execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// A record with its place in the chain: its position, its predecessor's hash and its own.
pub(crate) struct Chained<'a> {
    seq: i64,
    rec: &'a AuditRecord,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl Chained<'_> {
    /// Its position in the chain.
    pub(crate) fn seq(&self) -> i64 {
        self.seq
    }

    /// Its own hash.
    pub(crate) fn hash(&self) -> &[u8] {
        &self.hash
    }
}

/// `recs` chained after the record at position `last` whose hash is `prev`.
pub(crate) fn chain(last: i64, mut prev: Vec<u8>, recs: &[AuditRecord]) -> Vec<Chained<'_>> {
    (last + 1..)
        .zip(recs)
        .map(|(seq, rec)| {
            let hash = sha256(&rec.canonical(seq, &prev)).to_vec();
            Chained {
                seq,
                rec,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

/// The statements that store `rows` and move the head to the last of them (none for no rows).
pub(crate) fn append_statements(rows: &[Chained]) -> Vec<Stmt> {
    let mut out = Vec::new();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut stmt = Stmt::new(format!(
            "INSERT INTO audit_log (seq, at, actor_id, on_behalf_of, action, patient_id, object_id, source, outcome, prev_hash, hash) VALUES {}",
            values(chunk.len(), 11)
        ));
        for c in chunk {
            stmt.push(c.seq);
            stmt.push(c.rec.at.millis());
            stmt.push(c.rec.actor.as_ref().map(|u| u.to_string()));
            stmt.push(c.rec.on_behalf_of.as_ref().map(|u| u.to_string()));
            stmt.push(c.rec.action.as_str());
            stmt.push(c.rec.patient.as_ref().map(|u| u.to_string()));
            stmt.push(c.rec.object.clone());
            stmt.push(c.rec.source.clone());
            stmt.push(c.rec.outcome.as_str());
            stmt.push(c.prev_hash.clone());
            stmt.push(c.hash.clone());
        }
        out.push(stmt);
    }
    if let Some(last) = rows.last() {
        out.push(
            Stmt::new("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .arg(last.seq)
                .arg(last.hash.clone()),
        );
    }
    out
}

/// Chained records column by column, for a statement that takes its rows as arrays.
pub(crate) struct RecordColumns {
    pub seq: Vec<i64>,
    pub at: Vec<i64>,
    pub actor: Vec<Option<String>>,
    pub on_behalf_of: Vec<Option<String>>,
    pub action: Vec<&'static str>,
    pub patient: Vec<Option<String>>,
    pub object: Vec<Option<String>>,
    pub source: Vec<String>,
    pub outcome: Vec<&'static str>,
    pub prev_hash: Vec<Vec<u8>>,
    pub hash: Vec<Vec<u8>>,
}

impl RecordColumns {
    pub(crate) fn of(rows: &[Chained]) -> Self {
        Self {
            seq: rows.iter().map(|c| c.seq).collect(),
            at: rows.iter().map(|c| c.rec.at.millis()).collect(),
            actor: rows
                .iter()
                .map(|c| c.rec.actor.as_ref().map(|u| u.to_string()))
                .collect(),
            on_behalf_of: rows
                .iter()
                .map(|c| c.rec.on_behalf_of.as_ref().map(|u| u.to_string()))
                .collect(),
            action: rows.iter().map(|c| c.rec.action.as_str()).collect(),
            patient: rows
                .iter()
                .map(|c| c.rec.patient.as_ref().map(|u| u.to_string()))
                .collect(),
            object: rows.iter().map(|c| c.rec.object.clone()).collect(),
            source: rows.iter().map(|c| c.rec.source.clone()).collect(),
            outcome: rows.iter().map(|c| c.rec.outcome.as_str()).collect(),
            prev_hash: rows.iter().map(|c| c.prev_hash.clone()).collect(),
            hash: rows.iter().map(|c| c.hash.clone()).collect(),
        }
    }
}

/// Rows in one multi-row INSERT: well under either backend's limit on parameters.
const ROWS_PER_INSERT: usize = 100;

fn stored(row: &sqlx::any::AnyRow) -> Result<StoredAuditRecord, sqlx::Error> {
    Ok(StoredAuditRecord {
        seq: row.try_get("seq")?,
        at: Timestamp(row.try_get("at")?),
        actor: row.try_get("actor_id")?,
        on_behalf_of: row.try_get("on_behalf_of")?,
        action: row.try_get("action")?,
        patient: row.try_get("patient_id")?,
        object: row.try_get("object_id")?,
        source: row.try_get("source")?,
        outcome: row.try_get("outcome")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Db {
    /// The newest `limit` records, newest first (for administrators and tests).
    pub async fn audit_recent(&self, limit: i64) -> Result<Vec<StoredAuditRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(stored)
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }
}

#[async_trait]
impl AuditStore for Db {
    async fn audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        append(&mut tx, record).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        const PAGE: i64 = 1000;
        let mut expected_seq = 1;
        let mut prev: Vec<u8> = Vec::new();
        let mut first_broken = None;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")
                .bind(expected_seq)
                .bind(PAGE)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            let n = rows.len() as i64;
            for row in &rows {
                let rec = stored(row).map_err(db_err)?;
                let intact = rec.seq == expected_seq
                    && rec.prev_hash == prev
                    && sha256(&rec.canonical()).as_slice() == rec.hash.as_slice();
                if !intact && first_broken.is_none() {
                    first_broken = Some(expected_seq.min(rec.seq));
                }
                prev = rec.hash;
                expected_seq = rec.seq + 1;
            }
            if n < PAGE {
                break;
            }
        }
        // A removed tail leaves the head pointing past the last row.
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        let head_seq: i64 = head.try_get("seq").map_err(db_err)?;
        let head_hash: Vec<u8> = head.try_get("hash").map_err(db_err)?;
        if first_broken.is_none() && (head_seq != expected_seq - 1 || head_hash != prev) {
            first_broken = Some(expected_seq);
        }
        Ok(ChainReport {
            records: head_seq,
            first_broken,
        })
    }
}
