//! Veilig mailen's use cases (`domain::secure_mail`) on the real store, SQLite and PostgreSQL:
//! a generated access code shown once; the link alone opens nothing; wrong codes counted and
//! locked (even the right code waits out the lock); a guest session is for one copy; answers
//! both ways, each staff answer with a new link per recipient.

use spreekuur_domain::Error;
use spreekuur_domain::ports::SecureMailStore;
use spreekuur_domain::secure_mail::guest::{self, Guest, Landing};
use spreekuur_domain::secure_mail::send::{self, ComposeError, ComposeForm, Rules, Sending};
use spreekuur_domain::secure_mail::{RecipientForm, reply};

use crate::world::{NOW, World};

/// The link in the newest notification to `to`.
async fn link_to(w: &World, to: &str) -> String {
    use spreekuur_domain::ports::OutboxStore;
    let mails = w.db.outbox_recent(50).await.unwrap();
    let mail = mails
        .iter()
        .find(|m| m.mail.to.as_str() == to)
        .expect("a notification");
    let at = mail.mail.text.find("/m/").expect("a link");
    mail.mail.text[at + 3..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

async fn secure_mail_journey(w: World) {
    let anna = w.provider().await;
    let sending = |now| Sending {
        store: &*w.db,
        tokens: &w.tokens,
        letters: w.letters(),
        now,
        client: "203.0.113.9",
        rules: Rules::default(),
    };
    let row = |email, method, access_code| RecipientForm {
        email,
        method,
        access_code,
        ..RecipientForm::default()
    };
    // A form with broken rules stores nothing.
    let bad = ComposeForm {
        subject: "Uitslag\r\nBcc: x@example.test",
        text: "",
        recipients: vec![row("jan@example.test", "access_code", "kort")],
        lang: "nl",
        ..ComposeForm::default()
    };
    match send::send(sending(NOW), &anna, &[], &bad).await {
        Err(ComposeError::Fields { form, rows }) => {
            assert_eq!(form.len(), 2, "subject and text");
            assert_eq!(rows.len(), 1, "the access code");
        }
        other => panic!("{other:?}"),
    }
    assert!(w.db.secure_mails_for(&anna.id).await.unwrap().is_empty());

    let form = ComposeForm {
        subject: "Uitslag bloedonderzoek",
        text: "Uw uitslag is goed.",
        recipients: vec![
            row("jan@example.test", "access_code", ""),
            row("marie@example.test", "access_code", "geboorte 1951"),
        ],
        lang: "nl",
        ..ComposeForm::default()
    };
    let sent = send::send(sending(NOW), &anna, &[], &form).await.unwrap();
    assert_eq!(sent.codes.len(), 1, "only the generated code is shown");
    assert_eq!(sent.codes[0].0.as_str(), "jan@example.test");
    let code = sent.codes[0].1.to_string();

    let g = |now| Guest {
        store: &*w.db,
        throttles: &*w.db,
        tokens: &w.tokens,
        now,
        client: "198.51.100.7",
    };
    assert!(matches!(
        guest::land(g(NOW), "made-up").await,
        Err(Error::NotFound)
    ));
    let jan_link = link_to(&w, "jan@example.test").await;
    let marie_link = link_to(&w, "marie@example.test").await;
    let Landing::Open(jan) = guest::land(g(NOW), &jan_link).await.unwrap() else {
        panic!("open")
    };
    // Marie's code does not open Jan's copy; five wrong codes lock it for 15 minutes.
    for _ in 0..4 {
        assert!(matches!(
            guest::enter_access_code(g(NOW), &jan, "GEBOORTE1951").await,
            Err(Error::BadCredentials)
        ));
    }
    match guest::enter_access_code(g(NOW), &jan, "nog-fout").await {
        Err(Error::RateLimited { wait_secs, .. }) => assert_eq!(wait_secs, 900),
        other => panic!("{other:?}"),
    }
    // While locked, even the right code waits.
    let Landing::Open(jan) = guest::land(g(NOW), &jan_link).await.unwrap() else {
        panic!("open")
    };
    assert!(matches!(
        guest::enter_access_code(g(NOW), &jan, &code).await,
        Err(Error::RateLimited { .. })
    ));
    // After the lock: the code as read aloud opens it.
    let later = NOW.plus_seconds(901);
    let session = guest::enter_access_code(g(later), &jan, &code.to_lowercase().replace('-', " "))
        .await
        .unwrap();
    assert!(
        guest::session_on(g(later), Some(session.token.as_str()), &jan.id)
            .await
            .unwrap()
    );
    // The session is for Jan's copy only.
    let Landing::Open(marie) = guest::land(g(later), &marie_link).await.unwrap() else {
        panic!("open")
    };
    assert!(
        !guest::session_on(g(later), Some(session.token.as_str()), &marie.id)
            .await
            .unwrap()
    );

    // Jan answers; Anna answers back and both get a new link to the same thread.
    reply::guest_reply(&*w.db, later, "198.51.100.7", &jan.mail, &jan.id, "Dank u!")
        .await
        .unwrap();
    assert!(matches!(
        reply::guest_reply(&*w.db, later, "198.51.100.7", &jan.mail, &jan.id, "  ").await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(w.db.secure_mails_for(&anna.id).await.unwrap()[0].unread, 1);
    let answering = reply::Answering {
        store: &*w.db,
        tokens: &w.tokens,
        letters: w.letters(),
        now: later,
        client: "203.0.113.9",
        lang: "nl",
        subject_in_notice: false,
    };
    reply::staff_reply(answering, &anna, &[], &jan.mail, "Graag gedaan.")
        .await
        .unwrap();
    let new_link = link_to(&w, "jan@example.test").await;
    assert_ne!(new_link, jan_link);
    let Landing::Open(again) = guest::land(g(later), &new_link).await.unwrap() else {
        panic!("open")
    };
    assert_eq!(again.id, jan.id);
    let thread = w.db.thread(&jan.mail).await.unwrap().unwrap();
    let texts: Vec<&str> = thread.posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["Uw uitslag is goed.", "Dank u!", "Graag gedaan."]);
    // Guessing across many links from one address: twenty wrong codes spread over five copies
    // (none of them locked), and the address must wait, on any link.
    let many = ComposeForm {
        recipients: (1..=5)
            .map(|i| RecipientForm {
                email: [
                    "a@example.test",
                    "b@example.test",
                    "c@example.test",
                    "d@example.test",
                    "e@example.test",
                ][i - 1],
                method: "access_code",
                ..RecipientForm::default()
            })
            .collect(),
        ..form.clone()
    };
    send::send(sending(later), &anna, &[], &many).await.unwrap();
    let guesser = |now| Guest {
        client: "192.0.2.50",
        ..g(now)
    };
    let mut copies = Vec::new();
    for to in [
        "a@example.test",
        "b@example.test",
        "c@example.test",
        "d@example.test",
        "e@example.test",
    ] {
        let Landing::Open(c) = guest::land(g(later), &link_to(&w, to).await).await.unwrap() else {
            panic!("open")
        };
        copies.push(c);
    }
    for c in &copies {
        for _ in 0..4 {
            assert!(matches!(
                guest::enter_access_code(guesser(later), c, "AAAABBBB").await,
                Err(Error::BadCredentials)
            ));
        }
    }
    assert!(matches!(
        guest::enter_access_code(guesser(later), &copies[0], "AAAABBBB").await,
        Err(Error::RateLimited { .. })
    ));
    // Another address is not held up by it.
    assert!(matches!(
        guest::enter_access_code(g(later), &copies[0], "AAAABBBB").await,
        Err(Error::BadCredentials)
    ));

    // After the expiry (30 days) the link says so and nobody answers.
    let expired = NOW.plus_days(31);
    assert!(matches!(
        guest::land(g(expired), &new_link).await.unwrap(),
        Landing::Expired
    ));
    assert!(matches!(
        reply::guest_reply(
            &*w.db,
            expired,
            "198.51.100.7",
            &jan.mail,
            &jan.id,
            "Nog iets"
        )
        .await,
        Err(Error::Expired)
    ));
    w.finish().await;
}

#[tokio::test]
async fn secure_mail_on_sqlite() {
    secure_mail_journey(World::sqlite().await).await;
}

#[tokio::test]
async fn secure_mail_on_postgres() {
    secure_mail_journey(World::postgres().await).await;
}
