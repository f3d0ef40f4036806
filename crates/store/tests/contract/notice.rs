use spreekuur_domain::Timestamp;
use spreekuur_domain::UserId;
use spreekuur_domain::ports::*;
use spreekuur_store::Db;

use crate::contract;
use crate::support::*;

const WINDOW: i64 = 15 * 60_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp(NOW.millis() + minutes * 60_000)
}

async fn due(db: &Db, now: Timestamp) -> Vec<UserId> {
    db.due_notices(now, WINDOW)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect()
}

contract!(
    one_notice_per_window_and_none_while_online_or_switched_off,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let jan = patient(&db, "jan@example.nl", "Jan").await;
            let (conv, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();
            assert!(due(&db, at(0)).await.is_empty(), "nothing unread");

            // Jan has the messenger open: no notice; the socket closes: one.
            db.set_present("s1", &jan, at(6)).await.unwrap();
            db.post_message(&conv, &anna_acc, "Hallo Jan", None, at(1), "t")
                .await
                .unwrap();
            assert!(due(&db, at(2)).await.is_empty(), "online");
            db.set_absent("s1").await.unwrap();
            assert_eq!(due(&db, at(2)).await, vec![jan.clone()]);
            let mail = mail(
                "jan@example.nl",
                "Er staat een nieuw bericht voor je klaar.",
            );
            assert!(db.send_notice(&jan, at(2), WINDOW, &mail).await.unwrap());
            assert!(
                !db.send_notice(&jan, at(2), WINDOW, &mail).await.unwrap(),
                "another node was first"
            );
            assert_eq!(db.outbox_depth().await.unwrap(), 1);

            // A new message inside the window: nothing; after it: a notice again.
            db.post_message(&conv, &anna_acc, "Nog iets", None, at(5), "t")
                .await
                .unwrap();
            assert!(due(&db, at(10)).await.is_empty(), "within the window");
            assert_eq!(due(&db, at(18)).await, vec![jan.clone()]);
            // Reading it all ends it; one's own messages never count.
            db.read_conversation(&conv, &jan_acc, "t", at(18), ALL)
                .await
                .unwrap();
            db.post_message(&conv, &jan_acc, "Dank u", None, at(19), "t")
                .await
                .unwrap();
            // Jan has read everything; Anna has his reply unread and no socket: she is due.
            assert_eq!(due(&db, at(40)).await, vec![anna.clone()]);

            // A presence lease that ran out (a node that died) no longer counts.
            db.set_present("s2", &jan, at(41)).await.unwrap();
            db.post_message(&conv, &anna_acc, "Bent u er?", None, at(40), "t")
                .await
                .unwrap();
            assert!(due(&db, at(40)).await.iter().all(|id| *id != jan));
            assert!(due(&db, at(42)).await.contains(&jan));
            // Switched off: never.
            db.set_notify_email(&jan, false).await.unwrap();
            assert!(!due(&db, at(42)).await.contains(&jan));
            assert!(!db.send_notice(&jan, at(42), WINDOW, &mail).await.unwrap());
            assert!(!db.account(&jan).await.unwrap().unwrap().notify_email);
        }
    }
);
