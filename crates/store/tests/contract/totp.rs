use std::sync::Arc;

use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

contract!(
    authenticator_secrets_are_sealed_and_steps_and_backup_codes_count_once,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let user = practice_with_provider(&db).await;
            db.begin_totp(&user, b"twenty-byte-secret!!", NOW)
                .await
                .unwrap();
            let raw = db
                .danger_read_blob(
                    "SELECT secret FROM totp_credentials WHERE user_id = $1",
                    user.as_str(),
                )
                .await
                .unwrap()
                .unwrap();
            assert!(!raw.windows(6).any(|w| w == b"twenty"), "sealed at rest");
            let r = db.totp(&user).await.unwrap().unwrap();
            assert_eq!(
                (r.secret.as_slice(), r.enabled),
                (&b"twenty-byte-secret!!"[..], false)
            );
            assert!(
                !db.use_totp_step(&user, 10).await.unwrap(),
                "not before it is confirmed"
            );
            let rec = AuditRecord::new(NOW, Action::TwoFactorEnabled, "t");
            db.enable_totp(&user, 10, &[vec![1; 32], vec![2; 32]], &rec)
                .await
                .unwrap();
            assert_eq!(db.totp(&user).await.unwrap().unwrap().backup_codes_left, 2);
            assert!(
                !db.use_totp_step(&user, 10).await.unwrap(),
                "the confirming step is used"
            );
            // The next step, submitted three times at once: accepted once.
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let db = Arc::clone(&db);
                    let user = user.clone();
                    tokio::spawn(async move { db.use_totp_step(&user, 11).await.unwrap() })
                })
                .collect();
            let mut ok = 0;
            for t in tasks {
                ok += usize::from(t.await.unwrap());
            }
            assert_eq!(ok, 1);
            assert!(db.use_backup_code(&user, &[1; 32], NOW).await.unwrap());
            assert!(!db.use_backup_code(&user, &[1; 32], NOW).await.unwrap());
            assert!(!db.use_backup_code(&user, &[9; 32], NOW).await.unwrap());
            assert_eq!(db.totp(&user).await.unwrap().unwrap().backup_codes_left, 1);
            db.disable_totp(
                &user,
                &AuditRecord::new(NOW, Action::TwoFactorDisabled, "t"),
            )
            .await
            .unwrap();
            assert!(db.totp(&user).await.unwrap().is_none());
        }
    }
);
