//! Every kind of message is stored by the same rules, an invitation's note, a chat message and
//! a file alike: the conversation's next place without a gap, read by its sender, on record
//! (the note through the acceptance), and one client id is one message of its sender whatever
//! its kind.

use spreekuur_domain::account::Role;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::ConversationSummary;
use spreekuur_domain::file::FileKind;
use spreekuur_domain::invitation::NewInvitation;
use spreekuur_domain::ports::*;
use spreekuur_domain::{ConversationId, FileId, Timestamp, UserId};
use spreekuur_store::Db;

use crate::contract;
use crate::support::*;

async fn summary(db: &Db, user: &UserId, conv: &ConversationId) -> ConversationSummary {
    db.conversations_for(user)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == *conv)
        .unwrap()
}

fn new_file(start: FileStart) -> FileId {
    match start {
        FileStart::New { id, .. } => id,
        FileStart::Retry(_) => panic!("expected a new file"),
    }
}

contract!(
    notes_chat_messages_and_files_share_one_numbering_and_one_set_of_rules,
    |db: &TestDb| {
        let db = db.db.clone();
        async move {
            let anna = practice_with_provider(&db).await;
            let inv = NewInvitation::parse(
                anna.clone(),
                "Jan",
                "Janssen",
                "jan@example.nl",
                "Welkom bij de praktijk.",
                "nl",
                vec![3; 32],
                NOW,
                14,
            )
            .unwrap();
            let rec = AuditRecord::new(NOW, Action::InvitationCreated, "t")
                .actor(&anna)
                .object(&inv.id);
            db.create_invitation(&inv, &mail("jan@example.nl", "https://x/i/s"), &[rec])
                .await
                .unwrap();
            let records = db.verify_audit_chain().await.unwrap().records;

            // The note is the conversation's first message, written by the inviter, who has
            // read it; it is not on record of its own (the registration and acceptance are).
            let new_jan = new_account(Role::Patient, "jan@example.nl", "Jan");
            let (jan, conv) = db
                .accept_with_new_account(&[3; 32], NOW, &new_jan, "t")
                .await
                .unwrap();
            assert_eq!(
                db.verify_audit_chain().await.unwrap().records,
                records + 2,
                "registered and accepted, nothing for the note"
            );
            let anna_acc = db.account(&anna).await.unwrap().unwrap();
            let jan_acc = db.account(&jan).await.unwrap().unwrap();
            let s = summary(&db, &anna, &conv).await;
            assert_eq!(
                (s.last_seq, s.unread),
                (1, 0),
                "the inviter has read her note"
            );
            assert_eq!(summary(&db, &jan, &conv).await.unread, 1);

            // A chat message and a file take the next places; each sender has read their own.
            let chat = db
                .post_message(&conv, &jan_acc, "Dank u wel", Some("c-1"), NOW, "t")
                .await
                .unwrap();
            let at = Timestamp(NOW.millis() + 1000);
            let file = new_file(
                db.begin_file(&conv, &jan, "uitslag.pdf", Some("f-1"), at)
                    .await
                    .unwrap(),
            );
            let sent = db
                .commit_file(
                    &file,
                    &jan_acc,
                    "application/pdf",
                    FileKind::Pdf,
                    10,
                    Some("f-1"),
                    at,
                    "t",
                )
                .await
                .unwrap();
            assert!(chat.created && sent.created);
            assert_eq!((chat.message.seq, sent.message.seq), (2, 3));
            assert_eq!(sent.message.file.as_ref().map(|f| &f.id), Some(&file));
            assert_eq!(sent.message.client_id.as_deref(), Some("f-1"));
            let mut recipients = sent.recipients.clone();
            recipients.sort();
            let mut members = vec![anna.clone(), jan.clone()];
            members.sort();
            assert_eq!(recipients, members, "delivered to the members");
            let s = summary(&db, &jan, &conv).await;
            assert_eq!((s.last_seq, s.unread), (3, 0), "he has read his own file");
            assert_eq!(s.last_activity, at, "the file is the newest activity");
            assert_eq!(summary(&db, &anna, &conv).await.unread, 2);

            // A file committed under a client id its sender used for a chat message is that
            // message: nothing new is stored, and the upload stays pending.
            let other = new_file(
                db.begin_file(&conv, &jan, "foto.jpg", None, at)
                    .await
                    .unwrap(),
            );
            let retried = db
                .commit_file(
                    &other,
                    &jan_acc,
                    "image/jpeg",
                    FileKind::Image,
                    20,
                    Some("c-1"),
                    at,
                    "t",
                )
                .await
                .unwrap();
            assert!(!retried.created);
            assert_eq!(retried.message.id, chat.message.id);
            assert_eq!(
                db.stale_files(Timestamp(at.millis() + 1)).await.unwrap(),
                vec![other]
            );

            let reply = db
                .post_message(&conv, &anna_acc, "Graag gedaan", None, at, "t")
                .await
                .unwrap();
            assert_eq!(reply.message.seq, 4, "no place was taken by the retry");
            let thread = db
                .read_conversation(&conv, &jan_acc, "t", at, ALL)
                .await
                .unwrap();
            assert_eq!(
                thread
                    .messages
                    .iter()
                    .map(|m| (m.seq, m.sender == anna, m.file.is_some()))
                    .collect::<Vec<_>>(),
                vec![
                    (1, true, false),
                    (2, false, false),
                    (3, false, true),
                    (4, true, false)
                ]
            );
            assert_eq!(thread.messages[0].body, "Welkom bij de praktijk.");

            // On record: the chat messages and the file, each with the patient.
            let recent = db.audit_recent(3).await.unwrap();
            assert_eq!(
                recent
                    .iter()
                    .rev()
                    .map(|r| (r.action.as_str(), r.patient.as_deref()))
                    .collect::<Vec<_>>(),
                vec![
                    ("message.sent", Some(jan.as_str())),
                    ("file.sent", Some(jan.as_str())),
                    ("message.sent", Some(jan.as_str())),
                ]
            );
            assert_eq!(recent[1].object.as_deref(), Some(file.as_str()));
            assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, None);
        }
    }
);
