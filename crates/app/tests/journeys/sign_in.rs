//! The sign-in state machine's use cases (`domain::auth::{sign_in, session_code, totp}`) on the
//! real store, SQLite and PostgreSQL, with the real token hasher, TOTP arithmetic and e-mails:
//! which step a sign-in waits on, a session code that opens once (also when two answers race),
//! a new code voiding the old one, wrong answers counted per account across sessions, and an
//! app code or backup code that works once. The pages are thin callers; Chromium covers them.

use spreekuur_crypto::totp::{Authenticator, TotpSecret};
use spreekuur_domain::Timestamp;
use spreekuur_domain::account::{Account, NewAccount, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::session_code::{self, CodeProblem, Entered};
use spreekuur_domain::auth::sign_in::{self, Proof, SigningIn};
use spreekuur_domain::auth::totp::{self, Answer};
use spreekuur_domain::ports::{
    AccountStore, OutboxStore, PendingStage, SessionCodeInfo, SessionCodeStore, SessionDevice,
    SessionStore, TotpStore,
};
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_mail::Catalogue;

use crate::world::{NOW, World};

const DEVICE: fn() -> SessionDevice = || SessionDevice {
    public_id: uuid::Uuid::new_v4().to_string(),
    user_agent: "journey".into(),
    client: "203.0.113.9".into(),
};

impl World {
    pub fn signing_in(&self, now: Timestamp) -> SigningIn<'_> {
        SigningIn {
            sessions: &*self.db,
            accounts: &*self.db,
            totp: &*self.db,
            passkeys: &*self.db,
            session_codes: &*self.db,
            throttles: &*self.db,
            audit: &*self.db,
            tokens: &self.tokens,
            authenticator: &Authenticator,
            composer: &Catalogue,
            bell: &self.bell,
            session_secs: 12 * 3600,
            now,
            client: "203.0.113.9",
        }
    }

    /// A patient of the practice (whose default second step is the e-mailed session code).
    async fn patient(&self) -> Account {
        let new = NewAccount {
            id: spreekuur_domain::UserId::new(),
            role: Role::Patient,
            email: EmailAddress::parse("piet@example.test").unwrap(),
            username: None,
            first_name: PersonName::parse("first_name", "Piet").unwrap(),
            last_name: PersonName::parse("last_name", "Post").unwrap(),
            password_hash: Some("$argon2id$not-a-real-hash".into()),
            lang: "nl".into(),
        };
        let rec = AuditRecord::new(NOW, Action::Registered, "203.0.113.9");
        self.db
            .create_account(&new, None, None, &rec)
            .await
            .unwrap();
        self.db.account(&new.id).await.unwrap().unwrap()
    }

    /// The six digits in the newest e-mail to `to`, with the number of e-mails to it.
    async fn mailed_code(&self, to: &str) -> (String, usize) {
        let items = self.db.outbox_recent(50).await.unwrap();
        let mine: Vec<_> = items.iter().filter(|i| i.mail.to.as_str() == to).collect();
        let newest = mine
            .iter()
            .max_by_key(|i| (i.created_at, i.id.to_string()))
            .expect("an e-mail with a code");
        let code = newest
            .mail
            .text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .expect("six digits in the e-mail")
            .to_string();
        (code, mine.len())
    }

    async fn waiting_code(&self, hash: &[u8], now: Timestamp) -> SessionCodeInfo {
        self.db
            .pending_session(hash, now)
            .await
            .unwrap()
            .and_then(|(_, c)| c)
            .expect("the sign-in waits on a code")
    }
}

async fn session_code_journey(w: World) {
    w.provider().await;
    let piet = w.patient().await;
    let s = w.signing_in(NOW);

    // The password opens nothing yet: the sign-in waits on the e-mailed code.
    let begun = sign_in::begin(&s, &piet, Proof::Password, &DEVICE(), "nl", "/messenger/x")
        .await
        .unwrap();
    assert_eq!(begun.waiting, Some(PendingStage::SessionCode));
    assert!(
        w.db.session_account(&begun.session.hash, NOW)
            .await
            .unwrap()
            .is_none()
    );
    let (first, mails) = w.mailed_code("piet@example.test").await;
    assert_eq!(mails, 1);
    let code = w.waiting_code(&begun.session.hash, NOW).await;

    // Another code within 30 seconds: refused, and no e-mail.
    let early = session_code::resend(&s, &begun.session.hash, &piet, Some(&code), "nl")
        .await
        .unwrap();
    assert_eq!(early, Err(NOW.plus_seconds(30)));
    assert_eq!(w.mailed_code("piet@example.test").await.1, 1);

    // After 30 seconds a new code comes; the old one no longer works.
    let later = NOW.plus_seconds(31);
    let s = w.signing_in(later);
    session_code::resend(&s, &begun.session.hash, &piet, Some(&code), "nl")
        .await
        .unwrap()
        .unwrap();
    let (second, mails) = w.mailed_code("piet@example.test").await;
    assert_eq!(mails, 2);
    match session_code::enter(&s, &begun.session.hash, &piet, &code, &first)
        .await
        .unwrap()
    {
        Entered::Refused {
            problem: CodeProblem::Voided,
            ..
        } => {}
        other => panic!("the old code is void, got {other:?}"),
    }

    // Pasted with spaces, the new code opens the sign-in at its place, under a new session id;
    // the old id opens nothing.
    let code = w.waiting_code(&begun.session.hash, later).await;
    let pasted = format!("{} {}", &second[..3], &second[3..]);
    let Entered::Open { next_path, session } =
        session_code::enter(&s, &begun.session.hash, &piet, &code, &pasted)
            .await
            .unwrap()
    else {
        panic!("the right code opens the sign-in");
    };
    assert_eq!(next_path, "/messenger/x");
    let session = session.expect("a new session id");
    assert!(
        w.db.session_account(&session.hash, later)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        w.db.session_account(&begun.session.hash, later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        w.db.pending_session(&begun.session.hash, later)
            .await
            .unwrap()
            .is_none()
    );

    // Two answers with the right code at once (two tabs, two nodes): exactly one opens.
    let racing = sign_in::begin(&s, &piet, Proof::Password, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    let (digits, _) = w.mailed_code("piet@example.test").await;
    let code = w.waiting_code(&racing.session.hash, later).await;
    let (a, b) = tokio::join!(
        session_code::enter(&s, &racing.session.hash, &piet, &code, &digits),
        session_code::enter(&s, &racing.session.hash, &piet, &code, &digits),
    );
    let opened = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|e| matches!(e, Entered::Open { .. }))
        .count();
    assert_eq!(opened, 1);

    // A link e-mailed to the account stands in for the code.
    let linked = sign_in::begin(&s, &piet, Proof::MailedLink, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    assert_eq!(linked.waiting, None);
    assert!(
        w.db.session_account(&linked.session.hash, later)
            .await
            .unwrap()
            .is_some()
    );
    w.finish().await;
}

async fn wrong_answers_journey(w: World) {
    w.provider().await;
    let piet = w.patient().await;
    let s = w.signing_in(NOW);

    // Wrong codes in two browsers count together: five are free (three in one, two in the
    // other); the sixth is still checked, and starts the wait.
    let one = sign_in::begin(&s, &piet, Proof::Password, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    let two = sign_in::begin(&s, &piet, Proof::Password, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    let (right, _) = w.mailed_code("piet@example.test").await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut outcomes = Vec::new();
    for hash in [&one.session.hash; 3]
        .into_iter()
        .chain([&two.session.hash; 3])
    {
        let code = w.waiting_code(hash, NOW).await;
        outcomes.push(
            session_code::enter(&s, hash, &piet, &code, wrong)
                .await
                .unwrap(),
        );
    }
    assert!(
        outcomes[..5].iter().all(|o| matches!(
            o,
            Entered::Refused {
                problem: CodeProblem::Incorrect { .. },
                blocked: None
            }
        )),
        "{outcomes:?}"
    );
    let Entered::Refused {
        blocked: Some(until),
        ..
    } = outcomes[5]
    else {
        panic!(
            "the sixth wrong answer blocks the account: {:?}",
            outcomes[5]
        );
    };
    assert!(until > NOW);

    // Now even the right code in the second browser waits until then, and opens nothing.
    let code = w.waiting_code(&two.session.hash, NOW).await;
    assert!(matches!(
        session_code::enter(&s, &two.session.hash, &piet, &code, &right)
            .await
            .unwrap(),
        Entered::Blocked(at) if at == until
    ));
    assert!(
        w.db.session_account(&two.session.hash, NOW)
            .await
            .unwrap()
            .is_none()
    );
    // Something that is not six digits is not an answer, and is not counted.
    assert!(matches!(
        session_code::enter(&s, &two.session.hash, &piet, &code, "12-34")
            .await
            .unwrap(),
        Entered::Unreadable
    ));
    w.finish().await;
}

async fn totp_journey(w: World) {
    let anna = w.provider().await;
    let s = w.signing_in(NOW);

    // Staff without an app or passkey first set one up (the practice's default).
    let begun = sign_in::begin(&s, &anna, Proof::Password, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    assert_eq!(begun.waiting, Some(PendingStage::Enrol));

    // Turned on with a first code: ten backup codes, shown once.
    let secret = TotpSecret::generate().unwrap();
    w.db.begin_totp(&anna.id, secret.as_bytes(), NOW)
        .await
        .unwrap();
    let step = NOW.millis() / 30_000;
    assert_eq!(totp::enable(&s, &anna, "000000x").await.unwrap(), None);
    let backup = totp::enable(&s, &anna, &secret.code_at_step(step, 6))
        .await
        .unwrap()
        .expect("the first code turns it on");
    assert_eq!(backup.len(), 10);
    assert!(
        backup
            .iter()
            .all(|c| c.len() == 9 && c.as_bytes()[4] == b'-')
    );

    // From now on the sign-in waits on the app, whatever the practice asks.
    let begun = sign_in::begin(&s, &anna, Proof::MailedLink, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    assert_eq!(begun.waiting, Some(PendingStage::SecondFactor));
    let hash = &begun.session.hash;

    // The code that turned it on was used: the same step is refused.
    assert!(matches!(
        totp::answer(&s, hash, &anna, &secret.code_at_step(step, 6))
            .await
            .unwrap(),
        Answer::Wrong
    ));
    // The next step's code opens the sign-in under a new id.
    let later = Timestamp(NOW.millis() + 30_000);
    let s = w.signing_in(later);
    let Answer::Open(session) = totp::answer(&s, hash, &anna, &secret.code_at_step(step + 1, 6))
        .await
        .unwrap()
    else {
        panic!("the next step's code opens the sign-in");
    };
    assert!(
        w.db.session_account(&session.hash, later)
            .await
            .unwrap()
            .is_some()
    );

    // A backup code, typed in capitals without its dash, works once.
    let again = sign_in::begin(&s, &anna, Proof::Password, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    let typed = backup[0].replace('-', "").to_uppercase();
    assert!(matches!(
        totp::answer(&s, &again.session.hash, &anna, &typed)
            .await
            .unwrap(),
        Answer::Open(_)
    ));
    let third = sign_in::begin(&s, &anna, Proof::Password, &DEVICE(), "nl", "/messenger")
        .await
        .unwrap();
    assert!(matches!(
        totp::answer(&s, &third.session.hash, &anna, &backup[0])
            .await
            .unwrap(),
        Answer::Wrong
    ));
    assert_eq!(
        w.db.totp(&anna.id)
            .await
            .unwrap()
            .unwrap()
            .backup_codes_left,
        9
    );

    // Off only with the password and a code; a refusal changes nothing.
    assert!(!totp::disable(&s, &anna, false, &backup[1]).await.unwrap());
    assert!(w.db.totp(&anna.id).await.unwrap().unwrap().enabled);
    assert!(totp::disable(&s, &anna, true, &backup[1]).await.unwrap());
    assert!(
        w.db.totp(&anna.id)
            .await
            .unwrap()
            .is_none_or(|r| !r.enabled)
    );
    w.finish().await;
}

#[tokio::test]
async fn session_codes_on_sqlite() {
    session_code_journey(World::sqlite().await).await;
}

#[tokio::test]
async fn session_codes_on_postgres() {
    session_code_journey(World::postgres().await).await;
}

#[tokio::test]
async fn wrong_answers_on_sqlite() {
    wrong_answers_journey(World::sqlite().await).await;
}

#[tokio::test]
async fn wrong_answers_on_postgres() {
    wrong_answers_journey(World::postgres().await).await;
}

#[tokio::test]
async fn authenticator_app_on_sqlite() {
    totp_journey(World::sqlite().await).await;
}

#[tokio::test]
async fn authenticator_app_on_postgres() {
    totp_journey(World::postgres().await).await;
}
