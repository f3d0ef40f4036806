use spreekuur_domain::Error;
use spreekuur_domain::account::Role;
use spreekuur_domain::error::Reason;
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

fn names(people: &[spreekuur_domain::group::Person]) -> Vec<String> {
    let mut n: Vec<String> = people.iter().map(|p| p.name.clone()).collect();
    n.sort();
    n
}

contract!(
    contacts_and_groups_never_join_two_patients,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let bram = person(&db, Role::Assistant, "bram@example.nl", "Bram").await;
            let jan = person(&db, Role::Patient, "jan@example.nl", "Jan").await;
            let kees = person(&db, Role::Patient, "kees@example.nl", "Kees").await;
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let bram_acc = db.account(&bram).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();
            let kees_acc = db.account(&kees).await.unwrap().unwrap();
            // Before any conversation: staff see colleagues only, patients nobody.
            assert_eq!(
                names(&db.contacts_for(&anna_acc).await.unwrap()),
                ["Bram Tester"]
            );
            assert!(db.contacts_for(&jan_acc).await.unwrap().is_empty());
            db.open_direct(&anna, &jan, NOW).await.unwrap();
            db.open_direct(&anna, &kees, NOW).await.unwrap();
            assert_eq!(
                names(&db.contacts_for(&anna_acc).await.unwrap()),
                ["Bram Tester", "Jan Tester", "Kees Tester"]
            );
            assert_eq!(
                names(&db.contacts_for(&jan_acc).await.unwrap()),
                ["Anna Tester"]
            );

            // Bram is not connected with Jan: he cannot put Jan in a group.
            assert!(matches!(
                db.create_group(&bram_acc, "Team", std::slice::from_ref(&jan), NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.create_group(&jan_acc, "Team", std::slice::from_ref(&anna), NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.create_group(&anna_acc, "Team", &[jan.clone(), kees.clone()], NOW, "t")
                    .await,
                Err(Error::Invalid {
                    reason: Reason::GroupOnePatient,
                    ..
                })
            ));
            assert!(matches!(
                db.create_group(&anna_acc, "  ", std::slice::from_ref(&jan), NOW, "t")
                    .await,
                Err(Error::Invalid { .. })
            ));
            let before = db.verify_audit_chain().await.unwrap().records;
            let group = db
                .create_group(
                    &anna_acc,
                    "Zorgteam Jan",
                    &[jan.clone(), bram.clone()],
                    NOW,
                    "t",
                )
                .await
                .unwrap();
            assert_eq!(
                db.verify_audit_chain().await.unwrap().records,
                before + 3,
                "each member on record"
            );
            let (name, members) = db.group_members(&group, &jan).await.unwrap();
            assert_eq!((name.as_str(), names(&members).len()), ("Zorgteam Jan", 3));
            assert!(matches!(
                db.group_members(&group, &kees).await,
                Err(Error::NotFound)
            ));
            assert_eq!(db.groups_for(&jan).await.unwrap().len(), 1);
            // Jan now reaches Bram through the group; Kees still reaches only Anna.
            assert_eq!(
                names(&db.contacts_for(&jan_acc).await.unwrap()),
                ["Anna Tester", "Bram Tester"]
            );
            assert_eq!(
                names(&db.contacts_for(&kees_acc).await.unwrap()),
                ["Anna Tester"]
            );

            // Kees cannot join while Jan is in it; a patient cannot manage members.
            assert!(matches!(
                db.add_member(&group, &anna_acc, &kees, NOW, "t").await,
                Err(Error::Invalid {
                    reason: Reason::GroupOnePatient,
                    ..
                })
            ));
            assert!(matches!(
                db.remove_member(&group, &jan_acc, &bram, NOW, "t").await,
                Err(Error::NotFound)
            ));
            assert!(
                !db.add_member(&group, &anna_acc, &bram, NOW, "t")
                    .await
                    .unwrap(),
                "already in it"
            );

            // Removed: Jan reads nothing of it any more, and cannot post.
            db.post_message(&group, &anna_acc, "Voor de verwijdering", None, NOW, "t")
                .await
                .unwrap();
            db.remove_member(&group, &bram_acc, &jan, NOW, "t")
                .await
                .unwrap();
            db.post_message(&group, &anna_acc, "Na de verwijdering", None, NOW, "t")
                .await
                .unwrap();
            assert!(matches!(
                db.read_conversation(&group, &jan_acc, "t", NOW, ALL).await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.messages_after(&group, &jan, 0, 10).await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.post_message(&group, &jan_acc, "Hallo?", None, NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            assert!(db.groups_for(&jan).await.unwrap().is_empty());
            assert!(
                db.conversations_for(&jan)
                    .await
                    .unwrap()
                    .iter()
                    .all(|c| c.id != group)
            );
            // Nobody removes themselves this way, and a removed member is not removed twice.
            assert!(matches!(
                db.remove_member(&group, &anna_acc, &anna, NOW, "t").await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.remove_member(&group, &anna_acc, &jan, NOW, "t").await,
                Err(Error::NotFound)
            ));
            // Now Kees may join; Jan back in would make two patients.
            assert!(
                db.add_member(&group, &anna_acc, &kees, NOW, "t")
                    .await
                    .unwrap()
            );
            assert!(matches!(
                db.add_member(&group, &anna_acc, &jan, NOW, "t").await,
                Err(Error::Invalid {
                    reason: Reason::GroupOnePatient,
                    ..
                })
            ));
            // A 1:1 conversation is not a group: no member changes there.
            let (direct, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
            assert!(matches!(
                db.add_member(&direct, &anna_acc, &bram, NOW, "t").await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.group_members(&direct, &anna).await,
                Err(Error::NotFound)
            ));
        }
    }
);

contract!(
    a_member_added_again_does_not_read_what_was_said_while_out,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let bram = person(&db, Role::Assistant, "bram@example.nl", "Bram").await;
            let jan = person(&db, Role::Patient, "jan@example.nl", "Jan").await;
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let bram_acc = db.account(&bram).await.unwrap().unwrap();
            // Anna may put Jan in a group once they are in conversation.
            db.open_direct(&anna, &jan, NOW).await.unwrap();
            let group = db
                .create_group(
                    &anna_acc,
                    "Zorgteam Jan",
                    &[jan.clone(), bram.clone()],
                    NOW,
                    "t",
                )
                .await
                .unwrap();
            let say = |text: &'static str| {
                let (db, group, anna_acc) = (db.clone(), group.clone(), anna_acc.clone());
                async move {
                    db.post_message(&group, &anna_acc, text, None, NOW, "t")
                        .await
                        .unwrap()
                }
            };
            say("Voor iedereen").await;
            db.remove_member(&group, &anna_acc, &bram, NOW, "t")
                .await
                .unwrap();
            say("Alleen voor Jan").await;
            say("Nog iets voor Jan").await;
            assert!(
                db.add_member(&group, &anna_acc, &bram, NOW, "t")
                    .await
                    .unwrap()
            );
            say("Welkom terug, Bram").await;

            // Bram reads what was said while he was in, not what was said while he was out;
            // nor does it count as unread.
            let bodies = |ms: Vec<spreekuur_domain::conversation::Message>| {
                ms.into_iter().map(|m| m.body).collect::<Vec<_>>()
            };
            let list = db.conversations_for(&bram).await.unwrap();
            assert_eq!(list.iter().find(|c| c.id == group).unwrap().unread, 1);
            let thread = db
                .read_conversation(&group, &bram_acc, "t", NOW, ALL)
                .await
                .unwrap();
            assert_eq!(
                bodies(thread.messages),
                ["Voor iedereen", "Welkom terug, Bram"]
            );
            // Opened at its newest message, the earlier one he may read is a step away; the
            // two said while he was out are not counted.
            let newest = db
                .read_conversation(&group, &bram_acc, "t", NOW, 1)
                .await
                .unwrap();
            assert_eq!(bodies(newest.messages), ["Welkom terug, Bram"]);
            assert!(newest.earlier);
            assert_eq!(
                bodies(db.messages_after(&group, &bram, 0, 100).await.unwrap()),
                ["Voor iedereen", "Welkom terug, Bram"]
            );
            // Jan, never out, reads all of it.
            assert_eq!(
                db.messages_after(&group, &jan, 0, 100).await.unwrap().len(),
                4
            );
            // Out and in once more: both gaps stay hidden.
            db.remove_member(&group, &anna_acc, &bram, NOW, "t")
                .await
                .unwrap();
            say("Weer zonder Bram").await;
            assert!(
                db.add_member(&group, &anna_acc, &bram, NOW, "t")
                    .await
                    .unwrap()
            );
            assert_eq!(
                bodies(db.messages_after(&group, &bram, 0, 100).await.unwrap()),
                ["Voor iedereen", "Welkom terug, Bram"]
            );
        }
    }
);
