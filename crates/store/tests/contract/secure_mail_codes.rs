//! Sms and e-mail codes of secure e-mails, and the sms outbox.

use std::sync::Arc;

use spreekuur_domain::Error;
use spreekuur_domain::audit::Action;
use spreekuur_domain::auth::session_code::CodeProblem;
use spreekuur_domain::ports::*;
use spreekuur_domain::secure_mail::sent_code::{Delivery, NewSentCode, SmsOut, may_send};
use spreekuur_domain::secure_mail::{Method, PhoneNumber, Status};
use spreekuur_domain::{RecipientId, Timestamp};

use crate::contract;
use crate::secure_mail::{copy, rec, send};
use crate::support::*;

fn sms_code(copy: &RecipientId, digits: u8, at: Timestamp) -> NewSentCode {
    NewSentCode {
        id: uuid::Uuid::now_v7().to_string(),
        copy: copy.clone(),
        code_hash: vec![digits; 32],
        created_at: at,
        expires_at: at.plus_seconds(600),
        delivery: Delivery::Sms(SmsOut {
            to: PhoneNumber::parse("06 12 34 56 78").unwrap(),
            text: format!("{digits} is uw code"),
        }),
    }
}

contract!(
    sent_codes_are_rate_limited_single_use_and_only_the_newest_works,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            send(
                &db,
                &sender,
                vec![copy("marie@example.test", 2, Method::Sms)],
                None,
            )
            .await;
            let marie = db.copy_by_link(&[2; 32]).await.unwrap().unwrap();
            assert_eq!(marie.email.as_str(), "marie@example.test");
            let session = |n: u8| (vec![n; 32], NOW.plus_seconds(43_200));
            let audits = (
                &rec(Action::SecureMailOpened),
                &rec(Action::SecureMailCodeRefused),
            );
            let answer = |hashes: Vec<Vec<u8>>, at: Timestamp, n: u8| {
                let db = Arc::clone(&db);
                let id = marie.id.clone();
                let (opened, refused) = (audits.0.clone(), audits.1.clone());
                async move {
                    let s = session(n);
                    db.answer_sent_code(&id, &hashes, at, (&s.0, s.1), (&opened, &refused))
                        .await
                        .unwrap()
                }
            };
            assert_eq!(
                answer(vec![vec![1; 32]], NOW, 1).await,
                Err(CodeProblem::Missing)
            );
            db.issue_sent_code(
                &sms_code(&marie.id, 1, NOW),
                may_send,
                &rec(Action::SecureMailCodeSent),
            )
            .await
            .unwrap();
            // Not again within a minute; the text waits in the sms outbox, sealed.
            assert!(matches!(
                db.issue_sent_code(
                    &sms_code(&marie.id, 2, NOW.plus_seconds(30)),
                    may_send,
                    &rec(Action::SecureMailCodeSent)
                )
                .await,
                Err(Error::RateLimited { wait_secs: 30, .. })
            ));
            let recent = db.sms_recent(10).await.unwrap();
            assert_eq!(recent.len(), 1);
            assert_eq!(recent[0].to.as_str(), "+31612345678");
            assert_eq!(recent[0].text, "1 is uw code");
            // A newer code voids the first.
            let later = NOW.plus_seconds(61);
            db.issue_sent_code(
                &sms_code(&marie.id, 2, later),
                may_send,
                &rec(Action::SecureMailCodeSent),
            )
            .await
            .unwrap();
            // Wrong answers count down; the old code is no longer the one asked for.
            assert_eq!(
                answer(vec![vec![1; 32]], later, 1).await,
                Err(CodeProblem::Incorrect { attempts_left: 4 })
            );
            // The right one, three times at once: one guest session.
            let tasks: Vec<_> = (0..3u8)
                .map(|n| tokio::spawn(answer(vec![vec![9; 32], vec![2; 32]], later, 10 + n)))
                .collect();
            let mut results = Vec::new();
            for t in tasks {
                results.push(t.await.unwrap());
            }
            assert_eq!(
                results.iter().filter(|r| r.is_ok()).count(),
                1,
                "{results:?}"
            );
            assert!(
                results
                    .iter()
                    .all(|r| matches!(r, Ok(()) | Err(CodeProblem::Used)))
            );
            let winner = (0..3u8).find(|n| results[*n as usize].is_ok()).unwrap();
            let idle = 30 * 60 * 1000;
            assert_eq!(
                db.guest_session(&[10 + winner; 32], later, idle)
                    .await
                    .unwrap(),
                Some(marie.id.clone())
            );
            // An expired code and an exhausted one say so.
            let third = later.plus_seconds(61);
            db.issue_sent_code(
                &sms_code(&marie.id, 3, third),
                may_send,
                &rec(Action::SecureMailCodeSent),
            )
            .await
            .unwrap();
            assert_eq!(
                answer(vec![vec![3; 32]], third.plus_seconds(601), 20).await,
                Err(CodeProblem::Expired)
            );
            let fourth = third.plus_seconds(61);
            db.issue_sent_code(
                &sms_code(&marie.id, 4, fourth),
                may_send,
                &rec(Action::SecureMailCodeSent),
            )
            .await
            .unwrap();
            for left in (0..5).rev() {
                let r = answer(vec![vec![7; 32]], fourth, 21).await;
                if left > 0 {
                    assert_eq!(
                        r,
                        Err(CodeProblem::Incorrect {
                            attempts_left: left
                        })
                    );
                } else {
                    assert_eq!(r, Err(CodeProblem::Exhausted));
                }
            }
            assert_eq!(
                answer(vec![vec![4; 32]], fourth, 22).await,
                Err(CodeProblem::Exhausted)
            );
            // Five codes in the hour: the sixth waits until the first is an hour old.
            let fifth = fourth.plus_seconds(61);
            db.issue_sent_code(
                &sms_code(&marie.id, 5, fifth),
                may_send,
                &rec(Action::SecureMailCodeSent),
            )
            .await
            .unwrap();
            assert!(matches!(
                db.issue_sent_code(
                    &sms_code(&marie.id, 6, fifth.plus_seconds(61)),
                    may_send,
                    &rec(Action::SecureMailCodeSent)
                )
                .await,
                Err(Error::RateLimited { .. })
            ));
        }
    }
);

contract!(
    the_sms_outbox_leases_retries_and_tells_a_failure,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let sender = practice_with_provider(&db).await;
            let id = send(
                &db,
                &sender,
                vec![copy("marie@example.test", 2, Method::Sms)],
                None,
            )
            .await;
            let marie = db.copy_by_link(&[2; 32]).await.unwrap().unwrap();
            db.issue_sent_code(
                &sms_code(&marie.id, 1, NOW),
                may_send,
                &rec(Action::SecureMailCodeSent),
            )
            .await
            .unwrap();
            let item = db.claim_sms(NOW, 30_000).await.unwrap().unwrap();
            assert_eq!(item.attempts, 1);
            // Leased: nobody else gets it until the lease ends.
            assert!(db.claim_sms(NOW, 30_000).await.unwrap().is_none());
            let again = db
                .claim_sms(NOW.plus_seconds(31), 30_000)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(again.id, item.id);
            db.sms_failed(&item.id, NOW, "503", Some(NOW.plus_seconds(60)))
                .await
                .unwrap();
            assert!(
                db.claim_sms(NOW.plus_seconds(59), 30_000)
                    .await
                    .unwrap()
                    .is_none()
            );
            let third = db
                .claim_sms(NOW.plus_seconds(60), 30_000)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(third.attempts, 3);
            // Refused for good: the sender sees "niet afgeleverd".
            db.sms_failed(&item.id, NOW.plus_seconds(60), "400 bad number", None)
                .await
                .unwrap();
            assert!(
                db.claim_sms(NOW.plus_days(1), 30_000)
                    .await
                    .unwrap()
                    .is_none()
            );
            let thread = db.thread(&id).await.unwrap().unwrap();
            assert_eq!(thread.copies[0].status, Status::NotDelivered);
            assert_eq!(thread.copies[0].failed_at, Some(NOW.plus_seconds(60)));
            assert_eq!(db.sms_recent(5).await.unwrap()[0].status, "failed");
        }
    }
);
