use std::sync::Arc;

use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

fn rec(action: Action) -> AuditRecord {
    AuditRecord::new(NOW, action, "t")
}

contract!(
    the_app_lock_is_bound_to_its_session_and_five_wrong_pins_sign_it_out,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let device = |id: &str| SessionDevice {
                public_id: id.into(),
                ..SessionDevice::default()
            };
            let later = NOW.plus_seconds(3600);
            db.create_session(b"phone", &anna, NOW, later, &device("a"))
                .await
                .unwrap();
            db.create_session(b"laptop", &anna, NOW, later, &device("b"))
                .await
                .unwrap();
            let signed_in = db.session_account(b"phone", NOW).await.unwrap().unwrap();
            assert!(signed_in.lock.is_none());

            db.enable_lock(
                b"phone",
                &[1; 32],
                &[2; 32],
                true,
                &rec(Action::AppLockEnabled),
            )
            .await
            .unwrap();
            let lock = db
                .session_account(b"phone", NOW)
                .await
                .unwrap()
                .unwrap()
                .lock
                .unwrap();
            assert_eq!(
                (
                    lock.pin_hash,
                    lock.unlock_key,
                    lock.biometric,
                    lock.failures
                ),
                (vec![1; 32], Some(vec![2; 32]), true, 0)
            );
            assert!(
                db.session_account(b"laptop", NOW)
                    .await
                    .unwrap()
                    .unwrap()
                    .lock
                    .is_none(),
                "only this device"
            );

            // After the idle time, every one of several requests at once finds it locked.
            let idle = NOW.plus_seconds(6 * 60);
            let tasks: Vec<_> = (0..5)
                .map(|_| {
                    let db = Arc::clone(&db);
                    tokio::spawn(async move {
                        db.session_account(b"phone", idle)
                            .await
                            .unwrap()
                            .unwrap()
                            .lock
                            .unwrap()
                            .unlock_key
                    })
                })
                .collect();
            for t in tasks {
                assert_eq!(t.await.unwrap(), None);
            }
            assert!(
                db.unlock(
                    b"phone",
                    &[2; 32],
                    &AuditRecord::new(idle, Action::AppLockUnlocked, "t")
                )
                .await
                .unwrap()
            );
            let within = db
                .session_account(b"phone", idle.plus_seconds(60))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                within.lock.unwrap().unlock_key,
                Some(vec![2; 32]),
                "active again within the time"
            );
            db.lock_now(b"phone").await.unwrap();
            let lock = db
                .session_account(b"phone", NOW)
                .await
                .unwrap()
                .unwrap()
                .lock
                .unwrap();
            assert_eq!(lock.unlock_key, None);
            assert_eq!(
                db.lock_failure(b"phone", 5, &rec(Action::AppLockRefused))
                    .await
                    .unwrap(),
                1
            );
            assert!(
                db.unlock(b"phone", &[3; 32], &rec(Action::AppLockUnlocked))
                    .await
                    .unwrap()
            );
            let lock = db
                .session_account(b"phone", NOW)
                .await
                .unwrap()
                .unwrap()
                .lock
                .unwrap();
            assert_eq!((lock.unlock_key, lock.failures), (Some(vec![3; 32]), 0));
            assert!(
                !db.unlock(b"laptop", &[3; 32], &rec(Action::AppLockUnlocked))
                    .await
                    .unwrap(),
                "no lock there to unlock"
            );

            // Eight wrong PINs at once: all are counted, the fifth signs the device out.
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let db = Arc::clone(&db);
                    tokio::spawn(async move {
                        db.lock_failure(b"phone", 5, &rec(Action::AppLockRefused))
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut counts = Vec::new();
            for t in tasks {
                counts.push(t.await.unwrap());
            }
            counts.sort_unstable();
            assert_eq!(counts, vec![1, 2, 3, 4, 5, 5, 5, 5]);
            assert!(db.session_account(b"phone", NOW).await.unwrap().is_none());
            assert!(db.session_account(b"laptop", NOW).await.unwrap().is_some());

            db.enable_lock(
                b"laptop",
                &[1; 32],
                &[2; 32],
                false,
                &rec(Action::AppLockEnabled),
            )
            .await
            .unwrap();
            db.disable_lock(b"laptop", &rec(Action::AppLockDisabled))
                .await
                .unwrap();
            assert!(
                db.session_account(b"laptop", NOW)
                    .await
                    .unwrap()
                    .unwrap()
                    .lock
                    .is_none()
            );
        }
    }
);
