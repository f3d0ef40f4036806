//! A row's columns by name, whichever driver read it: sqlx's rows everywhere (PostgreSQL's own
//! on its message writer's connection), and rusqlite's on the message writer's own SQLite
//! connection (`message_writer::sqlite`). What decodes a row that several read (a message, the
//! batch's reads) is written once, against this trait.

use spreekuur_domain::StoreError;
use sqlx::Row;
use sqlx::any::AnyRow;
use sqlx::postgres::PgRow;

pub(crate) trait Columns {
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn maybe_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn maybe_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError>;
}

fn sqlx_err(col: &str, e: sqlx::Error) -> StoreError {
    StoreError(format!("column {col}: {e}"))
}

/// `Columns` for a sqlx row type: each column through `try_get`.
macro_rules! sqlx_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, col: &str) -> Result<String, StoreError> {
                self.try_get(col).map_err(|e| sqlx_err(col, e))
            }
            fn maybe_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                self.try_get(col).map_err(|e| sqlx_err(col, e))
            }
            fn int(&self, col: &str) -> Result<i64, StoreError> {
                self.try_get(col).map_err(|e| sqlx_err(col, e))
            }
            fn maybe_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
                self.try_get(col).map_err(|e| sqlx_err(col, e))
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
                self.try_get(col).map_err(|e| sqlx_err(col, e))
            }
        }
    };
}

sqlx_columns!(AnyRow);
// PostgreSQL's message writer reads its own connection's rows (`message_writer/postgres.rs`).
sqlx_columns!(PgRow);

fn rusqlite_err(col: &str, e: rusqlite::Error) -> StoreError {
    StoreError(format!("column {col}: {e}"))
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.get(col).map_err(|e| rusqlite_err(col, e))
    }
    fn maybe_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.get(col).map_err(|e| rusqlite_err(col, e))
    }
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        self.get(col).map_err(|e| rusqlite_err(col, e))
    }
    fn maybe_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.get(col).map_err(|e| rusqlite_err(col, e))
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        self.get(col).map_err(|e| rusqlite_err(col, e))
    }
}
