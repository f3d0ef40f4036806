//! "Wachtwoord vergeten" and the password links (`domain::auth::password_reset`) on the real
//! store, SQLite and PostgreSQL, with real Argon2id: the same silence for unknown addresses,
//! one e-mail a minute, the five rules, a link that works once, and a reset that ends the
//! wait that guessing caused.

use async_trait::async_trait;
use spreekuur_crypto::PasswordHasher;
use spreekuur_domain::auth::login::{self, Checking, Outcome, PasswordCheck};
use spreekuur_domain::auth::password_reset::{self, Resetting};
use spreekuur_domain::error::Reason;
use spreekuur_domain::ports::{LinkPurpose, OutboxStore};
use spreekuur_domain::validate::EmailAddress;
use spreekuur_domain::{Error, FormError, Timestamp};

use crate::world::{NOW, URL, World};

struct Argon(PasswordHasher);

#[async_trait]
impl PasswordCheck for Argon {
    async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        match phc {
            Some(phc) => self.0.verify(password, phc),
            None => self.0.verify_dummy(password),
        }
    }
    async fn hash(&self, password: &str) -> Result<String, Error> {
        self.0
            .hash(password)
            .map_err(|e| Error::Internal(e.to_string()))
    }
}

impl World {
    fn resetting<'a>(&'a self, argon: &'a Argon, now: Timestamp) -> Resetting<'a> {
        Resetting {
            accounts: &*self.db,
            throttles: &*self.db,
            tokens: &self.tokens,
            passwords: argon,
            letters: self.letters(),
            now,
            client: "203.0.113.9",
        }
    }

    /// The password step as `client` at `now`.
    fn checking<'a>(&'a self, argon: &'a Argon, now: Timestamp, client: &'a str) -> Checking<'a> {
        Checking {
            accounts: &*self.db,
            throttles: &*self.db,
            audit: &*self.db,
            tokens: &self.tokens,
            passwords: argon,
            now,
            client,
        }
    }

    /// The e-mails to `to`, newest last.
    async fn mails_to(&self, to: &str) -> Vec<String> {
        let mut items: Vec<_> = self
            .db
            .outbox_recent(50)
            .await
            .unwrap()
            .into_iter()
            .filter(|i| i.mail.to.as_str() == to)
            .collect();
        items.sort_by_key(|i| (i.created_at, i.id.to_string()));
        items.into_iter().map(|i| i.mail.text).collect()
    }
}

async fn reset_journey(w: World) {
    let anna = w.provider().await;
    let argon = Argon(PasswordHasher::owasp().unwrap());
    let at = |secs: i64| Timestamp(NOW.millis() + secs * 1000);
    let before = w.mails_to("anna@delinde.test").await.len();

    // Wrong passwords make Anna wait (past the moment she sets a new one below).
    let mut last = None;
    for _ in 0..7 {
        let checking = w.checking(&argon, at(50), "203.0.113.9");
        last = Some(
            login::authenticate(checking, "anna@delinde.test", "Verkeerd-1!")
                .await
                .unwrap(),
        );
    }
    assert!(matches!(last, Some(Outcome::Blocked(until)) if until > at(61)));

    // An address without an account: nothing is sent, and nothing says so.
    let nobody = EmailAddress::parse("niemand@example.test").unwrap();
    password_reset::request(w.resetting(&argon, at(2)), &nobody, "nl")
        .await
        .unwrap();
    assert!(w.mails_to("niemand@example.test").await.is_empty());

    // Anna's address: one e-mail with a link; asking again within the minute sends nothing.
    let email = EmailAddress::parse("anna@delinde.test").unwrap();
    password_reset::request(w.resetting(&argon, at(2)), &email, "nl")
        .await
        .unwrap();
    password_reset::request(w.resetting(&argon, at(30)), &email, "nl")
        .await
        .unwrap();
    let mails = w.mails_to("anna@delinde.test").await;
    assert_eq!(mails.len(), before + 1);
    let prefix = format!("{URL}/reset-password/");
    let start = mails.last().unwrap().find(&prefix).expect("a reset link") + prefix.len();
    let token = mails.last().unwrap()[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let r = w.resetting(&argon, at(60));
    assert_eq!(
        password_reset::check_link(
            &*w.db,
            &w.tokens,
            at(60),
            LinkPurpose::PasswordReset,
            &token
        )
        .await
        .unwrap(),
        anna.id
    );

    // A password that breaks a rule, or a confirmation that differs, changes nothing.
    for (password, again, field) in [
        ("kort", "kort", "password"),
        (
            "Lindeboom-2026!",
            "Lindeboom-2025!",
            "password_confirmation",
        ),
    ] {
        match password_reset::set_password(
            r,
            LinkPurpose::PasswordReset,
            &token,
            password,
            again,
            "nl",
        )
        .await
        {
            Err(FormError::Fields(errs)) => {
                assert!(matches!(errs[..], [Error::Invalid { field: f, .. }] if f == field));
            }
            other => panic!("{password}/{again} is refused, got {other:?}"),
        }
    }

    // The new password: set once, a notice e-mailed, and the wait is over.
    let done = password_reset::set_password(
        r,
        LinkPurpose::PasswordReset,
        &token,
        "Lindeboom-2026!",
        "Lindeboom-2026!",
        "nl",
    )
    .await
    .unwrap();
    assert_eq!(done.id, anna.id);
    assert_eq!(w.mails_to("anna@delinde.test").await.len(), before + 2);
    let checking = w.checking(&argon, at(61), "198.51.100.20");
    assert!(matches!(
        login::authenticate(checking, "anna@delinde.test", "Lindeboom-2026!").await.unwrap(),
        Outcome::SignedIn(a) if a.id == anna.id
    ));

    // The link works once.
    match password_reset::set_password(
        w.resetting(&argon, at(62)),
        LinkPurpose::PasswordReset,
        &token,
        "Anders-2026!x",
        "Anders-2026!x",
        "nl",
    )
    .await
    {
        Err(FormError::Failed(Error::Invalid {
            reason: Reason::LinkUsed,
            ..
        })) => {}
        other => panic!("a used link is refused, got {other:?}"),
    }
    w.finish().await;
}

#[tokio::test]
async fn password_reset_on_sqlite() {
    reset_journey(World::sqlite().await).await;
}

#[tokio::test]
async fn password_reset_on_postgres() {
    reset_journey(World::postgres().await).await;
}
