use spreekuur_domain::Error;
use spreekuur_domain::account::Role;
use spreekuur_domain::error::Reason;
use spreekuur_domain::ports::*;

use crate::contract;
use crate::support::*;

contract!(
    team_conversations_follow_the_team_and_are_taken_by_its_members,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            // The provider of practice_with_provider is the first account; make an admin too.
            let admin = person(&db, Role::Admin, "admin@example.nl", "Ada").await;
            let bram = person(&db, Role::Assistant, "bram@example.nl", "Bram").await;
            let jan = person(&db, Role::Patient, "jan@example.nl", "Jan").await;
            let admin_acc = db.account(&admin).await.unwrap().unwrap();
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let bram_acc = db.account(&bram).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();

            let teams = db.teams().await.unwrap();
            let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(names, ["Cliëntensupport", "Planbureau"]);
            let plan = teams
                .iter()
                .find(|t| t.name == "Planbureau")
                .unwrap()
                .id
                .clone();
            // Only administrators manage teams; only staff can be members.
            assert!(matches!(
                db.add_team_member(&plan, &anna_acc, &bram, NOW, "t").await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.add_team_member(&plan, &admin_acc, &jan, NOW, "t").await,
                Err(Error::NotFound)
            ));
            db.add_team_member(&plan, &admin_acc, &anna, NOW, "t")
                .await
                .unwrap();
            db.add_team_member(&plan, &admin_acc, &anna, NOW, "t")
                .await
                .unwrap();
            for taken in ["Planbureau", "planbureau"] {
                assert!(matches!(
                    db.create_team(&admin_acc, taken, "", NOW, "t").await,
                    Err(Error::Conflict(Reason::TeamNameTaken))
                ));
            }
            db.create_team(
                &admin_acc,
                "Wondzorg",
                "Vragen over wondverzorging",
                NOW,
                "t",
            )
            .await
            .unwrap();
            assert_eq!(db.teams().await.unwrap().len(), 3);

            // Jan writes to the team: one conversation, whoever asks twice.
            assert!(matches!(
                db.open_team_conversation(&plan, &anna_acc, NOW, "t").await,
                Err(Error::NotFound)
            ));
            let (conv, made) = db
                .open_team_conversation(&plan, &jan_acc, NOW, "t")
                .await
                .unwrap();
            assert!(made);
            assert_eq!(
                db.open_team_conversation(&plan, &jan_acc, NOW, "t")
                    .await
                    .unwrap(),
                (conv.clone(), false)
            );
            db.post_message(&conv, &jan_acc, "Afspraak verzetten", None, NOW, "t")
                .await
                .unwrap();
            let for_jan = db.conversations_for(&jan).await.unwrap();
            assert_eq!(for_jan[0].title, "Planbureau");
            let for_anna = db.conversations_for(&anna).await.unwrap();
            assert_eq!(
                (for_anna[0].title.as_str(), for_anna[0].unread),
                ("Planbureau – Jan Tester", 1)
            );

            // Bram joins the team later: he is in its conversations from then on.
            assert!(db.team_conversation(&conv, &bram_acc).await.is_err());
            let joined = db
                .add_team_member(&plan, &admin_acc, &bram, NOW, "t")
                .await
                .unwrap();
            assert_eq!(
                joined,
                std::slice::from_ref(&conv),
                "the conversations he joined, to announce"
            );
            assert!(
                db.add_team_member(&plan, &admin_acc, &bram, NOW, "t")
                    .await
                    .unwrap()
                    .is_empty(),
                "in the team already: nothing joined"
            );
            let tc = db
                .team_conversation(&conv, &bram_acc)
                .await
                .unwrap()
                .unwrap();
            assert!(tc.assignee.is_none());
            assert_eq!(tc.members.len(), 2);
            assert!(
                db.team_conversation(&conv, &jan_acc)
                    .await
                    .unwrap()
                    .is_none(),
                "patients see no controls"
            );

            // Taken, handed over; never to someone outside the team, never by a patient.
            db.assign(&conv, &anna_acc, &anna, NOW, "t").await.unwrap();
            db.assign(&conv, &anna_acc, &bram, NOW, "t").await.unwrap();
            assert_eq!(
                db.team_conversation(&conv, &anna_acc)
                    .await
                    .unwrap()
                    .unwrap()
                    .assignee
                    .unwrap()
                    .id,
                bram
            );
            assert!(matches!(
                db.assign(&conv, &anna_acc, &admin, NOW, "t").await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.assign(&conv, &jan_acc, &jan, NOW, "t").await,
                Err(Error::NotFound)
            ));
            let (direct, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
            assert!(matches!(
                db.assign(&direct, &anna_acc, &anna, NOW, "t").await,
                Err(Error::NotFound)
            ));

            // Bram leaves the team: out of its conversations, and what he had taken is free.
            db.remove_team_member(&plan, &admin_acc, &bram, NOW, "t")
                .await
                .unwrap();
            assert!(matches!(
                db.read_conversation(&conv, &bram_acc, "t", NOW, ALL).await,
                Err(Error::NotFound)
            ));
            assert!(
                db.team_conversation(&conv, &anna_acc)
                    .await
                    .unwrap()
                    .unwrap()
                    .assignee
                    .is_none()
            );
            assert!(matches!(
                db.remove_team_member(&plan, &admin_acc, &bram, NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            // Jan reaches the team, not its members one by one.
            let jan_contacts: Vec<String> = db
                .contacts_for(&jan_acc)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(
                jan_contacts,
                vec!["Anna Tester".to_string()],
                "Anna through the 1:1 only"
            );
        }
    }
);

contract!(
    a_team_may_keep_its_own_hours_which_its_conversations_show,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let admin = person(&db, Role::Admin, "admin@example.nl", "Ada").await;
            let jan = person(&db, Role::Patient, "jan@example.nl", "Jan").await;
            let stranger = person(&db, Role::Patient, "vera@example.nl", "Vera").await;
            let admin_acc = db.account(&admin).await.unwrap().unwrap();
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();
            let plan = db
                .teams()
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.name == "Planbureau")
                .unwrap();
            assert!(
                plan.hours.is_none(),
                "a team starts with the practice's hours"
            );
            db.add_team_member(&plan.id, &admin_acc, &anna, NOW, "t")
                .await
                .unwrap();
            let (team_conv, _) = db
                .open_team_conversation(&plan.id, &jan_acc, NOW, "t")
                .await
                .unwrap();
            let (direct, _) = db.open_direct(&anna, &jan, NOW).await.unwrap();
            assert!(db.team_hours(&team_conv, &jan).await.unwrap().is_none());

            let mut week = [None; 7];
            week[0] = Some((8 * 60, 12 * 60));
            week[4] = Some((13 * 60, 17 * 60));
            // Only administrators set them; an unknown team is not found.
            assert!(matches!(
                db.set_team_hours(&plan.id, &anna_acc, Some(week), NOW, "t")
                    .await,
                Err(Error::NotFound)
            ));
            assert!(matches!(
                db.set_team_hours(
                    &spreekuur_domain::TeamId::new(),
                    &admin_acc,
                    Some(week),
                    NOW,
                    "t"
                )
                .await,
                Err(Error::NotFound)
            ));
            db.set_team_hours(&plan.id, &admin_acc, Some(week), NOW, "t")
                .await
                .unwrap();
            let listed = db.teams().await.unwrap();
            let listed = listed.iter().find(|t| t.id == plan.id).unwrap();
            assert_eq!(listed.hours, Some(week));
            // The patient's team conversation shows the team's hours, his 1:1 none; someone
            // outside the conversation learns nothing.
            let shown = db.team_hours(&team_conv, &jan).await.unwrap().unwrap();
            assert_eq!((shown.team_name.as_str(), shown.week), ("Planbureau", week));
            assert!(db.team_hours(&direct, &jan).await.unwrap().is_none());
            assert!(matches!(
                db.team_hours(&team_conv, &stranger).await,
                Err(Error::NotFound)
            ));
            let rec = db.audit_recent(1).await.unwrap().remove(0);
            assert_eq!(
                (rec.action.as_str(), rec.actor.as_deref()),
                ("team.hours_set", Some(admin.as_str()))
            );
            // None: the practice's hours again.
            db.set_team_hours(&plan.id, &admin_acc, None, NOW, "t")
                .await
                .unwrap();
            assert!(db.team_hours(&team_conv, &jan).await.unwrap().is_none());
        }
    }
);
