use std::sync::Arc;

use spreekuur_domain::account::{Practice, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;
use spreekuur_domain::validate::EmailAddress;
use spreekuur_domain::{Error, UserId};

use crate::contract;
use crate::support::*;

contract!(
    setup_link_creates_the_practice_exactly_once,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            assert!(db.practice().await.unwrap().is_none());
            let hash = vec![1u8; 32];
            let link = NewLinkToken {
                hash: hash.clone(),
                purpose: LinkPurpose::Setup,
                user: None,
                created_at: NOW,
                expires_at: NOW.plus_seconds(3600),
            };
            db.issue_link(
                &link,
                None,
                &AuditRecord::new(NOW, Action::PasswordLinkIssued, "cli"),
            )
            .await
            .unwrap();
            let practice = Practice::new(
                "Praktijk".into(),
                EmailAddress::parse("p@example.nl").unwrap(),
            );
            // Two simultaneous submissions of the same link: exactly one practice and one admin.
            let tasks: Vec<_> = (0..2)
                .map(|i| {
                    let db = Arc::clone(&db);
                    let practice = practice.clone();
                    let hash = hash.clone();
                    tokio::spawn(async move {
                        let admin = new_account(Role::Admin, &format!("admin{i}@example.nl"), "Ad");
                        db.redeem_setup(&hash, NOW, &practice, &admin, &[]).await
                    })
                })
                .collect();
            let mut ok = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(()) => ok += 1,
                    Err(Error::Used) => {}
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
            assert_eq!(ok, 1);
            assert_eq!(db.staff_count().await.unwrap(), 1);
            assert_eq!(db.practice().await.unwrap().unwrap().name, "Praktijk");
            assert!(matches!(
                db.check_link(&hash, LinkPurpose::Setup, NOW).await,
                Err(Error::Used)
            ));
        }
    }
);

contract!(
    links_expire_and_newer_links_void_older_ones,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            let link = |b: u8, at| NewLinkToken {
                hash: vec![b; 32],
                purpose: LinkPurpose::SetPassword,
                user: Some(provider.clone()),
                created_at: at,
                expires_at: at.plus_seconds(3600),
            };
            let rec = AuditRecord::new(NOW, Action::PasswordLinkIssued, "cli");
            db.issue_link(&link(2, NOW), None, &rec).await.unwrap();
            assert_eq!(
                db.check_link(&[2; 32], LinkPurpose::SetPassword, NOW)
                    .await
                    .unwrap(),
                Some(provider.clone())
            );
            assert!(matches!(
                db.check_link(&[2; 32], LinkPurpose::SetPassword, NOW.plus_seconds(3600))
                    .await,
                Err(Error::Expired)
            ));
            assert!(
                matches!(
                    db.check_link(&[2; 32], LinkPurpose::Setup, NOW).await,
                    Err(Error::NotFound)
                ),
                "purpose is part of the key"
            );
            db.issue_link(&link(3, NOW.plus_seconds(10)), None, &rec)
                .await
                .unwrap();
            assert!(matches!(
                db.check_link(&[2; 32], LinkPurpose::SetPassword, NOW.plus_seconds(11))
                    .await,
                Err(Error::Used)
            ));
            let who = db
                .redeem_password_link(
                    &[3; 32],
                    LinkPurpose::SetPassword,
                    NOW.plus_seconds(12),
                    "$argon2id$new",
                    None,
                    AuditRecord::new(NOW, Action::PasswordSet, "t"),
                )
                .await
                .unwrap();
            assert_eq!(who, provider);
            let (_, hash) = db
                .account_for_login("DOKTER@delinde.nl ")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(hash.as_deref(), Some("$argon2id$new"));
            assert!(matches!(
                db.redeem_password_link(
                    &[3; 32],
                    LinkPurpose::SetPassword,
                    NOW.plus_seconds(13),
                    "x",
                    None,
                    AuditRecord::new(NOW, Action::PasswordSet, "t")
                )
                .await,
                Err(Error::Used)
            ));
        }
    }
);

contract!(
    accounts_are_unique_by_address_and_username,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            practice_with_provider(&db).await;
            let rec = AuditRecord::new(NOW, Action::StaffCreated, "cli");
            let dup = new_account(Role::Assistant, "Dokter@DeLinde.nl", "Bea");
            assert!(matches!(
                db.create_account(&dup, None, None, &rec).await,
                Err(Error::Conflict(_))
            ));
            let mut a = new_account(Role::Assistant, "bea@delinde.nl", "Bea");
            a.username = Some("bea".into());
            db.create_account(&a, None, None, &rec).await.unwrap();
            let mut b = new_account(Role::Assistant, "bea2@delinde.nl", "Bea");
            b.username = Some("bea".into());
            assert!(matches!(
                db.create_account(&b, None, None, &rec).await,
                Err(Error::Conflict(_))
            ));
            let (found, _) = db.account_for_login("BEA").await.unwrap().unwrap();
            assert_eq!(found.id, a.id);
            assert_eq!(db.list_staff().await.unwrap().len(), 2);
            // A failed create wrote nothing, not even its audit record.
            let report = db.verify_audit_chain().await.unwrap();
            assert_eq!(report.first_broken, None);
            assert_eq!(
                db.audit_recent(100)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|r| r.action == "staff.created")
                    .count(),
                1
            );
        }
    }
);

contract!(
    sessions_live_until_they_expire_or_the_account_is_deactivated,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            db.create_session(
                &[9; 32],
                &provider,
                NOW,
                NOW.plus_seconds(100),
                &SessionDevice::default(),
            )
            .await
            .unwrap();
            assert_eq!(
                db.session_account(&[9; 32], NOW)
                    .await
                    .unwrap()
                    .unwrap()
                    .account
                    .id,
                provider
            );
            assert!(db.session_account(&[8; 32], NOW).await.unwrap().is_none());
            assert!(
                db.session_account(&[9; 32], NOW.plus_seconds(100))
                    .await
                    .unwrap()
                    .is_none()
            );
            db.set_active(
                &provider,
                false,
                &AuditRecord::new(NOW, Action::StaffUpdated, "t"),
            )
            .await
            .unwrap();
            assert!(db.session_account(&[9; 32], NOW).await.unwrap().is_none());
        }
    }
);

mod scheme {
    #[tokio::test]
    async fn an_unknown_scheme_names_the_accepted_ones() {
        let err = spreekuur_store::Db::connect(
            "mysql://localhost/x",
            &spreekuur_crypto::MasterKey::generate().unwrap(),
            1,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sqlite:") && err.contains("postgres:"),
            "{err}"
        );
    }
}

contract!(
    a_password_reset_signs_out_every_session_and_queues_the_notice,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            db.create_session(
                &[4; 32],
                &provider,
                NOW,
                NOW.plus_seconds(3600),
                &SessionDevice::default(),
            )
            .await
            .unwrap();
            let link = NewLinkToken {
                hash: vec![5; 32],
                purpose: LinkPurpose::PasswordReset,
                user: Some(provider.clone()),
                created_at: NOW,
                expires_at: NOW.plus_seconds(3600),
            };
            let rec = AuditRecord::new(NOW, Action::PasswordResetRequested, "t");
            db.issue_link(&link, Some(&mail("dokter@delinde.nl", "reset")), &rec)
                .await
                .unwrap();
            assert_eq!(
                db.latest_open_link(&provider, LinkPurpose::PasswordReset, NOW.plus_seconds(1))
                    .await
                    .unwrap(),
                Some(NOW)
            );
            assert!(
                matches!(
                    db.check_link(&[5; 32], LinkPurpose::SetPassword, NOW).await,
                    Err(Error::NotFound)
                ),
                "a reset link is not a set-password link"
            );
            let who = db
                .redeem_password_link(
                    &[5; 32],
                    LinkPurpose::PasswordReset,
                    NOW.plus_seconds(2),
                    "$argon2id$reset",
                    Some(&mail("dokter@delinde.nl", "gewijzigd")),
                    AuditRecord::new(NOW, Action::PasswordReset, "t"),
                )
                .await
                .unwrap();
            assert_eq!(who, provider);
            assert!(
                db.session_account(&[4; 32], NOW.plus_seconds(3))
                    .await
                    .unwrap()
                    .is_none()
            );
            assert_eq!(
                db.outbox_depth().await.unwrap(),
                2,
                "the reset link and the notice"
            );
            assert_eq!(
                db.latest_open_link(&provider, LinkPurpose::PasswordReset, NOW.plus_seconds(3))
                    .await
                    .unwrap(),
                None
            );
        }
    }
);

contract!(throttle_counts_failures_and_clears, |db: &TestDb| {
    let db = db.db.clone();
    async move {
        use spreekuur_domain::ports::ThrottleStore;
        for i in 0..5 {
            let t = db
                .take_attempt("login:x", NOW.plus_seconds(i), 5)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((t.failures, t.blocked_until), (i + 1, None));
        }
        // The sixth is counted and starts the wait. (Simultaneous attempts: see
        // attempts_taken_at_the_same_moment_pass_the_count_no_more_than_allowed.)
        db.take_attempt("login:x", NOW.plus_seconds(10), 5)
            .await
            .unwrap()
            .unwrap();
        let t = db.throttle("login:x").await.unwrap();
        assert_eq!(t.failures, 6);
        assert!(t.blocked(NOW.plus_seconds(10)).is_some());
        assert_eq!(db.throttle("login:y").await.unwrap().failures, 0);
        db.clear_throttle("login:x").await.unwrap();
        assert_eq!(db.throttle("login:x").await.unwrap().failures, 0);
    }
});

contract!(
    attempts_taken_at_the_same_moment_pass_the_count_no_more_than_allowed,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            use spreekuur_domain::ports::ThrottleStore;
            // Twenty answers at once on one key: five free, the sixth starts the wait, and
            // the other fourteen are refused unchecked, on either database.
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let db = Arc::clone(&db);
                    tokio::spawn(
                        async move { db.take_attempt("second_step:x", NOW, 5).await.unwrap() },
                    )
                })
                .collect();
            let mut taken = Vec::new();
            for t in tasks {
                taken.push(t.await.unwrap());
            }
            let passed: Vec<_> = taken.iter().filter_map(|t| t.as_ref().ok()).collect();
            assert_eq!(passed.len(), 6, "{taken:?}");
            assert_eq!(
                passed.iter().filter(|t| t.blocked(NOW).is_some()).count(),
                1
            );
            let until = NOW.plus_seconds(30);
            assert!(taken.iter().filter_map(|t| t.err()).all(|u| u == until));
            // Nothing is counted while the key waits; after the wait the next is counted.
            assert_eq!(db.throttle("second_step:x").await.unwrap().failures, 6);
            let next = db.take_attempt("second_step:x", until, 5).await.unwrap();
            assert_eq!(next.map(|t| t.failures), Ok(7));
            // A right answer clears the key.
            db.clear_throttle("second_step:x").await.unwrap();
            assert!(
                db.take_attempt("second_step:x", until, 5)
                    .await
                    .unwrap()
                    .is_ok()
            );
            // An attempt taken back (a right password, for the address's count) is as if it
            // was never made; a wait it started is lifted.
            for _ in 0..5 {
                db.take_attempt("client:x", NOW, 5).await.unwrap().unwrap();
            }
            let sixth = db.take_attempt("client:x", NOW, 5).await.unwrap().unwrap();
            assert!(sixth.blocked(NOW).is_some());
            db.forgive_attempt("client:x", 5).await.unwrap();
            let t = db.throttle("client:x").await.unwrap();
            assert_eq!((t.failures, t.blocked(NOW)), (5, None));
        }
    }
);

contract!(
    sessions_are_listed_and_signed_out_by_their_owner_only,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            let device = |id: &str, ua: &str| SessionDevice {
                public_id: id.into(),
                user_agent: ua.into(),
                client: "10.0.0.9".into(),
            };
            db.create_session(
                &[1; 32],
                &provider,
                NOW,
                NOW.plus_seconds(3600),
                &device("s1", "Firefox"),
            )
            .await
            .unwrap();
            db.create_session(
                &[2; 32],
                &provider,
                NOW.plus_seconds(5),
                NOW.plus_seconds(3600),
                &device("s2", "Chrome"),
            )
            .await
            .unwrap();
            db.create_session(
                &[3; 32],
                &provider,
                NOW.plus_seconds(9),
                NOW.plus_seconds(3600),
                &device("s3", "Safari"),
            )
            .await
            .unwrap();
            let list = db
                .list_sessions(&provider, &[2; 32], NOW.plus_seconds(10))
                .await
                .unwrap();
            assert_eq!(
                list.iter()
                    .map(|s| s.public_id.as_str())
                    .collect::<Vec<_>>(),
                ["s3", "s2", "s1"]
            );
            assert_eq!(
                list.iter()
                    .filter(|s| s.current)
                    .map(|s| s.public_id.as_str())
                    .collect::<Vec<_>>(),
                ["s2"]
            );
            assert_eq!(list[0].client, "10.0.0.9");
            let rec = AuditRecord::new(NOW, Action::SessionEnded, "t");
            // Someone else cannot end it; the owner can.
            let stranger = UserId::new();
            assert!(matches!(
                db.end_session(&stranger, "s1", &rec).await,
                Err(Error::NotFound)
            ));
            db.end_session(&provider, "s1", &rec).await.unwrap();
            assert!(db.session_account(&[1; 32], NOW).await.unwrap().is_none());
            assert_eq!(
                db.end_other_sessions(&provider, &[2; 32], &rec)
                    .await
                    .unwrap(),
                1
            );
            assert!(db.session_account(&[3; 32], NOW).await.unwrap().is_none());
            assert!(db.session_account(&[2; 32], NOW).await.unwrap().is_some());
        }
    }
);

contract!(
    text_with_nul_or_control_characters_is_answered_alike_on_both_databases,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let provider = practice_with_provider(&db).await;
            // PostgreSQL refuses NUL in text, SQLite does not: the lookups that take text as
            // typed answer "nothing" on both, never an error. Other control characters are
            // ordinary (unmatched) text to both.
            for typed in [
                "a\0b@x.test",
                "\0",
                "anna\0",
                "a\u{1}b",
                "\u{7f}",
                "tab\there",
                "\u{1b}[31m",
            ] {
                assert!(
                    db.account_for_login(typed).await.unwrap().is_none(),
                    "{typed:?}"
                );
                assert!(db.search_accounts(typed, 10).await.unwrap().is_empty());
                assert!(
                    db.conversations_by_external_id(&provider, typed)
                        .await
                        .unwrap()
                        .is_empty()
                );
            }
        }
    }
);
