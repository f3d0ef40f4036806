use std::sync::Arc;

use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::invitation::{NewInvitation, State};
use spreekuur_domain::ports::*;
use spreekuur_domain::{Error, UserId};
use spreekuur_store::Db;

use crate::contract;
use crate::support::*;

async fn invite(db: &Db, provider: &UserId, token: u8, note: &str) -> NewInvitation {
    let inv = NewInvitation::parse(
        provider.clone(),
        "Jan",
        "Janssen",
        "jan@example.nl",
        note,
        "nl",
        vec![token; 32],
        NOW,
        14,
    )
    .unwrap();
    let rec = AuditRecord::new(NOW, Action::InvitationCreated, "t")
        .actor(provider)
        .object(&inv.id);
    db.create_invitation(&inv, &mail("jan@example.nl", "https://x/i/secret"), &[rec])
        .await
        .unwrap();
    inv
}

async fn account(db: &Db, id: &UserId) -> Account {
    db.account(id).await.unwrap().unwrap()
}

contract!(
    an_invitation_is_stored_with_its_mail_and_a_sealed_note,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            let inv = invite(&db, &provider, 1, "Welkom bij de praktijk, groet Anna").await;
            assert_eq!(db.outbox_depth().await.unwrap(), 1);
            let found = db.invitation_by_token(&[1; 32]).await.unwrap().unwrap();
            assert_eq!(
                found.note.as_deref(),
                Some("Welkom bij de praktijk, groet Anna")
            );
            assert_eq!(found.inviter_name, "Anna Tester");
            assert_eq!(found.state(NOW), State::Sent);
            // At rest the note is ciphertext.
            let raw = db
                .danger_read_blob(
                    "SELECT note FROM invitations WHERE id = $1",
                    inv.id.as_str(),
                )
                .await
                .unwrap()
                .unwrap();
            assert!(!String::from_utf8_lossy(&raw).contains("Welkom"));
            // Copied to another invitation's row, it no longer opens.
            let other = invite(&db, &provider, 2, "Tweede").await;
            let copy = format!(
                "UPDATE invitations SET note = (SELECT note FROM invitations WHERE id = '{}') WHERE id = '{}'",
                inv.id, other.id
            );
            db.danger_execute(&copy).await.unwrap();
            assert!(db.invitation(&other.id).await.is_err());
            assert!(db.invitation(&inv.id).await.unwrap().is_some());
        }
    }
);

contract!(
    a_failed_invitation_leaves_no_mail_and_no_audit_record,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            practice_with_provider(&db).await;
            let before = db.verify_audit_chain().await.unwrap().records;
            // The inviter does not exist: the invitation insert fails after the outbox row was written.
            let ghost = UserId::new();
            let inv = NewInvitation::parse(
                ghost.clone(),
                "Jan",
                "J",
                "jan@example.nl",
                "",
                "nl",
                vec![1; 32],
                NOW,
                14,
            )
            .unwrap();
            let rec = AuditRecord::new(NOW, Action::InvitationCreated, "t").actor(&ghost);
            assert!(
                db.create_invitation(&inv, &mail("jan@example.nl", "x"), &[rec])
                    .await
                    .is_err()
            );
            assert_eq!(db.outbox_depth().await.unwrap(), 0);
            assert!(db.claim_outbox(NOW, 1000).await.unwrap().is_none());
            assert_eq!(db.verify_audit_chain().await.unwrap().records, before);
        }
    }
);

contract!(
    accepting_creates_one_account_and_the_conversation_with_the_note,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            invite(
                &db,
                &provider,
                1,
                "Hallo Jan, hier kunt u mij berichten sturen.",
            )
            .await;
            // Two simultaneous submissions of the same link.
            let tasks: Vec<_> = (0..2)
                .map(|i| {
                    let db = Arc::clone(&db);
                    tokio::spawn(async move {
                        let mut a = new_account(Role::Patient, "ignored@evil.example", "Jan");
                        a.username = Some(format!("jan{i}"));
                        db.accept_with_new_account(&[1; 32], NOW.plus_seconds(5), &a, "t")
                            .await
                    })
                })
                .collect();
            let mut accepted = Vec::new();
            for t in tasks {
                match t.await.unwrap() {
                    Ok(v) => accepted.push(v),
                    Err(Error::Used) => {}
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
            assert_eq!(accepted.len(), 1, "exactly one account");
            let (patient, conv) = accepted.pop().unwrap();
            let p = account(&db, &patient).await;
            assert_eq!(
                p.email.as_str(),
                "jan@example.nl",
                "the invited address, not the posted one"
            );
            assert_eq!(p.role, Role::Patient);
            let list = db.conversations_for(&patient).await.unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].title, "Anna Tester");
            let msgs = db
                .read_conversation(&conv, &p, "t", NOW, ALL)
                .await
                .unwrap()
                .messages;
            assert_eq!(msgs.len(), 1);
            assert_eq!(msgs[0].body, "Hallo Jan, hier kunt u mij berichten sturen.");
            assert_eq!((msgs[0].seq, msgs[0].sender.clone()), (1, provider.clone()));
            // The provider sees it too, and that read is audited with the patient's id.
            let prov = account(&db, &provider).await;
            assert_eq!(
                db.conversations_for(&provider).await.unwrap()[0].title,
                "Jan Tester"
            );
            db.read_conversation(&conv, &prov, "10.1.1.1", NOW, ALL)
                .await
                .unwrap();
            let last = &db.audit_recent(1).await.unwrap()[0];
            assert_eq!(
                (last.action.as_str(), last.patient.as_deref()),
                ("conversation.read", Some(patient.as_str()))
            );
            let inv = db.invitation_by_token(&[1; 32]).await.unwrap().unwrap();
            assert_eq!(
                (inv.stored_state, inv.account.clone()),
                (State::Accepted, Some(patient.clone()))
            );
            // Someone else's conversation is "not found", as is a made-up id.
            let stranger = new_account(Role::Patient, "piet@example.nl", "Piet");
            db.create_account(
                &stranger,
                None,
                None,
                &AuditRecord::new(NOW, Action::Registered, "t"),
            )
            .await
            .unwrap();
            let stranger = account(&db, &stranger.id).await;
            assert!(matches!(
                db.read_conversation(&conv, &stranger, "t", NOW, ALL).await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.post_message(&conv, &stranger, "hoi", None, NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            let posted = db
                .post_message(&conv, &p, "Dank u wel!", None, NOW.plus_seconds(9), "t")
                .await
                .unwrap();
            assert_eq!(posted.message.seq, 2);
            assert!(matches!(
                db.post_message(&conv, &p, "   ", None, NOW, "t").await,
                Err(Error::Invalid { .. })
            ));
            assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, None);
        }
    }
);

contract!(
    answered_withdrawn_and_expired_links_say_so,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            let later = NOW.plus_seconds(60);
            let patient = || new_account(Role::Patient, "jan@example.nl", "Jan");
            let rec = AuditRecord::new(later, Action::InvitationDeclined, "t");
            // Declined, then any answer is refused.
            invite(&db, &provider, 1, "").await;
            db.decline_invitation(&[1; 32], later, &rec).await.unwrap();
            assert!(matches!(
                db.decline_invitation(&[1; 32], later, &rec).await,
                Err(Error::Used)
            ));
            assert!(matches!(
                db.accept_with_new_account(&[1; 32], later, &patient(), "t")
                    .await,
                Err(Error::Used)
            ));
            // Withdrawn.
            let w = invite(&db, &provider, 2, "").await;
            db.withdraw_invitation(&w.id, later, &rec).await.unwrap();
            assert!(matches!(
                db.withdraw_invitation(&w.id, later, &rec).await,
                Err(Error::Conflict(_))
            ));
            assert!(matches!(
                db.accept_with_new_account(&[2; 32], later, &patient(), "t")
                    .await,
                Err(Error::Used)
            ));
            // Expired after 14 days; unknown links are not found.
            invite(&db, &provider, 3, "").await;
            let too_late = NOW.plus_days(14);
            assert!(matches!(
                db.accept_with_new_account(&[3; 32], too_late, &patient(), "t")
                    .await,
                Err(Error::Expired)
            ));
            assert!(matches!(
                db.accept_with_new_account(&[4; 32], later, &patient(), "t")
                    .await,
                Err(Error::NotFound)
            ));
            let states: Vec<_> = db
                .list_invitations()
                .await
                .unwrap()
                .iter()
                .map(|i| i.state(too_late))
                .collect();
            assert_eq!(states.len(), 3);
            assert!(
                states.contains(&State::Declined)
                    && states.contains(&State::Withdrawn)
                    && states.contains(&State::Expired)
            );
        }
    }
);

contract!(resending_replaces_the_link, |db: &TestDb| {
    let db = db.db.clone();
    async move {
        let provider = practice_with_provider(&db).await;
        let inv = invite(&db, &provider, 1, "").await;
        db.mark_opened(
            &inv.id,
            NOW,
            &AuditRecord::new(NOW, Action::InvitationOpened, "t"),
        )
        .await
        .unwrap();
        assert_eq!(
            db.invitation(&inv.id).await.unwrap().unwrap().stored_state,
            State::Opened
        );
        let at = NOW.plus_days(20);
        db.resend_invitation(
            &inv.id,
            &[9; 32],
            at,
            at.plus_days(14),
            &mail("jan@example.nl", "nieuw"),
            &AuditRecord::new(at, Action::InvitationResent, "t"),
        )
        .await
        .unwrap();
        assert!(
            db.invitation_by_token(&[1; 32]).await.unwrap().is_none(),
            "the old link stops working"
        );
        let again = db.invitation_by_token(&[9; 32]).await.unwrap().unwrap();
        assert_eq!(again.state(at), State::Sent);
        assert_eq!(db.outbox_depth().await.unwrap(), 2);
        let (patient, _) = db
            .accept_with_new_account(
                &[9; 32],
                at.plus_seconds(1),
                &new_account(Role::Patient, "jan@example.nl", "Jan"),
                "t",
            )
            .await
            .unwrap();
        // Accepting a second invitation with an existing account reuses the conversation.
        let second = NewInvitation::parse(
            provider.clone(),
            "Jan",
            "Janssen",
            "jan@example.nl",
            "Nog een",
            "nl",
            vec![5; 32],
            at,
            14,
        )
        .unwrap();
        db.create_invitation(&second, &mail("jan@example.nl", "x"), &[])
            .await
            .unwrap();
        let conv = db
            .accept_with_existing_account(&[5; 32], at.plus_seconds(2), &patient, "t")
            .await
            .unwrap();
        assert_eq!(db.conversations_for(&patient).await.unwrap().len(), 1);
        let p = db.account(&patient).await.unwrap().unwrap();
        assert_eq!(
            db.read_conversation(&conv, &p, "t", at, ALL)
                .await
                .unwrap()
                .messages
                .last()
                .unwrap()
                .body,
            "Nog een"
        );
    }
});
