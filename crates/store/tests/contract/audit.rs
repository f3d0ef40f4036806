use spreekuur_domain::UserId;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

contract!(
    the_chain_verifies_and_names_the_first_tampered_record,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let who = UserId::new();
            for i in 0..5 {
                db.audit(
                    &AuditRecord::new(NOW.plus_seconds(i), Action::LoginFailed, "10.0.0.1")
                        .actor(&who)
                        .failed(),
                )
                .await
                .unwrap();
            }
            let report = db.verify_audit_chain().await.unwrap();
            assert_eq!((report.records, report.first_broken), (5, None));
            // The application cannot change a record…
            assert!(
                db.danger_execute("UPDATE audit_log SET outcome = 'success' WHERE seq = 3")
                    .await
                    .is_err()
            );
            assert!(
                db.danger_execute("DELETE FROM audit_log WHERE seq = 5")
                    .await
                    .is_err()
            );
            // …but someone with database access can, after removing the guard; the chain names it.
            let drop = match db.backend() {
                spreekuur_store::Backend::Sqlite => {
                    "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
                }
                spreekuur_store::Backend::Postgres => {
                    "DROP TRIGGER audit_log_no_change ON audit_log;"
                }
            };
            db.danger_execute(drop).await.unwrap();
            db.danger_execute("UPDATE audit_log SET outcome = 'success' WHERE seq = 3")
                .await
                .unwrap();
            assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, Some(3));
        }
    }
);

contract!(a_removed_tail_or_middle_record_is_named, |db: &TestDb| {
    let db = db.db.clone();
    async move {
        for i in 0..4 {
            db.audit(&AuditRecord::new(
                NOW.plus_seconds(i),
                Action::Logout,
                "10.0.0.1",
            ))
            .await
            .unwrap();
        }
        let drop = match db.backend() {
            spreekuur_store::Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            spreekuur_store::Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
        };
        db.danger_execute(drop).await.unwrap();
        db.danger_execute("DELETE FROM audit_log WHERE seq = 4")
            .await
            .unwrap();
        assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, Some(4));
        db.danger_execute("DELETE FROM audit_log WHERE seq = 2")
            .await
            .unwrap();
        assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, Some(2));
    }
});

contract!(concurrent_appends_keep_one_chain, |db: &TestDb| {
    let db = db.db.clone();
    async move {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.audit(&AuditRecord::new(NOW.plus_seconds(i), Action::Logout, "x"))
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let report = db.verify_audit_chain().await.unwrap();
        assert_eq!((report.records, report.first_broken), (20, None));
    }
});
