use std::sync::Arc;

use spreekuur_domain::account::Role;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;
use spreekuur_domain::{PasskeyId, UserId};

use crate::contract;
use crate::support::*;

fn key(user: &UserId, credential_id: &[u8]) -> PasskeyRecord {
    PasskeyRecord {
        id: PasskeyId::new(),
        user: user.clone(),
        name: "Mijn telefoon".into(),
        credential_id: credential_id.to_vec(),
        credential: b"{\"cred\":\"public-key-material\"}".to_vec(),
        created_at: NOW,
        last_used_at: None,
    }
}

fn rec(action: Action) -> AuditRecord {
    AuditRecord::new(NOW, action, "t")
}

contract!(
    passkeys_are_sealed_unique_and_only_their_owner_removes_them,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let bram = new_account(Role::Assistant, "bram@delinde.nl", "Bram");
            db.create_account(&bram, None, None, &rec(Action::StaffCreated))
                .await
                .unwrap();
            let k = key(&anna, b"cred-1");
            assert!(
                db.add_passkey(&k, &rec(Action::PasskeyAdded))
                    .await
                    .unwrap()
            );
            let raw = db
                .danger_read_blob(
                    "SELECT credential FROM passkeys WHERE user_id = $1",
                    anna.as_str(),
                )
                .await
                .unwrap()
                .unwrap();
            assert!(!raw.windows(6).any(|w| w == b"public"), "sealed at rest");
            // The same credential cannot be registered twice, to anyone.
            assert!(
                !db.add_passkey(&key(&bram.id, b"cred-1"), &rec(Action::PasskeyAdded))
                    .await
                    .unwrap()
            );
            let found = db.passkey_by_credential(b"cred-1").await.unwrap().unwrap();
            assert_eq!(
                (found.user.clone(), found.credential.clone()),
                (anna.clone(), k.credential.clone())
            );
            assert!(db.passkeys(&bram.id).await.unwrap().is_empty());

            db.passkey_used(&found, Some(b"updated"), NOW.plus_seconds(5))
                .await
                .unwrap();
            let used = db.passkeys(&anna).await.unwrap().remove(0);
            assert_eq!(used.last_used_at, Some(NOW.plus_seconds(5)));
            assert_eq!(used.credential, b"updated");

            // Another user's passkey id is not theirs to remove.
            assert!(
                !db.remove_passkey(&bram.id, &k.id, &rec(Action::PasskeyRemoved))
                    .await
                    .unwrap()
            );
            assert!(
                db.remove_passkey(&anna, &k.id, &rec(Action::PasskeyRemoved))
                    .await
                    .unwrap()
            );
            assert!(db.passkey_by_credential(b"cred-1").await.unwrap().is_none());
        }
    }
);

contract!(
    a_ceremony_is_taken_back_once_for_its_purpose_until_it_expires,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let later = NOW.plus_seconds(300);
            db.save_ceremony(
                b"c1",
                Some(&anna),
                CeremonyPurpose::Register,
                b"state-1",
                NOW,
                later,
            )
            .await
            .unwrap();
            assert!(
                db.take_ceremony(b"c1", CeremonyPurpose::SignIn, NOW)
                    .await
                    .unwrap()
                    .is_none(),
                "not for another purpose"
            );
            // Answered three times at once: one answer gets the state.
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let db = Arc::clone(&db);
                    tokio::spawn(async move {
                        db.take_ceremony(b"c1", CeremonyPurpose::Register, NOW)
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut taken = Vec::new();
            for t in tasks {
                taken.extend(t.await.unwrap());
            }
            assert_eq!(taken, vec![(Some(anna.clone()), b"state-1".to_vec())]);

            db.save_ceremony(b"c2", None, CeremonyPurpose::SignIn, b"state-2", NOW, later)
                .await
                .unwrap();
            assert!(
                db.take_ceremony(b"c2", CeremonyPurpose::SignIn, later)
                    .await
                    .unwrap()
                    .is_none(),
                "expired"
            );
        }
    }
);

contract!(
    resetting_the_second_step_removes_every_factor_and_session_with_notice_and_audit,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let device = |id: &str| SessionDevice {
                public_id: id.into(),
                user_agent: "Firefox".into(),
                client: "10.0.0.9".into(),
            };
            let later = NOW.plus_seconds(3600);
            db.create_session(b"s1", &anna, NOW, later, &device("p1"))
                .await
                .unwrap();
            db.create_pending_session(
                b"s2",
                &anna,
                NOW,
                later,
                &device("p2"),
                PendingStage::SecondFactor,
            )
            .await
            .unwrap();
            db.begin_totp(&anna, b"secret", NOW).await.unwrap();
            db.enable_totp(&anna, 1, &[vec![1; 32]], &rec(Action::TwoFactorEnabled))
                .await
                .unwrap();
            assert!(
                db.add_passkey(&key(&anna, b"cred-9"), &rec(Action::PasskeyAdded))
                    .await
                    .unwrap()
            );
            let token = ApiToken {
                id: spreekuur_domain::TokenId::new(),
                user: anna.clone(),
                name: "HIS".into(),
                rate_per_minute: None,
                created_at: NOW,
                last_used_at: None,
            };
            db.create_token(&token, &[5; 32], &rec(Action::TokenCreated))
                .await
                .unwrap();
            assert!(db.token_account(&[5; 32], NOW).await.unwrap().is_some());
            let depth = db.outbox_depth().await.unwrap();
            let records = db.verify_audit_chain().await.unwrap().records;

            let n = db
                .end_all_sessions(
                    &anna,
                    &mail("dokter@delinde.nl", "uitgelogd"),
                    &rec(Action::SignedOutEverywhere),
                )
                .await
                .unwrap();
            assert_eq!(n, 2, "signed-in and waiting sessions alike");
            assert!(db.session_account(b"s1", NOW).await.unwrap().is_none());
            assert!(
                db.totp(&anna).await.unwrap().is_some(),
                "signing out keeps the factors"
            );

            db.create_session(b"s3", &anna, NOW, later, &device("p3"))
                .await
                .unwrap();
            db.reset_second_step(
                &anna,
                &mail("dokter@delinde.nl", "teruggezet"),
                &rec(Action::SecondStepReset),
            )
            .await
            .unwrap();
            assert!(db.totp(&anna).await.unwrap().is_none());
            assert!(db.passkeys(&anna).await.unwrap().is_empty());
            assert!(db.session_account(b"s3", NOW).await.unwrap().is_none());
            assert_eq!(
                db.outbox_depth().await.unwrap(),
                depth + 2,
                "one notice each"
            );
            let report = db.verify_audit_chain().await.unwrap();
            assert_eq!(report.records, records + 2, "one audit record each");
            assert_eq!(report.first_broken, None);

            // Found by name, address or username; wildcards are literal.
            let found = db.search_accounts("ANNA", 20).await.unwrap();
            assert_eq!(
                found.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
                vec![anna.clone()]
            );
            assert_eq!(db.search_accounts("delinde.nl", 20).await.unwrap().len(), 1);
            assert!(db.search_accounts("%", 20).await.unwrap().is_empty());
        }
    }
);
