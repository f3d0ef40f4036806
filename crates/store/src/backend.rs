//! What differs between SQLite and PostgreSQL, in one place.

use crate::ConnectError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL's scheme; anything else is refused with the accepted ones.
    pub fn from_url(url: &str) -> Result<Self, ConnectError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(ConnectError::Scheme(scheme)),
        }
    }

    /// Refuses an in-memory SQLite database: each connection (the pool's, and the message
    /// writer's own) would get a database of its own.
    pub(crate) fn check_shared(self, url: &str) -> Result<(), ConnectError> {
        if self == Backend::Sqlite && (url.contains(":memory:") || url.contains("mode=memory")) {
            return Err(ConnectError::Open(
                "an in-memory SQLite database cannot be shared by the server's connections: \
                 give a file, for example sqlite://spreekuur-data/spreekuur.db"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Whether a PostgreSQL URL reaches another machine without checking whose certificate
    /// answers: over TCP to a host other than this one, with any `sslmode` but `verify-full`.
    /// sqlx's default (`prefer`) and `require` encrypt when the server offers TLS but accept
    /// any certificate, so someone on the network path could pose as the database. (`verify-ca`
    /// checks the issuer but not the host name.) A Unix socket, or TCP to this machine, passes
    /// no network.
    pub(crate) fn unverified_transport(self, url: &str) -> bool {
        use sqlx::postgres::{PgConnectOptions, PgSslMode};
        use std::str::FromStr;
        if self != Backend::Postgres {
            return false;
        }
        let Ok(options) = PgConnectOptions::from_str(url) else {
            // Connecting will fail and say why.
            return false;
        };
        let host = options.get_host();
        let local = options.get_socket().is_some()
            || host.starts_with('/')
            || ["localhost", "127.0.0.1", "::1", "[::1]"].contains(&host);
        !local && !matches!(options.get_ssl_mode(), PgSslMode::VerifyFull)
    }

    /// SQLite files are created when missing; nothing to add for PostgreSQL.
    pub(crate) fn normalise_url(self, url: &str) -> String {
        match self {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        }
    }

    /// Statements run on every new connection: WAL so readers never block the writer, a busy
    /// timeout so writers queue instead of failing, foreign keys enforced, and every commit
    /// flushed to disk before it returns (`synchronous = FULL`: a message acknowledged to its
    /// sender survives a power cut; NORMAL would keep WAL commits only in the page cache).
    pub(crate) fn connection_setup(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA busy_timeout = 10000",
                "PRAGMA foreign_keys = ON",
                "PRAGMA synchronous = FULL",
                "PRAGMA temp_store = MEMORY",
                // Checkpoints run on a task of their own (`spawn_checkpoints`), not in whichever
                // commit happens to fill the log: the message writer's commits stay short.
                "PRAGMA wal_autocheckpoint = 0",
                // When the log starts over, its file shrinks back to 64 MiB at most.
                "PRAGMA journal_size_limit = 67108864",
            ],
            Backend::Postgres => &[],
        }
    }

    /// Appended to a query of `conversation_members m` inside a write transaction: keeps the
    /// member rows it read from changing until the commit (PostgreSQL; SQLite's write
    /// transaction excludes every other writer already, and knows no such clause). The lock is
    /// the one an UPDATE of those rows takes anyway (the sender's read position is updated
    /// later in the same transaction): a shared lock would deadlock two transactions that each
    /// hold it and then both update.
    pub(crate) fn lock_members_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR NO KEY UPDATE OF m",
        }
    }

    /// The outbox claim's row selection: PostgreSQL skips rows another node is claiming right
    /// now; SQLite has a single writer, so no lock clause is needed (or accepted).
    pub(crate) fn claim_outbox_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => CLAIM_SQLITE,
            Backend::Postgres => CLAIM_POSTGRES,
        }
    }

    pub(crate) fn claim_sms_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => CLAIM_SMS_SQLITE,
            Backend::Postgres => CLAIM_SMS_POSTGRES,
        }
    }
}

const CLAIM_SQLITE: &str = "UPDATE outbox SET lease_until = $2, attempts = attempts + 1
    WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1
                AND (lease_until IS NULL OR lease_until <= $1) ORDER BY created_at LIMIT 1)
      AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
    RETURNING id, to_addr, from_name, subject, body_text, body_html, created_at, attempts, status";

const CLAIM_POSTGRES: &str = "UPDATE outbox SET lease_until = $2, attempts = attempts + 1
    WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1
                AND (lease_until IS NULL OR lease_until <= $1) ORDER BY created_at LIMIT 1
                FOR UPDATE SKIP LOCKED)
      AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
    RETURNING id, to_addr, from_name, subject, body_text, body_html, created_at, attempts, status";

const CLAIM_SMS_SQLITE: &str = "UPDATE sms_outbox SET lease_until = $2, attempts = attempts + 1
    WHERE id = (SELECT id FROM sms_outbox WHERE status = 'pending' AND next_attempt_at <= $1
                AND (lease_until IS NULL OR lease_until <= $1) ORDER BY created_at LIMIT 1)
      AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
    RETURNING id, to_number, body, created_at, attempts, status";

const CLAIM_SMS_POSTGRES: &str = "UPDATE sms_outbox SET lease_until = $2, attempts = attempts + 1
    WHERE id = (SELECT id FROM sms_outbox WHERE status = 'pending' AND next_attempt_at <= $1
                AND (lease_until IS NULL OR lease_until <= $1) ORDER BY created_at LIMIT 1
                FOR UPDATE SKIP LOCKED)
      AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
    RETURNING id, to_number, body, created_at, attempts, status";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://localhost/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://localhost/db").unwrap(),
            Backend::Postgres
        );
        let err = Backend::from_url("mysql://localhost/db")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"mysql\"") && err.contains("sqlite:") && err.contains("postgres:"),
            "{err}"
        );
    }

    #[test]
    fn an_in_memory_database_is_refused() {
        for url in ["sqlite::memory:", "sqlite://x.db?mode=memory&cache=shared"] {
            let err = Backend::Sqlite.check_shared(url).unwrap_err().to_string();
            assert!(err.contains("give a file"), "{err}");
        }
        assert!(Backend::Sqlite.check_shared("sqlite://a.db").is_ok());
        assert!(
            Backend::Postgres
                .check_shared("postgres://localhost/memory")
                .is_ok()
        );
    }

    #[test]
    fn a_database_elsewhere_must_prove_who_it_is() {
        let pg = Backend::Postgres;
        for url in [
            "postgres://spreekuur:geheim@db.internal/spreekuur",
            "postgres://db.internal/spreekuur?sslmode=require",
            "postgres://10.0.0.5:5432/spreekuur?sslmode=verify-ca",
            "postgres://db.internal/spreekuur?sslmode=disable",
        ] {
            assert!(pg.unverified_transport(url), "{url}");
        }
        for url in [
            "postgres://db.internal/spreekuur?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://postgres@127.0.0.1:5432/spreekuur",
            "postgres://localhost/spreekuur",
            "postgres://spreekuur@localhost/spreekuur?host=/var/run/postgresql",
        ] {
            assert!(!pg.unverified_transport(url), "{url}");
        }
        assert!(!Backend::Sqlite.unverified_transport("sqlite://a.db"));
    }

    #[test]
    fn sqlite_files_are_created_when_missing() {
        assert_eq!(
            Backend::Sqlite.normalise_url("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            Backend::Sqlite.normalise_url("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}
