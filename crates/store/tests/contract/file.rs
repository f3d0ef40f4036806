use spreekuur_domain::file::FileKind;
use spreekuur_domain::ports::*;
use spreekuur_domain::{Error, FileId, Timestamp};
use spreekuur_store::Db;

use crate::contract;
use crate::support::*;

async fn records(db: &Db) -> i64 {
    db.verify_audit_chain().await.unwrap().records
}

fn started(start: FileStart) -> (FileId, Vec<u8>) {
    match start {
        FileStart::New { id, key } => (id, key.to_vec()),
        FileStart::Retry(_) => panic!("expected a new file"),
    }
}

contract!(
    a_file_is_seen_only_by_members_and_only_once_committed,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let jan = patient(&db, "jan@example.nl", "Jan").await;
            let kees = patient(&db, "kees@example.nl", "Kees").await;
            let (conv, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let kees_acc = db.account(&kees).await.unwrap().unwrap();

            // Someone outside the conversation cannot even start an upload.
            assert!(matches!(
                db.begin_file(&conv, &kees, "x.pdf", None, NOW).await,
                Err(Error::NotFound)
            ));
            // A name that is only a path is refused.
            assert!(matches!(
                db.begin_file(&conv, &jan, "../", None, NOW).await,
                Err(Error::Invalid { .. })
            ));

            let (id, key) = started(
                db.begin_file(&conv, &jan, "C:\\scans\\uitslag.pdf", Some("f-1"), NOW)
                    .await
                    .unwrap(),
            );
            assert_eq!(key.len(), 32);
            // Pending: nobody sees it, not even its uploader.
            assert!(matches!(
                db.open_file(&id, &jan_acc, "t", NOW).await,
                Err(Error::NotFound)
            ));
            assert!(
                db.files_for(&jan, None, None, 10, "t", NOW)
                    .await
                    .unwrap()
                    .is_empty()
            );
            // Only the uploader commits it.
            assert!(matches!(
                db.commit_file(
                    &id,
                    &anna_acc,
                    "application/pdf",
                    FileKind::Pdf,
                    1234,
                    None,
                    NOW,
                    "t"
                )
                .await,
                Err(Error::NotFound)
            ));
            let posted = db
                .commit_file(
                    &id,
                    &jan_acc,
                    "application/pdf",
                    FileKind::Pdf,
                    1234,
                    Some("f-1"),
                    NOW,
                    "t",
                )
                .await
                .unwrap();
            assert!(posted.created);
            let file = posted.message.file.clone().unwrap();
            assert_eq!(
                (file.name.as_str(), file.size, file.kind),
                ("uitslag.pdf", 1234, FileKind::Pdf)
            );
            // A retry with the same client id finds the message, without a second upload.
            match db
                .begin_file(&conv, &jan, "uitslag.pdf", Some("f-1"), NOW)
                .await
                .unwrap()
            {
                FileStart::Retry(p) => assert_eq!(p.message.id, posted.message.id),
                FileStart::New { .. } => panic!("a retry must find the first message"),
            }

            // Members read it (each read on record); others get "not found" and no record.
            let before = records(&db).await;
            let opened = db.open_file(&id, &anna_acc, "t", NOW).await.unwrap();
            assert_eq!(opened.key.to_vec(), key, "the key comes back unsealed");
            assert_eq!(opened.conversation, conv);
            assert_eq!(records(&db).await, before + 1, "the download is audited");
            assert!(matches!(
                db.open_file(&id, &kees_acc, "t", NOW).await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.open_file(&FileId::new(), &anna_acc, "t", NOW).await,
                Err(Error::NotFound)
            ));
            assert_eq!(records(&db).await, before + 1);

            // The message carries the file in the thread; Bestanden lists it for members only.
            let thread = db
                .read_conversation(&conv, &anna_acc, "t", NOW, ALL)
                .await
                .unwrap();
            assert_eq!(
                thread.messages.last().unwrap().file.as_ref().unwrap().id,
                id
            );
            let before = records(&db).await;
            let listed = db.files_for(&anna, None, None, 10, "t", NOW).await.unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(
                records(&db).await,
                before + 1,
                "a staff listing is on record"
            );
            assert_eq!(listed[0].sender, jan);
            let jans = records(&db).await;
            db.files_for(&jan, None, None, 10, "t", NOW).await.unwrap();
            assert_eq!(records(&db).await, jans, "a patient's own listing is not");
            assert_eq!(listed[0].conversation_title, "Jan Tester");
            assert_eq!(
                db.files_for(&anna, None, Some(FileKind::Image), 10, "t", NOW)
                    .await
                    .unwrap()
                    .len(),
                0
            );
            assert_eq!(
                db.files_for(&anna, Some(&conv), Some(FileKind::Pdf), 10, "t", NOW)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            assert!(
                db.files_for(&kees, None, None, 10, "t", NOW)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(matches!(
                db.files_for(&kees, Some(&conv), None, 10, "t", NOW).await,
                Err(Error::NotFound)
            ));
        }
    }
);

contract!(abandoned_and_stale_uploads_disappear, |db: &TestDb| {
    let db = db.db.clone();
    async move {
        let anna = practice_with_provider(&db).await;
        let jan = patient(&db, "jan@example.nl", "Jan").await;
        let (conv, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
        let jan_acc = db.account(&jan).await.unwrap().unwrap();
        let (cut, _) = started(
            db.begin_file(&conv, &jan, "a.pdf", None, NOW)
                .await
                .unwrap(),
        );
        let later = Timestamp(NOW.millis() + 3_600_000);
        let (dead, _) = started(
            db.begin_file(&conv, &jan, "b.pdf", None, later)
                .await
                .unwrap(),
        );
        db.abandon_file(&cut).await.unwrap();
        assert!(matches!(
            db.commit_file(
                &cut,
                &jan_acc,
                "application/pdf",
                FileKind::Pdf,
                1,
                None,
                NOW,
                "t"
            )
            .await,
            Err(Error::NotFound)
        ));
        assert_eq!(db.stale_files(later).await.unwrap(), Vec::<FileId>::new());
        let stale = db.stale_files(Timestamp(later.millis() + 1)).await.unwrap();
        assert_eq!(stale, vec![dead.clone()]);
        // A committed file is never stale, and abandoning it does nothing.
        let (kept, _) = started(
            db.begin_file(&conv, &jan, "c.pdf", None, NOW)
                .await
                .unwrap(),
        );
        db.commit_file(
            &kept,
            &jan_acc,
            "application/pdf",
            FileKind::Pdf,
            1,
            None,
            NOW,
            "t",
        )
        .await
        .unwrap();
        db.abandon_file(&kept).await.unwrap();
        assert_eq!(
            db.files_for(&jan, None, None, 10, "t", NOW)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            db.stale_files(Timestamp(later.millis() + 1)).await.unwrap(),
            vec![dead]
        );
    }
});
