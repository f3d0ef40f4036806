use std::sync::Arc;

use spreekuur_domain::Error;
use spreekuur_domain::audit::Action;
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

contract!(
    a_retried_message_is_stored_once_and_unread_counts_follow_reading,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let jan = patient(&db, "jan@example.nl", "Jan").await;
            // Four requests at once (from either side) open one conversation.
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let db = Arc::clone(&db);
                    let (a, b) = if i % 2 == 0 {
                        (anna.clone(), jan.clone())
                    } else {
                        (jan.clone(), anna.clone())
                    };
                    tokio::spawn(async move { db.open_direct(&a, &b, NOW).await.unwrap() })
                })
                .collect();
            let mut opened = Vec::new();
            for t in tasks {
                opened.push(t.await.unwrap());
            }
            assert_eq!(opened.iter().filter(|(_, created)| *created).count(), 1);
            let conv = opened[0].0.clone();
            assert!(opened.iter().all(|(id, _)| *id == conv), "one 1:1 per pair");
            assert_eq!(db.conversations_for(&anna).await.unwrap().len(), 1);
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();

            let first = db
                .post_message(&conv, &anna_acc, "Hallo Jan", Some("c-1"), NOW, "t")
                .await
                .unwrap();
            let again = db
                .post_message(&conv, &anna_acc, "Hallo Jan", Some("c-1"), NOW, "t")
                .await
                .unwrap();
            assert!(first.created && !again.created);
            assert_eq!(
                (again.message.id, again.message.seq),
                (first.message.id.clone(), 1)
            );

            // The same client id sent four times at once: one message.
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let db = Arc::clone(&db);
                    let conv = conv.clone();
                    let anna_acc = anna_acc.clone();
                    tokio::spawn(async move {
                        db.post_message(&conv, &anna_acc, "Tweede", Some("c-2"), NOW, "t")
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut created = 0;
            let mut ids = Vec::new();
            for t in tasks {
                let p = t.await.unwrap();
                created += usize::from(p.created);
                ids.push(p.message.id);
            }
            assert_eq!(created, 1);
            ids.dedup();
            assert_eq!(ids.len(), 1);
            // Jan's own client id "c-1" is his own, not Anna's.
            assert!(
                db.post_message(&conv, &jan_acc, "Dag", Some("c-1"), NOW, "t")
                    .await
                    .unwrap()
                    .created
            );
            assert!(matches!(
                db.post_message(&conv, &jan_acc, "x", Some("<bad id>"), NOW, "t")
                    .await,
                Err(Error::Invalid { .. })
            ));

            // Anna has read her own messages; Jan has not read hers (his own he has).
            let unread =
                |list: Vec<spreekuur_domain::conversation::ConversationSummary>| list[0].unread;
            assert_eq!(unread(db.conversations_for(&anna).await.unwrap()), 1);
            assert_eq!(
                unread(db.conversations_for(&jan).await.unwrap()),
                0,
                "he posted after them"
            );
            let bram = patient(&db, "bram@example.nl", "Bram").await;
            assert!(matches!(
                db.mark_read(&conv, &bram, 3).await,
                Err(Error::NotFound)
            ));
            db.mark_read(&conv, &anna, 1).await.unwrap();
            db.mark_read(&conv, &anna, 99).await.unwrap();
            assert_eq!(
                unread(db.conversations_for(&anna).await.unwrap()),
                0,
                "capped at the newest"
            );

            // Resume: everything after a position, in order; another user's conversation is not found.
            let after = db.messages_after(&conv, &jan, 1, 10).await.unwrap();
            assert_eq!(after.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![2, 3]);
            assert_eq!(after[1].client_id.as_deref(), Some("c-1"));
            assert_eq!(db.messages_after(&conv, &jan, 0, 1).await.unwrap().len(), 1);
            assert!(matches!(
                db.messages_after(&conv, &bram, 0, 10).await,
                Err(Error::NotFound)
            ));

            // "gelezen": Anna sees her messages read once Jan has read up to them.
            let thread = db
                .read_conversation(&conv, &anna_acc, "t", NOW, ALL)
                .await
                .unwrap();
            assert_eq!(thread.read_up_to, 3);
            assert_eq!(thread.messages.len(), 3);
            db.post_message(&conv, &anna_acc, "Nog iets", None, NOW, "t")
                .await
                .unwrap();
            assert_eq!(
                db.read_conversation(&conv, &anna_acc, "t", NOW, ALL)
                    .await
                    .unwrap()
                    .read_up_to,
                3
            );
            db.read_conversation(&conv, &jan_acc, "t", NOW, ALL)
                .await
                .unwrap();
            assert_eq!(
                db.read_conversation(&conv, &anna_acc, "t", NOW, ALL)
                    .await
                    .unwrap()
                    .read_up_to,
                4
            );

            // A long conversation opens at its newest messages; the earlier ones are a step away.
            let page = db
                .read_conversation(&conv, &anna_acc, "t", NOW, 2)
                .await
                .unwrap();
            assert_eq!(
                page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
                vec![3, 4]
            );
            assert!(page.earlier);
            let all = db
                .read_conversation(&conv, &anna_acc, "t", NOW, 4)
                .await
                .unwrap();
            assert_eq!(
                all.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
                vec![1, 2, 3, 4]
            );
            assert!(!all.earlier, "nothing before the first");
        }
    }
);

contract!(
    external_ids_are_set_by_staff_members_and_found_by_members,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let jan = patient(&db, "jan@example.nl", "Jan").await;
            let kees = patient(&db, "kees@example.nl", "Kees").await;
            let (conv, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();
            db.set_external_id(&conv, &anna_acc, Some(" HIS-12 "), NOW, "t")
                .await
                .unwrap();
            assert_eq!(
                db.external_id(&conv, &jan).await.unwrap().as_deref(),
                Some("HIS-12")
            );
            assert_eq!(
                db.conversations_by_external_id(&jan, "HIS-12")
                    .await
                    .unwrap()
                    .len(),
                1
            );
            assert!(
                db.conversations_by_external_id(&kees, "HIS-12")
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(matches!(
                db.external_id(&conv, &kees).await,
                Err(Error::NotFound)
            ));
            // Patients do not set it; nonsense is refused and changes nothing.
            assert!(matches!(
                db.set_external_id(&conv, &jan_acc, Some("X"), NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.set_external_id(&conv, &anna_acc, Some(&"9".repeat(65)), NOW, "t")
                    .await,
                Err(Error::Invalid { .. })
            ));
            assert_eq!(
                db.external_id(&conv, &anna).await.unwrap().as_deref(),
                Some("HIS-12")
            );
            db.set_external_id(&conv, &anna_acc, None, NOW, "t")
                .await
                .unwrap();
            assert!(
                db.conversations_by_external_id(&anna, "HIS-12")
                    .await
                    .unwrap()
                    .is_empty()
            );
            let members = db.conversation_members(&conv, &jan).await.unwrap();
            assert_eq!(members.len(), 2);
        }
    }
);

contract!(
    messages_sent_at_once_each_get_their_own_place_and_their_own_audit_record,
    |db: &TestDb| {
        let node2 = db.second_node();
        let open_transactions = db.open_transactions();
        let db = db.db.clone();
        async move {
            let node2 = node2.await;
            let anna = practice_with_provider(&db).await;
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let mut convs = Vec::new();
            for i in 0..3 {
                let p = patient(&db, &format!("p{i}@example.nl"), "Piet").await;
                let (conv, _) = db.open_direct(&anna, &p, NOW).await.unwrap();
                convs.push((conv, db.account(&p).await.unwrap().unwrap()));
            }
            let stranger = patient(&db, "vreemd@example.nl", "Vera").await;
            let stranger_acc = db.account(&stranger).await.unwrap().unwrap();

            // 60 messages from both sides of three conversations, their first 20 sent again
            // (through a second node as well), and a stranger's 10, all at once: they meet in
            // batches in both nodes' writers.
            let mut tasks = Vec::new();
            for round in 0..2 {
                for i in 0..60usize {
                    if round == 1 && i >= 20 {
                        break;
                    }
                    let (conv, p) = convs[i % 3].clone();
                    let sender = if i % 2 == 0 { anna_acc.clone() } else { p };
                    let node = if round == 1 && i % 4 == 0 {
                        Arc::clone(&node2)
                    } else {
                        Arc::clone(&db)
                    };
                    tasks.push(tokio::spawn(async move {
                        let cid = format!("k-{i}");
                        let body = format!("bericht {i}");
                        let r = node
                            .post_message(&conv, &sender, &body, Some(&cid), NOW, "t")
                            .await;
                        (Some(i), r)
                    }));
                }
            }
            for _ in 0..10 {
                let (conv, _) = convs[0].clone();
                let (db, s) = (Arc::clone(&db), stranger_acc.clone());
                tasks.push(tokio::spawn(async move {
                    (
                        None,
                        db.post_message(&conv, &s, "ik ook", None, NOW, "t").await,
                    )
                }));
            }
            let mut first_id = std::collections::HashMap::new();
            let mut created = 0;
            for t in tasks {
                match t.await.unwrap() {
                    (Some(i), Ok(p)) => {
                        created += usize::from(p.created);
                        assert_eq!(p.message.body, format!("bericht {i}"));
                        let id = first_id.entry(i).or_insert(p.message.id.clone());
                        assert_eq!(*id, p.message.id, "a retry answers with the first message");
                    }
                    (None, r) => assert!(matches!(r, Err(Error::NotFound)), "{r:?}"),
                    (Some(i), Err(e)) => panic!("message {i}: {e}"),
                }
            }
            assert_eq!(created, 60, "every message stored once");

            for (n, (conv, _)) in convs.iter().enumerate() {
                let stored = db.messages_after(conv, &anna, 0, 1000).await.unwrap();
                assert_eq!(
                    stored.iter().map(|m| m.seq).collect::<Vec<_>>(),
                    (1..=20).collect::<Vec<i64>>(),
                    "conversation {n}: each message its own place, none skipped"
                );
                for m in &stored {
                    let i: usize = m.client_id.as_deref().unwrap()[2..].parse().unwrap();
                    assert_eq!((i % 3, &m.body), (n, &format!("bericht {i}")));
                }
            }
            let report = db.verify_audit_chain().await.unwrap();
            assert_eq!(report.first_broken, None, "the chain holds across batches");
            let sent: Vec<_> = db
                .audit_recent(1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.action == Action::MessageSent.as_str())
                .collect();
            assert_eq!(sent.len(), 60, "one record per message, none for retries");
            assert!(sent.iter().all(|r| r.patient.is_some()));
            // The retries' answers and the stranger changed nothing else: unread counts agree.
            for (conv, p) in &convs {
                let list = db.conversations_for(&p.id).await.unwrap();
                let c = list.iter().find(|c| c.id == *conv).unwrap();
                assert_eq!(c.last_seq, 20);
            }
            // Every sender has had its answer: neither node's writer keeps a transaction open.
            assert_eq!(open_transactions.await, 0);
            node2.close().await;
        }
    }
);

contract!(
    long_messages_sent_at_once_are_stored_whole_and_in_order,
    |db: &TestDb| {
        let open_transactions = db.open_transactions();
        let db = db.db.clone();
        async move {
            // 40 long messages at once (8 KB and 2 KB), from both sides of two conversations:
            // a batch of them is more than one write to PostgreSQL (about 12 KiB each), which
            // must still be one transaction with one chain of records.
            let anna = practice_with_provider(&db).await;
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let mut convs = Vec::new();
            for i in 0..2 {
                let p = patient(&db, &format!("lang{i}@example.nl"), "Lotte").await;
                let (conv, _) = db.open_direct(&anna, &p, NOW).await.unwrap();
                convs.push((conv, db.account(&p).await.unwrap().unwrap()));
            }
            let body = |i: usize| {
                let long = if [7, 23].contains(&i) { 4_000 } else { 1_000 };
                format!("{i:02} {}", "é".repeat(long))
            };
            let mut tasks = Vec::new();
            for i in 0..40usize {
                let (conv, p) = convs[i % 2].clone();
                let sender = if i % 4 < 2 { anna_acc.clone() } else { p };
                let db = Arc::clone(&db);
                tasks.push(tokio::spawn(async move {
                    db.post_message(&conv, &sender, &body(i), Some(&format!("l-{i}")), NOW, "t")
                        .await
                }));
            }
            for t in tasks {
                assert!(t.await.unwrap().unwrap().created);
            }
            for (n, (conv, p)) in convs.iter().enumerate() {
                let stored = db.messages_after(conv, &anna, 0, 100).await.unwrap();
                assert_eq!(
                    stored.iter().map(|m| m.seq).collect::<Vec<_>>(),
                    (1..=20).collect::<Vec<i64>>(),
                    "conversation {n}: every message, each its own place"
                );
                for m in &stored {
                    let i: usize = m.client_id.as_deref().unwrap()[2..].parse().unwrap();
                    assert_eq!(m.body, body(i), "conversation {n}: the whole text");
                    assert_eq!(i % 2, n);
                }
                // Each side has read up to its own newest message: what the other sent after
                // it is unread.
                let unread_for = |who: &str| {
                    let last_own = stored.iter().rev().find(|m| m.sender.as_str() == who);
                    let from = last_own.map_or(0, |m| m.seq);
                    stored.iter().filter(|m| m.seq > from).count() as i64
                };
                let list = db.conversations_for(&p.id).await.unwrap();
                let c = list.iter().find(|c| c.id == *conv).unwrap();
                assert_eq!((c.last_seq, c.unread), (20, unread_for(p.id.as_str())));
                let list = db.conversations_for(&anna).await.unwrap();
                let c = list.iter().find(|c| c.id == *conv).unwrap();
                assert_eq!(c.unread, unread_for(anna.as_str()));
            }
            // One more afterwards: the chain goes on from where the last write left its head.
            db.post_message(&convs[0].0, &anna_acc, "tot morgen", None, NOW, "t")
                .await
                .unwrap();
            let report = db.verify_audit_chain().await.unwrap();
            assert_eq!(
                report.first_broken, None,
                "the chain holds across the writes"
            );
            let sent = db
                .audit_recent(1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.action == Action::MessageSent.as_str())
                .count();
            assert_eq!(sent, 41);
            assert_eq!(
                open_transactions.await,
                0,
                "the idle writer holds no transaction"
            );
        }
    }
);

/// PostgreSQL restarted (every connection cut) while the message writer waited: the next
/// message is stored all the same, once, and its sender hears so. (SQLite has no connection to
/// lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_database_connection_costs_no_message_postgres() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let anna = practice_with_provider(&db).await;
    let anna_acc = db.account(&anna).await.unwrap().unwrap();
    let p = patient(&db, "p@example.nl", "Piet").await;
    let (conv, _) = db.open_direct(&anna, &p, NOW).await.unwrap();
    db.post_message(&conv, &anna_acc, "eerste", Some("c1"), NOW, "t")
        .await
        .unwrap();

    t.cut_connections().await;
    let second = db
        .post_message(&conv, &anna_acc, "tweede", Some("c2"), NOW, "t")
        .await
        .expect("stored on a new connection");
    assert_eq!(second.message.seq, 2);
    assert!(second.created);

    let seen = db.messages_after(&conv, &p, 0, 10).await.unwrap();
    let bodies: Vec<&str> = seen.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["eerste", "tweede"], "each once, in order");
    t.finish().await;
}
