use std::sync::Arc;

use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::session_code::{CodeProblem, CodeState};
use spreekuur_domain::ports::*;
use spreekuur_domain::{Timestamp, UserId};

use crate::contract;
use crate::support::*;

fn code(id: &str, session: u8, user: &UserId, digits: u8, at: Timestamp) -> NewSessionCode {
    NewSessionCode {
        id: id.into(),
        session_hash: vec![session; 32],
        user: user.clone(),
        code_hash: vec![digits; 32],
        requested_at: at,
        expires_at: at.plus_seconds(600),
        next_path: "/messenger".into(),
    }
}

contract!(
    a_pending_sign_in_completes_with_its_code_exactly_once,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let user = practice_with_provider(&db).await;
            let rec = AuditRecord::new(NOW, Action::SessionCodeSent, "t");
            db.start_pending_session(
                NOW.plus_seconds(3600),
                &SessionDevice::default(),
                &code("c1", 1, &user, 7, NOW),
                &mail("dokter@delinde.nl", "123456"),
                &rec,
            )
            .await
            .unwrap();
            // Pending is not signed in.
            assert!(db.session_account(&[1; 32], NOW).await.unwrap().is_none());
            let (who, info) = db.pending_session(&[1; 32], NOW).await.unwrap().unwrap();
            assert_eq!(
                (who.id, info.clone().unwrap().state),
                (user.clone(), CodeState::Open)
            );
            // A wrong code counts.
            let r = db
                .verify_session_code(&[1; 32], "c1", &[vec![8; 32]], NOW, "t")
                .await
                .unwrap();
            assert_eq!(r, Err(CodeProblem::Incorrect { attempts_left: 4 }));
            // The right code, three times at once: one sign-in.
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let db = Arc::clone(&db);
                    tokio::spawn(async move {
                        db.verify_session_code(
                            &[1; 32],
                            "c1",
                            &[vec![9; 32], vec![7; 32]],
                            NOW.plus_seconds(1),
                            "t",
                        )
                        .await
                        .unwrap()
                    })
                })
                .collect();
            let mut ok = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(next) => {
                        assert_eq!(next, "/messenger");
                        ok += 1;
                    }
                    Err(p) => assert_eq!(p, CodeProblem::Used),
                }
            }
            assert_eq!(ok, 1);
            assert_eq!(
                db.session_account(&[1; 32], NOW)
                    .await
                    .unwrap()
                    .unwrap()
                    .account
                    .id,
                user
            );
            assert!(db.pending_session(&[1; 32], NOW).await.unwrap().is_none());
        }
    }
);

contract!(
    codes_expire_run_out_and_are_voided_by_newer_ones,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let user = practice_with_provider(&db).await;
            let rec = AuditRecord::new(NOW, Action::SessionCodeSent, "t");
            let m = mail("dokter@delinde.nl", "code");
            db.start_pending_session(
                NOW.plus_seconds(3600),
                &SessionDevice::default(),
                &code("a", 2, &user, 1, NOW),
                &m,
                &rec,
            )
            .await
            .unwrap();
            // Expired after ten minutes, even with the right digits.
            let r = db
                .verify_session_code(&[2; 32], "a", &[vec![1; 32]], NOW.plus_seconds(600), "t")
                .await
                .unwrap();
            assert_eq!(r, Err(CodeProblem::Expired));
            // A new code voids the old one.
            db.replace_session_code(&code("b", 2, &user, 2, NOW.plus_seconds(601)), &m, &rec)
                .await
                .unwrap();
            let r = db
                .verify_session_code(&[2; 32], "a", &[vec![1; 32]], NOW.plus_seconds(602), "t")
                .await
                .unwrap();
            assert_eq!(r, Err(CodeProblem::Voided));
            let (_, info) = db
                .pending_session(&[2; 32], NOW.plus_seconds(602))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(info.unwrap().id, "b");
            // Five wrong tries use it up.
            for left in (1..5).rev() {
                let r = db
                    .verify_session_code(&[2; 32], "b", &[vec![0; 32]], NOW.plus_seconds(603), "t")
                    .await
                    .unwrap();
                assert_eq!(
                    r,
                    Err(CodeProblem::Incorrect {
                        attempts_left: left
                    })
                );
            }
            let r = db
                .verify_session_code(&[2; 32], "b", &[vec![0; 32]], NOW.plus_seconds(603), "t")
                .await
                .unwrap();
            assert_eq!(r, Err(CodeProblem::Exhausted));
            let r = db
                .verify_session_code(&[2; 32], "b", &[vec![2; 32]], NOW.plus_seconds(604), "t")
                .await
                .unwrap();
            assert_eq!(
                r,
                Err(CodeProblem::Exhausted),
                "not even the right code after that"
            );
            // Another session's code is not this session's.
            let r = db
                .verify_session_code(&[3; 32], "b", &[vec![2; 32]], NOW.plus_seconds(604), "t")
                .await
                .unwrap();
            assert_eq!(r, Err(CodeProblem::Missing));
            assert_eq!(db.outbox_depth().await.unwrap(), 2);
            assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, None);
        }
    }
);
