//! The schema's migrations, one file per version and backend under `migrations/sqlite` and
//! `migrations/postgres`. `build.rs` lists them (and fails the build when the two directories
//! do not hold the same versions): a new migration needs no entry here.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType};

use crate::Backend;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The migrations of `backend`, in order. Version, description and SQL (and so sqlx's
/// checksum) are those of the files: a database migrated by an earlier build still opens.
pub(crate) fn all(backend: Backend) -> Vec<Migration> {
    FILES
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql)),
                false,
            )
        })
        .collect()
}

/// The newest migration this binary knows.
pub(crate) fn latest() -> i64 {
    FILES.last().map_or(0, |&(version, ..)| version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_for_both_backends() {
        let names = |dir: &str| {
            let mut v: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            v.sort();
            v
        };
        let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
        assert_eq!(
            sqlite,
            names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        );
        assert_eq!(
            sqlite.len(),
            all(Backend::Sqlite).len(),
            "every migration file is embedded"
        );
        assert_eq!(all(Backend::Sqlite).len(), all(Backend::Postgres).len());
        assert_eq!(latest(), sqlite.len() as i64);
    }

    /// What the hand-written list held before `build.rs` made it: a database migrated then
    /// must find the same versions, descriptions and checksums now.
    #[test]
    fn versions_and_descriptions_are_those_already_applied() {
        let expected = [
            "foundation",
            "login throttle",
            "session codes",
            "session devices",
            "totp",
            "passkeys",
            "app lock",
            "messenger",
            "api tokens",
            "office hours",
            "direct key",
            "files",
            "notices",
            "teams",
            "external ids",
            "team hours",
            "member gaps",
            "ceremony expiry",
        ];
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let migrations = all(backend);
            assert!(migrations.len() >= expected.len());
            for (m, (version, description)) in migrations.iter().zip((1..).zip(expected)) {
                assert_eq!((m.version, m.description.as_ref()), (version, description));
            }
        }
        // The SQL is the file's, byte for byte (sqlx's checksum is over it).
        for (backend, dir) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for (m, file) in all(backend).iter().zip(&files) {
                assert_eq!(
                    m.sql.as_str(),
                    std::fs::read_to_string(file).unwrap(),
                    "{}",
                    file.display()
                );
            }
        }
    }
}
