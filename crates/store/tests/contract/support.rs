use std::sync::Arc;

use spreekuur_crypto::MasterKey;
use spreekuur_domain::account::{Account, NewAccount, Practice, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{self, Posted};
use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::ports::*;
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_domain::{ConversationId, Error, Timestamp, UserId};
use spreekuur_store::Db;
use sqlx::Connection;

/// A database for one test, removed when the test has passed (`finish`); a failed test's is
/// left for a look (SQLite: a `spreekuur-test-…` directory in the temp dir).
pub struct TestDb {
    pub db: Arc<Db>,
    drop_pg: Option<(String, String)>,
    /// The SQLite database's directory.
    sqlite_dir: Option<std::path::PathBuf>,
    /// How to open the same database again, as a second node would.
    url: String,
    master: String,
}

impl std::ops::Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("spreekuur-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/test.db", dir.display());
        let master = MasterKey::generate().unwrap();
        let db = Db::connect(&url, &master, 5).await.unwrap();
        Self {
            db: Arc::new(db),
            drop_pg: None,
            sqlite_dir: Some(dir),
            url,
            master: master.to_file_text().to_string(),
        }
    }

    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin_url = std::env::var("SPREEKUUR_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("spreekuur_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::AnyConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at SPREEKUUR_TEST_DATABASE_URL ({admin_url}) must answer: {e}")
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        let master = MasterKey::generate().unwrap();
        let db = Db::connect(&url, &master, 5).await.unwrap();
        Self {
            db: Arc::new(db),
            drop_pg: Some((admin_url, name)),
            sqlite_dir: None,
            url,
            master: master.to_file_text().to_string(),
        }
    }

    /// The same database opened again: another `spreekuur serve` process, with its own pool
    /// and message writer. Close it before `finish`.
    pub fn second_node(&self) -> impl Future<Output = Arc<Db>> + Send + use<> {
        let (url, master) = (self.url.clone(), self.master.clone());
        async move {
            let master = MasterKey::from_file_text(&master).unwrap();
            Arc::new(Db::connect(&url, &master, 5).await.unwrap())
        }
    }

    /// How many sessions hold a transaction open while idle (PostgreSQL; none on SQLite), when
    /// awaited: an idle message writer must not.
    pub fn open_transactions(&self) -> impl Future<Output = i64> + Send + use<> {
        let url = self.drop_pg.is_some().then(|| self.url.clone());
        async move {
            let Some(url) = url else { return 0 };
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
            n
        }
    }

    /// Cuts every connection to this PostgreSQL database, as a restart of the server would.
    pub async fn cut_connections(&self) {
        let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }

    /// Removes the database; call at the end of each test.
    pub async fn finish(self) {
        self.db.close().await;
        if let Some(dir) = &self.sqlite_dir {
            std::fs::remove_dir_all(dir).unwrap();
        }
        if let Some((admin_url, name)) = self.drop_pg {
            let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// Runs a test body against both backends.
#[macro_export]
macro_rules! contract {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::support::TestDb::sqlite().await;
                ($body)(&db).await;
                db.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::support::TestDb::postgres().await;
                ($body)(&db).await;
                db.finish().await;
            }
        }
    };
}

pub const NOW: Timestamp = Timestamp(1_780_000_000_000);

/// Enough to read every message a test writes.
pub const ALL: i64 = 10_000;

pub fn new_account(role: Role, email: &str, first: &str) -> NewAccount {
    NewAccount {
        id: UserId::new(),
        role,
        email: EmailAddress::parse(email).unwrap(),
        username: None,
        first_name: PersonName::parse("first_name", first).unwrap(),
        last_name: PersonName::parse("last_name", "Tester").unwrap(),
        password_hash: Some("$argon2id$not-a-real-hash".into()),
        lang: "nl".into(),
    }
}

pub fn mail(to: &str, text: &str) -> Outgoing {
    Outgoing {
        to: EmailAddress::parse(to).unwrap(),
        from_name: "Huisartsenpraktijk De Linde".into(),
        subject: "Uitnodiging".into(),
        text: text.into(),
        html: format!("<p>{text}</p>"),
    }
}

/// A practice with one provider; returns the provider's id.
pub async fn practice_with_provider(db: &Db) -> UserId {
    let hash = vec![7u8; 32];
    db.issue_link(
        &NewLinkToken {
            hash: hash.clone(),
            purpose: LinkPurpose::Setup,
            user: None,
            created_at: NOW,
            expires_at: NOW.plus_seconds(3600),
        },
        None,
        &AuditRecord::new(NOW, Action::PasswordLinkIssued, "cli"),
    )
    .await
    .unwrap();
    let admin = new_account(Role::Provider, "dokter@delinde.nl", "Anna");
    let practice = Practice {
        terms_text: "Voorwaarden".into(),
        privacy_text: "Privacy".into(),
        ..Practice::new(
            "Huisartsenpraktijk De Linde".into(),
            EmailAddress::parse("info@delinde.nl").unwrap(),
        )
    };
    db.redeem_setup(
        &hash,
        NOW,
        &practice,
        &admin,
        &[AuditRecord::new(NOW, Action::PracticeSetUp, "test").actor(&admin.id)],
    )
    .await
    .unwrap();
    admin.id
}

/// A stored account with this role (registered), for tests that need people.
pub async fn person(db: &Db, role: Role, email: &str, first: &str) -> UserId {
    let p = new_account(role, email, first);
    db.create_account(
        &p,
        None,
        None,
        &AuditRecord::new(NOW, Action::Registered, "t"),
    )
    .await
    .unwrap();
    p.id
}

/// A stored patient.
pub async fn patient(db: &Db, email: &str, first: &str) -> UserId {
    person(db, Role::Patient, email, first).await
}

/// Sends a chat message as the pages, the API and the socket do (`conversation::send`, through
/// the message writer), announced on a bus of its own that nobody hears.
pub trait Post {
    fn post_message(
        &self,
        id: &ConversationId,
        sender: &Account,
        body: &str,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> impl Future<Output = Result<Posted, Error>> + Send;
}

impl Post for Db {
    async fn post_message(
        &self,
        id: &ConversationId,
        sender: &Account,
        body: &str,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<Posted, Error> {
        let live = spreekuur_store::Live::local();
        let posting = conversation::Posting {
            writer: self,
            live: &*live,
            now,
            client,
        };
        conversation::send(posting, sender, id, body, client_id).await
    }
}
