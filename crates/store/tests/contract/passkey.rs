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
