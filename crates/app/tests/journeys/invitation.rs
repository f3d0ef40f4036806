//! The invitation journey's use cases (`domain::invitation`, `domain::account::create_staff`)
//! on the real store, SQLite and PostgreSQL, with the real token hasher and the catalogue's
//! e-mails: single use, a resend voiding the old link, answers racing each other, expiry and
//! withdrawal. The pages and the API are thin callers of these functions; Chromium tests
//! cover them.

use std::sync::atomic::Ordering;

use spreekuur_domain::account::{Account, NewAccount, Role};
use spreekuur_domain::invitation::{self, Answering, Channel, InviteForm, Sending, State};
use spreekuur_domain::ports::{AccountStore, InvitationStore, OutboxStore};
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_domain::{Error, FormError, Timestamp, UserId};

use crate::world::{NOW, URL, World};

impl World {
    fn sending<'a>(&'a self, now: Timestamp) -> Sending<'a> {
        Sending {
            store: &*self.db,
            tokens: &self.tokens,
            letters: self.letters(),
            valid_days: 14,
            now,
            client: "192.0.2.1",
        }
    }

    fn answering<'a>(&'a self, now: Timestamp) -> Answering<'a> {
        Answering {
            store: &*self.db,
            tokens: &self.tokens,
            live: &*self.live,
            now,
            client: "198.51.100.7",
        }
    }

    /// The token in the newest e-mail's link `{URL}/i/{token}` to `to`.
    async fn link_token(&self, to: &str) -> String {
        let items = self.db.outbox_recent(50).await.unwrap();
        let item = items
            .iter()
            .filter(|i| i.mail.to.as_str() == to)
            .max_by_key(|i| (i.created_at, i.id.to_string()))
            .expect("an e-mail to the invitee");
        let start = item.mail.text.find(&format!("{URL}/i/")).expect("a link") + URL.len() + 3;
        item.mail.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }
}

fn patient_account(email: &str) -> NewAccount {
    NewAccount {
        id: UserId::new(),
        role: Role::Patient,
        email: EmailAddress::parse(email).unwrap(),
        username: None,
        first_name: PersonName::parse("first_name", "Jan").unwrap(),
        last_name: PersonName::parse("last_name", "Janssen").unwrap(),
        password_hash: Some("$argon2id$not-a-real-hash".into()),
        lang: "nl".into(),
    }
}

const JAN: InviteForm<'static> = InviteForm {
    first_name: "Jan",
    last_name: "Janssen",
    email: "jan@example.test",
    note: "Hallo Jan, hier kunt u mij berichten sturen.",
    lang: "nl",
};

async fn invitation_journey(w: World) {
    let anna = w.provider().await;

    // A form with broken rules names every field and stores nothing.
    let bad = InviteForm {
        first_name: " ",
        email: "geen-adres",
        ..JAN
    };
    match invitation::invite(w.sending(NOW), &anna, &bad, Channel::Page).await {
        Err(FormError::Fields(errs)) => {
            let fields: Vec<_> = errs
                .iter()
                .map(|e| match e {
                    Error::Invalid { field, .. } => *field,
                    other => panic!("not a field error: {other:?}"),
                })
                .collect();
            assert_eq!(fields, ["first_name", "email"]);
        }
        other => panic!("refused with its fields, got {other:?}"),
    }
    assert!(w.db.list_invitations().await.unwrap().is_empty());

    // Only staff invite.
    let patient =
        w.db.account_for_login("anna@delinde.test")
            .await
            .unwrap()
            .map(|(a, _)| Account {
                role: Role::Patient,
                ..a
            })
            .unwrap();
    assert!(matches!(
        invitation::invite(w.sending(NOW), &patient, &JAN, Channel::Page).await,
        Err(FormError::Failed(Error::Forbidden))
    ));

    // Invite: stored, the e-mail queued (and the bell rung after the commit), the link works.
    let rings = w.bell.0.load(Ordering::SeqCst);
    let inv = invitation::invite(w.sending(NOW), &anna, &JAN, Channel::Page)
        .await
        .unwrap();
    assert_eq!(w.bell.0.load(Ordering::SeqCst), rings + 1);
    let first = w.link_token("jan@example.test").await;
    let found = invitation::lookup(&*w.db, &w.tokens, &first)
        .await
        .unwrap()
        .expect("the link finds the invitation");
    assert_eq!(found.id, inv.id);
    invitation::open(w.answering(NOW), &found).await.unwrap();
    assert_eq!(
        w.db.invitation(&inv.id).await.unwrap().unwrap().state(NOW),
        State::Opened
    );

    // Send again: a new link; the old one finds nothing any more.
    let later = NOW.plus_seconds(60);
    invitation::resend(w.sending(later), &anna.id, &inv.id)
        .await
        .unwrap();
    let second = w.link_token("jan@example.test").await;
    assert_ne!(first, second);
    assert!(
        invitation::lookup(&*w.db, &w.tokens, &first)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        invitation::accept(
            w.answering(later),
            &first,
            &patient_account("jan@example.test")
        )
        .await,
        Err(Error::NotFound | Error::Used)
    ));

    // Two answers at once (two tabs, two nodes): exactly one account, the other is told the
    // link was used.
    let (tab1, tab2) = (
        patient_account("jan@example.test"),
        patient_account("jan@example.test"),
    );
    let (a, b) = tokio::join!(
        invitation::accept(w.answering(later), &second, &tab1),
        invitation::accept(w.answering(later), &second, &tab2),
    );
    let (won, lost) = match (a, b) {
        (Ok(v), Err(e)) | (Err(e), Ok(v)) => (v, e),
        other => panic!("one winner, got {other:?}"),
    };
    assert!(matches!(lost, Error::Used), "the loser: {lost:?}");
    let (jan, _conversation) = won;
    assert_eq!(
        w.db.account(&jan).await.unwrap().unwrap().email.as_str(),
        "jan@example.test"
    );
    // Used means used: no decline, no withdrawal, no resend afterwards.
    assert!(matches!(
        invitation::decline(w.answering(later), &second).await,
        Err(Error::Used | Error::NotFound)
    ));
    assert!(matches!(
        invitation::withdraw(&*w.db, &anna.id, &inv.id, later, "t").await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        invitation::resend(w.sending(later), &anna.id, &inv.id).await,
        Err(Error::Conflict(_))
    ));

    // A withdrawn invitation's link stops working.
    let piet = InviteForm {
        first_name: "Piet",
        email: "piet@example.test",
        ..JAN
    };
    let inv2 = invitation::invite(w.sending(later), &anna, &piet, Channel::Api)
        .await
        .unwrap();
    let piet_link = w.link_token("piet@example.test").await;
    invitation::withdraw(&*w.db, &anna.id, &inv2.id, later, "t")
        .await
        .unwrap();
    assert!(matches!(
        invitation::accept(
            w.answering(later),
            &piet_link,
            &patient_account("piet@example.test")
        )
        .await,
        Err(Error::Used)
    ));

    // Past its validity a link is expired, and can be sent again.
    let kees = InviteForm {
        first_name: "Kees",
        email: "kees@example.test",
        ..JAN
    };
    let inv3 = invitation::invite(w.sending(later), &anna, &kees, Channel::Page)
        .await
        .unwrap();
    let kees_link = w.link_token("kees@example.test").await;
    let too_late = later.plus_days(15);
    assert!(matches!(
        invitation::accept(
            w.answering(too_late),
            &kees_link,
            &patient_account("kees@example.test")
        )
        .await,
        Err(Error::Expired)
    ));
    assert!(matches!(
        invitation::decline(w.answering(too_late), &kees_link).await,
        Err(Error::Expired)
    ));
    invitation::resend(w.sending(too_late), &anna.id, &inv3.id)
        .await
        .unwrap();
    let kees_new = w.link_token("kees@example.test").await;
    invitation::decline(w.answering(too_late), &kees_new)
        .await
        .unwrap();
    assert_eq!(
        w.db.invitation(&inv3.id)
            .await
            .unwrap()
            .unwrap()
            .state(too_late),
        State::Declined
    );
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invitations_on_sqlite() {
    invitation_journey(World::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invitations_on_postgres() {
    invitation_journey(World::postgres().await).await;
}
