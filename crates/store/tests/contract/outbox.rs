use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

contract!(
    the_outbox_leases_items_and_wipes_them_once_sent,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let link = NewLinkToken {
                hash: vec![1; 32],
                purpose: LinkPurpose::Setup,
                user: None,
                created_at: NOW,
                expires_at: NOW.plus_seconds(60),
            };
            db.issue_link(
                &link,
                Some(&mail("a@example.nl", "eerste")),
                &AuditRecord::new(NOW, Action::PasswordLinkIssued, "t"),
            )
            .await
            .unwrap();
            let link2 = NewLinkToken {
                hash: vec![2; 32],
                created_at: NOW.plus_seconds(1),
                ..link
            };
            db.issue_link(
                &link2,
                Some(&mail("b@example.nl", "tweede")),
                &AuditRecord::new(NOW, Action::PasswordLinkIssued, "t"),
            )
            .await
            .unwrap();
            assert_eq!(db.outbox_depth().await.unwrap(), 2);

            let first = db
                .claim_outbox(NOW.plus_seconds(5), 30_000)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (
                    first.mail.to.as_str(),
                    first.mail.text.as_str(),
                    first.attempts
                ),
                ("a@example.nl", "eerste", 1)
            );
            let second = db
                .claim_outbox(NOW.plus_seconds(5), 30_000)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(second.mail.text, "tweede");
            assert!(
                db.claim_outbox(NOW.plus_seconds(6), 30_000)
                    .await
                    .unwrap()
                    .is_none(),
                "both are leased"
            );

            // A worker that died mid-send: the lease runs out and the item is due again.
            let again = db
                .claim_outbox(NOW.plus_seconds(36), 30_000)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((again.id.clone(), again.attempts), (first.id.clone(), 2));
            db.outbox_sent(&again.id, NOW.plus_seconds(37))
                .await
                .unwrap();
            // A failed attempt comes back at its retry time; a permanent failure never.
            db.outbox_failed(
                &second.id,
                NOW,
                Some(NOW.plus_seconds(100)),
                "421 try later",
            )
            .await
            .unwrap();
            assert!(
                db.claim_outbox(NOW.plus_seconds(99), 30_000)
                    .await
                    .unwrap()
                    .is_none()
            );
            let retried = db
                .claim_outbox(NOW.plus_seconds(100), 30_000)
                .await
                .unwrap()
                .unwrap();
            db.outbox_failed(&retried.id, NOW, None, "550 no such user")
                .await
                .unwrap();
            assert!(
                db.claim_outbox(NOW.plus_days(1), 30_000)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert_eq!(db.outbox_depth().await.unwrap(), 0);

            let recent = db.outbox_recent(10).await.unwrap();
            let sent = recent.iter().find(|i| i.id == first.id).unwrap();
            assert_eq!(
                (sent.status.as_str(), sent.mail.text.as_str()),
                ("sent", ""),
                "the body with its link is wiped"
            );
            assert_eq!(
                recent.iter().find(|i| i.id == second.id).unwrap().status,
                "failed"
            );
        }
    }
);
