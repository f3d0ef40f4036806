//! The store a journey test runs on (SQLite in a temporary directory, or a fresh PostgreSQL
//! database that is dropped afterwards), with the real token hasher, the catalogue's e-mails
//! and a bell that counts its rings.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use spreekuur_crypto::{MasterKey, TokenHasher};
use spreekuur_domain::Timestamp;
use spreekuur_domain::account::{self, Account, Practice, Role, StaffForm};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::mail::{Letters, OutboxBell};
use spreekuur_domain::ports::AccountStore;
use spreekuur_domain::validate::EmailAddress;
use spreekuur_mail::Catalogue;
use spreekuur_store::{Db, Live};
use sqlx::Connection;

pub const NOW: Timestamp = Timestamp(1_780_000_000_000);
pub const URL: &str = "https://praktijk.example";

/// Counts the rings of the outbox bell: each queued e-mail rings once, after its commit.
#[derive(Default)]
pub struct Bell(pub AtomicUsize);

impl OutboxBell for Bell {
    fn ring(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct World {
    pub db: Arc<Db>,
    pub tokens: TokenHasher,
    pub live: Arc<Live>,
    pub bell: Bell,
    drop_pg: Option<(String, String)>,
    _dir: Option<crate::support::TmpDir>,
}

impl World {
    pub async fn sqlite() -> Self {
        let dir = crate::support::tmp_dir();
        let url = format!("sqlite://{}/test.db", dir.display());
        Self::open(&url, None, Some(dir)).await
    }

    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin = std::env::var("SPREEKUUR_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("spreekuur_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .expect("PostgreSQL at SPREEKUUR_TEST_DATABASE_URL answers");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Self::open(&url, Some((admin, name)), None).await
    }

    async fn open(
        url: &str,
        drop_pg: Option<(String, String)>,
        dir: Option<crate::support::TmpDir>,
    ) -> Self {
        let master = MasterKey::generate().unwrap();
        let db = Arc::new(Db::connect(url, &master, 5).await.unwrap());
        Self {
            db,
            tokens: TokenHasher::new(master.derive("token-hash")),
            live: Live::local(),
            bell: Bell::default(),
            drop_pg,
            _dir: dir,
        }
    }

    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.drop_pg {
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }

    pub fn letters(&self) -> Letters<'_> {
        Letters {
            composer: &Catalogue,
            practice: "Huisartsenpraktijk De Linde",
            public_url: URL,
            bell: &self.bell,
        }
    }

    /// The practice and a provider made through `create_staff`, as the command line does.
    pub async fn provider(&self) -> Account {
        let practice = Practice::new(
            "Huisartsenpraktijk De Linde".into(),
            EmailAddress::parse("info@delinde.test").unwrap(),
        );
        self.db
            .create_practice(
                &practice,
                NOW,
                &AuditRecord::new(NOW, Action::PracticeSetUp, "cli"),
            )
            .await
            .unwrap();
        let form = StaffForm {
            first_name: "Anna",
            last_name: "de Vries",
            email: "anna@delinde.test",
            role: Role::Provider,
            lang: "nl",
        };
        let made = account::create_staff(
            &*self.db,
            &self.tokens,
            self.letters(),
            None,
            &form,
            NOW,
            "cli",
        )
        .await
        .unwrap();
        assert!(made.link.starts_with(&format!("{URL}/password/")));
        self.db.account(&made.id).await.unwrap().unwrap()
    }
}
