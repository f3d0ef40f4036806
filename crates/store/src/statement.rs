//! Statements built at run time (multi-row inserts and updates): SQL whose placeholders are
//! numbered from `$1`, with its arguments. The audit trail appends through them on either
//! database, and so does a message stored in a caller's transaction (`message_writer::write_in`);
//! SQLite's message writer binds them itself (on its own connection, see
//! `message_writer/sqlite.rs`).

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection};

/// One argument of a statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    Bytes(Vec<u8>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<Option<&str>> for Arg {
    fn from(s: Option<&str>) -> Self {
        Arg::MaybeText(s.map(str::to_string))
    }
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Arg::MaybeText(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl From<Vec<u8>> for Arg {
    fn from(b: Vec<u8>) -> Self {
        Arg::Bytes(b)
    }
}

/// SQL with its arguments, placeholders numbered from `$1`.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, a: impl Into<Arg>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn push(&mut self, a: impl Into<Arg>) {
        self.args.push(a.into());
    }

    fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str()));
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::MaybeText(s) => q.bind(s.as_deref()),
                Arg::Int(n) => q.bind(*n),
                Arg::Bytes(b) => q.bind(b.as_slice()),
            };
        }
        q
    }

    pub async fn execute(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        self.query().execute(conn).await.map(|_| ())
    }

    pub async fn fetch_all(&self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, sqlx::Error> {
        self.query().fetch_all(conn).await
    }
}
