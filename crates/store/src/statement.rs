//! Statements built at run time (multi-row inserts and updates) that can run alone or several
//! as one: a batch of messages is written in as few round trips to the database as it can.
//!
//! Each [`Stmt`] numbers its placeholders from `$1`. [`combine`] joins several into one
//! PostgreSQL statement, shifting their numbers so that they share one list of arguments:
//! data-modifying `WITH` clauses before the last. (SQLite's message writer runs its statements
//! on its own thread, one by one: no round trip to save there.)

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

    /// About how many bytes it takes on the wire: its text and its arguments.
    pub fn size(&self) -> usize {
        self.sql.len()
            + self
                .args
                .iter()
                .map(|a| {
                    4 + match a {
                        Arg::Text(s) => s.len(),
                        Arg::MaybeText(s) => s.as_ref().map_or(0, String::len),
                        Arg::Int(_) => 8,
                        Arg::Bytes(b) => b.len(),
                    }
                })
                .sum::<usize>()
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

    /// Every row.
    pub async fn fetch_all(&self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, sqlx::Error> {
        self.query().fetch_all(conn).await
    }
}

/// `parts` as one PostgreSQL statement, their placeholders renumbered to follow each other:
/// every part but the last becomes a `WITH` clause of the last, so all of them must change data
/// and return nothing needed (they also see the same snapshot: no part may depend on another's
/// changes).
pub(crate) fn combine(parts: Vec<Stmt>) -> Stmt {
    let mut out = Stmt::new(String::new());
    let count = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let sql = shift_placeholders(&part.sql, out.args.len());
        if i + 1 < count {
            out.sql.push_str(if i == 0 { "WITH " } else { ",\n" });
            out.sql.push_str(&format!("w{i} AS ({sql})"));
        } else {
            if i > 0 {
                out.sql.push('\n');
            }
            out.sql.push_str(&sql);
        }
        out.args.extend(part.args);
    }
    out
}

/// `sql` with every placeholder `$n` made `$(n + by)`. The statements built here hold no `$`
/// other than placeholders.
fn shift_placeholders(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_statements_share_one_numbering() {
        let parts = || {
            vec![
                Stmt::new("UPDATE a SET x = $1 WHERE id = $2")
                    .arg(1)
                    .arg("a"),
                Stmt::new("INSERT INTO b VALUES ($1, $2), ($3, $4)")
                    .arg(2)
                    .arg("b")
                    .arg(3)
                    .arg("c"),
                Stmt::new("UPDATE c SET y = $1").arg(4),
            ]
        };
        let p = combine(parts());
        assert_eq!(
            p.sql,
            "WITH w0 AS (UPDATE a SET x = $1 WHERE id = $2),\nw1 AS (INSERT INTO b VALUES ($3, $4), ($5, $6))\nUPDATE c SET y = $7"
        );
        assert_eq!(p.args.len(), 7);
        let one = combine(vec![Stmt::new("UPDATE c SET y = $1").arg(4)]);
        assert_eq!(one.sql, "UPDATE c SET y = $1");
        assert_eq!(shift_placeholders("$10, $9 $", 5), "$15, $14 $");
    }
}
