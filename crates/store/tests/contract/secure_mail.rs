use std::sync::Arc;

use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;
use spreekuur_domain::secure_mail::code::access_code_lock_secs;
use spreekuur_domain::secure_mail::{
    Author, Line, MailState, Method, NewAuthor, NewCopy, NewPost, NewSecureMail, PhoneNumber,
    Status,
};
use spreekuur_domain::validate::EmailAddress;
use spreekuur_domain::{Error, RecipientId, SecureMailId, Timestamp, UserId};
use spreekuur_store::Db;

use crate::contract;
use crate::support::*;

pub(crate) fn copy(email: &str, link: u8, method: Method) -> NewCopy {
    NewCopy {
        id: RecipientId::new(),
        email: EmailAddress::parse(email).unwrap(),
        line: Line::To,
        method,
        phone: (method == Method::Sms).then(|| PhoneNumber::parse("06 12 34 56 78").unwrap()),
        access_code_hash: (method == Method::AccessCode).then(|| vec![9; 32]),
        link_hash: vec![link; 32],
        notice: mail(email, "Open bericht: https://spreekuur.test/m/token"),
    }
}

pub(crate) async fn send(
    db: &Db,
    sender: &UserId,
    copies: Vec<NewCopy>,
    expires: Option<Timestamp>,
) -> SecureMailId {
    let new = NewSecureMail {
        id: SecureMailId::new(),
        sender: sender.clone(),
        team: None,
        subject: "Uitslag bloedonderzoek".into(),
        text: "Beste mevrouw, uw uitslag is goed.".into(),
        created_at: NOW,
        expires_at: expires,
        lang: "nl".into(),
        copies,
    };
    let audit: Vec<AuditRecord> = new
        .copies
        .iter()
        .map(|c| {
            AuditRecord::new(NOW, Action::SecureMailSent, "t")
                .actor(sender)
                .object(&c.id)
        })
        .collect();
    db.create_secure_mail(&new, &audit).await.unwrap();
    new.id
}

pub(crate) fn rec(action: Action) -> AuditRecord {
    AuditRecord::new(NOW, action, "t")
}

contract!(
    a_secure_mail_is_stored_sealed_with_its_notifications,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            let id = send(
                &db,
                &sender,
                vec![
                    copy("jan@example.test", 1, Method::AccessCode),
                    copy("marie@example.test", 2, Method::Sms),
                ],
                Some(NOW.plus_days(30)),
            )
            .await;
            assert_eq!(db.outbox_depth().await.unwrap(), 2);
            let thread = db.thread(&id).await.unwrap().unwrap();
            assert_eq!(thread.subject.as_deref(), Some("Uitslag bloedonderzoek"));
            assert_eq!(thread.sender_name, "Anna Tester");
            assert_eq!(thread.posts.len(), 1);
            assert_eq!(thread.posts[0].text, "Beste mevrouw, uw uitslag is goed.");
            assert!(matches!(&thread.posts[0].author, Author::Staff { id, .. } if id == &sender));
            let emails: Vec<&str> = thread.copies.iter().map(|c| c.email.as_str()).collect();
            assert_eq!(emails, ["jan@example.test", "marie@example.test"]);
            assert_eq!(thread.copies[0].status, Status::Sent);
            assert_eq!(
                thread.copies[1].phone.as_ref().map(PhoneNumber::as_str),
                Some("+31612345678")
            );
            // Each link leads to its own copy; another link to nothing.
            let jan = db.copy_by_link(&[1; 32]).await.unwrap().unwrap();
            assert_eq!(jan.id, thread.copies[0].id);
            assert_eq!(jan.method, Method::AccessCode);
            assert_eq!(jan.sender_name, "Anna Tester");
            assert_eq!(jan.state(NOW), MailState::Open);
            assert_eq!(jan.state(NOW.plus_days(31)), MailState::Expired);
            assert!(db.copy_by_link(&[3; 32]).await.unwrap().is_none());
            // At rest: no subject, text, address or number in the clear.
            for (sql, row) in [
                (
                    "SELECT subject FROM secure_mails WHERE id = $1",
                    id.as_str(),
                ),
                (
                    "SELECT email FROM secure_mail_recipients WHERE id = $1",
                    jan.id.as_str(),
                ),
                (
                    "SELECT phone FROM secure_mail_recipients WHERE id = $1",
                    thread.copies[1].id.as_str(),
                ),
                (
                    "SELECT body FROM secure_mail_posts WHERE mail_id = $1",
                    id.as_str(),
                ),
            ] {
                let raw = db.danger_read_blob(sql, row).await.unwrap().unwrap();
                let raw = String::from_utf8_lossy(&raw);
                for clear in ["Uitslag", "uitslag", "jan@", "0612", "+3161"] {
                    assert!(!raw.contains(clear), "{sql}: {clear}");
                }
            }
            // The staff member's list.
            let list = db.secure_mails_for(&sender).await.unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].subject.as_deref(), Some("Uitslag bloedonderzoek"));
            assert_eq!(list[0].recipients.len(), 2);
            assert_eq!(list[0].unread, 0);
            let other = patient(&db, "piet@example.test", "Piet").await;
            assert!(db.secure_mails_for(&other).await.unwrap().is_empty());
        }
    }
);

contract!(
    wrong_access_codes_lock_the_copy_once_however_many_arrive_at_once,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            send(
                &db,
                &sender,
                vec![copy("jan@example.test", 1, Method::AccessCode)],
                None,
            )
            .await;
            let jan = db.copy_by_link(&[1; 32]).await.unwrap().unwrap();
            // Four wrong codes: no lock.
            for _ in 0..4 {
                let locked = db
                    .access_code_failed(
                        &jan.id,
                        NOW,
                        5,
                        access_code_lock_secs,
                        &rec(Action::SecureMailCodeRefused),
                    )
                    .await
                    .unwrap();
                assert_eq!(locked, None);
            }
            // Three at once: exactly one of them is the fifth and locks, for 15 minutes.
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let db = Arc::clone(&db);
                    let id = jan.id.clone();
                    tokio::spawn(async move {
                        db.access_code_failed(
                            &id,
                            NOW,
                            5,
                            access_code_lock_secs,
                            &rec(Action::SecureMailCodeRefused),
                        )
                        .await
                        .unwrap()
                    })
                })
                .collect();
            let mut locks = Vec::new();
            for t in tasks {
                locks.extend(t.await.unwrap());
            }
            assert_eq!(locks, [NOW.plus_seconds(900)]);
            let again = db.copy_by_link(&[1; 32]).await.unwrap().unwrap();
            assert_eq!(again.locked_until, Some(NOW.plus_seconds(900)));
            // Five more (two were counted after the lock): the second lock lasts twice as long.
            for i in 0..3 {
                let locked = db
                    .access_code_failed(
                        &jan.id,
                        NOW,
                        5,
                        access_code_lock_secs,
                        &rec(Action::SecureMailCodeRefused),
                    )
                    .await
                    .unwrap();
                assert_eq!(locked.is_some(), i == 2, "try {i}");
                if i == 2 {
                    assert_eq!(locked, Some(NOW.plus_seconds(1800)));
                }
            }
        }
    }
);

contract!(
    a_guest_session_is_on_one_copy_and_ends_when_idle_or_old,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            let id = send(
                &db,
                &sender,
                vec![copy("jan@example.test", 1, Method::AccessCode)],
                None,
            )
            .await;
            let jan = db.copy_by_link(&[1; 32]).await.unwrap().unwrap();
            db.access_code_failed(
                &jan.id,
                NOW,
                5,
                access_code_lock_secs,
                &rec(Action::SecureMailCodeRefused),
            )
            .await
            .unwrap();
            let end = NOW.plus_seconds(12 * 3600);
            db.open_copy(&jan.id, &[5; 32], NOW, end, &rec(Action::SecureMailOpened))
                .await
                .unwrap();
            let idle = 30 * 60 * 1000;
            assert_eq!(
                db.guest_session(&[5; 32], NOW, idle).await.unwrap(),
                Some(jan.id.clone())
            );
            assert_eq!(db.guest_session(&[6; 32], NOW, idle).await.unwrap(), None);
            // Used every 20 minutes it lives on, until its end.
            let mut t = NOW;
            for _ in 0..5 {
                t = t.plus_seconds(20 * 60);
                assert!(db.guest_session(&[5; 32], t, idle).await.unwrap().is_some());
            }
            // 31 minutes unused: gone.
            assert!(
                db.guest_session(&[5; 32], t.plus_seconds(31 * 60), idle)
                    .await
                    .unwrap()
                    .is_none()
            );
            // A new one, used now and then, still ends after 12 hours.
            db.open_copy(&jan.id, &[7; 32], NOW, end, &rec(Action::SecureMailOpened))
                .await
                .unwrap();
            let mut t = NOW;
            while t.plus_seconds(20 * 60) < end {
                t = t.plus_seconds(20 * 60);
                assert!(db.guest_session(&[7; 32], t, idle).await.unwrap().is_some());
            }
            assert!(
                db.guest_session(&[7; 32], end, idle)
                    .await
                    .unwrap()
                    .is_none()
            );
            let thread = db.thread(&id).await.unwrap().unwrap();
            assert_eq!(thread.copies[0].status, Status::Opened);
            assert_eq!(thread.copies[0].opened_at, Some(NOW));
        }
    }
);

contract!(
    answers_make_a_thread_unread_for_the_sender_and_new_links_for_the_guests,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            let id = send(
                &db,
                &sender,
                vec![copy("jan@example.test", 1, Method::AccessCode)],
                Some(NOW.plus_days(30)),
            )
            .await;
            let jan = db.copy_by_link(&[1; 32]).await.unwrap().unwrap();
            let at = NOW.plus_seconds(60);
            let guest_post = NewPost {
                mail: id.clone(),
                author: NewAuthor::Guest(jan.id.clone()),
                text: "Dank u, <script>alert(1)</script>".into(),
                at,
            };
            assert_eq!(
                db.post_secure_mail(&guest_post, &[], &rec(Action::SecureMailReplied))
                    .await
                    .unwrap(),
                2
            );
            let list = db.secure_mails_for(&sender).await.unwrap();
            assert_eq!(list[0].unread, 1);
            assert_eq!(list[0].last_activity, at);
            let thread = db.thread(&id).await.unwrap().unwrap();
            assert_eq!(thread.copies[0].status, Status::Replied);
            assert!(
                matches!(&thread.posts[1].author, Author::Guest { email, .. } if email.as_str() == "jan@example.test")
            );
            assert_eq!(thread.posts[1].text, "Dank u, <script>alert(1)</script>");
            // The sender answers: the answer is read by its writer, the guest gets a new link.
            let staff_post = NewPost {
                mail: id.clone(),
                author: NewAuthor::Staff(sender.clone()),
                text: "Graag gedaan.".into(),
                at,
            };
            let notice = (
                jan.id.clone(),
                vec![8; 32],
                mail("jan@example.test", "Open bericht"),
            );
            db.post_secure_mail(&staff_post, &[notice], &rec(Action::SecureMailReplied))
                .await
                .unwrap();
            assert_eq!(db.outbox_depth().await.unwrap(), 2);
            assert_eq!(db.copy_by_link(&[8; 32]).await.unwrap().unwrap().id, jan.id);
            assert_eq!(db.copy_by_link(&[1; 32]).await.unwrap().unwrap().id, jan.id);
            assert_eq!(db.secure_mails_for(&sender).await.unwrap()[0].unread, 0);
            // After the expiry nobody adds to it.
            let late = NewPost {
                at: NOW.plus_days(31),
                ..guest_post
            };
            assert!(matches!(
                db.post_secure_mail(&late, &[], &rec(Action::SecureMailReplied))
                    .await,
                Err(Error::Expired)
            ));
            // Withdrawn: refused as used.
            db.danger_execute(&format!(
                "UPDATE secure_mails SET revoked_at = 1 WHERE id = '{id}'"
            ))
            .await
            .unwrap();
            let after = NewPost { at, ..late };
            assert!(matches!(
                db.post_secure_mail(&after, &[], &rec(Action::SecureMailReplied))
                    .await,
                Err(Error::Used)
            ));
            assert_eq!(db.thread(&id).await.unwrap().unwrap().posts.len(), 3);
        }
    }
);

contract!(
    withdrawn_and_expired_messages_open_nothing_and_expiry_destroys_the_key,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            let kept = send(
                &db,
                &sender,
                vec![copy("a@example.test", 1, Method::AccessCode)],
                None,
            )
            .await;
            let short = send(
                &db,
                &sender,
                vec![copy("b@example.test", 2, Method::AccessCode)],
                Some(NOW.plus_days(1)),
            )
            .await;
            let b = db.copy_by_link(&[2; 32]).await.unwrap().unwrap();
            db.open_copy(
                &b.id,
                &[5; 32],
                NOW,
                NOW.plus_days(2),
                &rec(Action::SecureMailOpened),
            )
            .await
            .unwrap();
            // Nothing is due yet.
            assert_eq!(db.destroy_expired_secure_mails(NOW).await.unwrap(), 0);
            let later = NOW.plus_days(1);
            assert_eq!(db.destroy_expired_secure_mails(later).await.unwrap(), 1);
            assert_eq!(
                db.destroy_expired_secure_mails(later).await.unwrap(),
                0,
                "once"
            );
            let gone = db.thread(&short).await.unwrap().unwrap();
            assert_eq!(gone.subject, None);
            assert!(gone.posts.iter().all(|p| p.text.is_empty()));
            for sql in [
                "SELECT mail_key FROM secure_mails WHERE id = $1",
                "SELECT subject FROM secure_mails WHERE id = $1",
                "SELECT body FROM secure_mail_posts WHERE mail_id = $1",
            ] {
                assert_eq!(
                    db.danger_read_blob(sql, short.as_str()).await.unwrap(),
                    None,
                    "{sql}"
                );
            }
            // Its guest's session ended with it.
            assert!(
                db.guest_session(&[5; 32], NOW, 60_000)
                    .await
                    .unwrap()
                    .is_none()
            );
            // The other is untouched.
            let kept_thread = db.thread(&kept).await.unwrap().unwrap();
            assert_eq!(
                kept_thread.subject.as_deref(),
                Some("Uitslag bloedonderzoek")
            );
            // Withdrawn: the copy says so, and a second withdrawal changes nothing.
            db.revoke_secure_mail(&kept, NOW, &rec(Action::SecureMailRevoked))
                .await
                .unwrap();
            db.revoke_secure_mail(&kept, later, &rec(Action::SecureMailRevoked))
                .await
                .unwrap();
            let a = db.copy_by_link(&[1; 32]).await.unwrap().unwrap();
            assert_eq!(a.state(NOW), MailState::Revoked);
            assert_eq!(
                db.thread(&kept).await.unwrap().unwrap().revoked_at,
                Some(NOW)
            );
        }
    }
);
