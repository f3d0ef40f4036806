//! Sending a chat message, from the messenger's form, the JSON API or the WebSocket alike: the
//! body and the sender's own id for it are checked here, the message goes to the message writer
//! with its audit record, and once it is committed it is announced on the live bus.
//!
//! Who may send is checked by the writer, in the transaction that stores the message (a sender
//! who is no member gets `NotFound`, as for a conversation that does not exist): checking it
//! here would cost every message a round trip more, and could not see a member removed
//! meanwhile.

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::live::{LiveBus, LiveEvent};
use crate::ports::{ChatMessage, MessageWriter};
use crate::{ConversationId, Error, Timestamp};

use super::{Posted, parse_body, parse_client_id};

/// What sending needs besides its input.
#[derive(Clone, Copy)]
pub struct Posting<'a> {
    pub writer: &'a dyn MessageWriter,
    /// Tells the open sockets of every node about the new message.
    pub live: &'a dyn LiveBus,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
}

/// Sends `body` to `conversation` as `sender`. `client_id` is the sender's own id for the
/// message (empty or none: no id): sending again with it returns the message the first attempt
/// stored (`created: false`) and stores and announces nothing. The answer comes after the
/// commit.
pub async fn send(
    p: Posting<'_>,
    sender: &Account,
    conversation: &ConversationId,
    body: &str,
    client_id: Option<&str>,
) -> Result<Posted, Error> {
    let message = check(p, sender, conversation, body, client_id)?;
    let posted = p.writer.write_message(message).await?;
    announce(p.live, &posted).await;
    Ok(posted)
}

/// The message as the writer takes it: the body (`parse_body`) and then the client id
/// (`parse_client_id`) checked, the audit record made.
fn check(
    p: Posting<'_>,
    sender: &Account,
    conversation: &ConversationId,
    body: &str,
    client_id: Option<&str>,
) -> Result<ChatMessage, Error> {
    let body = parse_body(body)?;
    let client_id = match client_id {
        Some(c) => parse_client_id(c)?,
        None => None,
    };
    Ok(ChatMessage {
        conversation: conversation.clone(),
        sender: sender.id.clone(),
        sender_name: sender.display_name(),
        body,
        client_id,
        now: p.now,
        record: AuditRecord::new(p.now, Action::MessageSent, p.client)
            .actor(&sender.id)
            .object(conversation),
    })
}

/// Tells the open sockets of every node about a message just stored, carrying it to this
/// node's own (a retry that found an earlier message announces nothing). The message is
/// committed, so a failure is only logged: sockets catch up at their next event or reconnect.
pub async fn announce(live: &dyn LiveBus, posted: &Posted) {
    if !posted.created {
        return;
    }
    if let Err(e) = live.publish(&LiveEvent::posted(posted)).await {
        tracing::warn!(error = %e, "live event not published");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::StoreError;
    use crate::account::Role;
    use crate::conversation::{MESSAGE_MAX_CHARS, Message};
    use crate::error::Reason;
    use crate::live::LiveSubscription;
    use crate::test_support::{account, run};

    /// Stores what it is given as the conversation's next message, or answers as told.
    #[derive(Default)]
    struct Writer {
        got: Mutex<Vec<ChatMessage>>,
        /// Answer this instead of storing.
        answer: Mutex<Option<Result<Posted, Error>>>,
    }

    #[async_trait]
    impl MessageWriter for Writer {
        async fn write_message(&self, m: ChatMessage) -> Result<Posted, Error> {
            let mut got = self.got.lock().unwrap_or_else(|e| e.into_inner());
            got.push(m.clone());
            if let Some(answer) = self.answer.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return answer;
            }
            Ok(Posted {
                message: Message {
                    id: crate::MessageId::new(),
                    conversation: m.conversation,
                    seq: got.len() as i64,
                    sender: m.sender.clone(),
                    sender_name: m.sender_name,
                    body: m.body,
                    sent_at: m.now,
                    client_id: m.client_id,
                    file: None,
                },
                created: true,
                recipients: vec![m.sender],
            })
        }
    }

    /// Keeps what is published; fails every publish when `down`.
    #[derive(Default)]
    struct Bus {
        published: Mutex<Vec<LiveEvent>>,
        down: bool,
    }

    struct Deaf;

    #[async_trait]
    impl LiveSubscription for Deaf {
        async fn next(&mut self) -> Option<LiveEvent> {
            None
        }
        fn follow(&mut self, _: &ConversationId) {}
        fn unfollow(&mut self, _: &ConversationId) {}
        fn only_followed(&mut self) {}
    }

    #[async_trait]
    impl LiveBus for Bus {
        async fn publish(&self, event: &LiveEvent) -> Result<(), StoreError> {
            if self.down {
                return Err(StoreError("bus down".into()));
            }
            self.published
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(event.clone());
            Ok(())
        }
        fn subscribe(&self) -> Box<dyn LiveSubscription> {
            Box::new(Deaf)
        }
    }

    impl Writer {
        fn got(&self) -> Vec<ChatMessage> {
            self.got.lock().unwrap_or_else(|e| e.into_inner()).clone()
        }
        fn will_answer(&self, answer: Result<Posted, Error>) {
            *self.answer.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer);
        }
    }

    impl Bus {
        fn published(&self) -> Vec<LiveEvent> {
            self.published
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        }
    }

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn anna() -> Account {
        account(Role::Provider, "Anna", "de Vries", "anna@example.nl")
    }

    fn posting<'a>(writer: &'a Writer, bus: &'a Bus) -> Posting<'a> {
        Posting {
            writer,
            live: bus,
            now: NOW,
            client: "192.0.2.7",
        }
    }

    #[test]
    fn a_message_is_checked_stored_with_its_record_and_announced() {
        let (writer, bus, anna, conv) = (
            Writer::default(),
            Bus::default(),
            anna(),
            ConversationId::new(),
        );
        let posted = run(send(
            posting(&writer, &bus),
            &anna,
            &conv,
            " Hallo\u{7} Jan ",
            Some(" c-1 "),
        ));
        let posted = posted.unwrap_or_else(|e| panic!("{e}"));
        let got = writer.got();
        assert_eq!(got.len(), 1);
        let m = &got[0];
        assert_eq!(
            (
                m.body.as_str(),
                m.client_id.as_deref(),
                m.sender_name.as_str()
            ),
            ("Hallo Jan", Some("c-1"), "Anna de Vries")
        );
        assert_eq!((&m.conversation, &m.sender, m.now), (&conv, &anna.id, NOW));
        let expected = AuditRecord::new(NOW, Action::MessageSent, "192.0.2.7")
            .actor(&anna.id)
            .object(&conv);
        assert_eq!(m.record, expected, "the writer adds the patient");
        assert_eq!(bus.published(), vec![LiveEvent::posted(&posted)]);
        let LiveEvent::Message { carried, seq, .. } = &bus.published()[0] else {
            panic!("not a message event");
        };
        assert_eq!(*seq, 1);
        assert!(carried.is_some(), "carried to this node's sockets");
    }

    #[test]
    fn no_client_id_or_an_empty_one_is_none() {
        let (writer, bus, anna, conv) = (
            Writer::default(),
            Bus::default(),
            anna(),
            ConversationId::new(),
        );
        for client_id in [None, Some(""), Some("  ")] {
            let sent = run(send(
                posting(&writer, &bus),
                &anna,
                &conv,
                "Hallo",
                client_id,
            ));
            assert!(sent.is_ok(), "{client_id:?}");
        }
        assert!(writer.got().iter().all(|m| m.client_id.is_none()));
    }

    #[test]
    fn a_refused_message_reaches_neither_writer_nor_bus() {
        let (writer, bus, anna, conv) = (
            Writer::default(),
            Bus::default(),
            anna(),
            ConversationId::new(),
        );
        let too_long = "a".repeat(MESSAGE_MAX_CHARS + 1);
        for (body, client_id, field, reason) in [
            (" \n\t ", None, "body", Reason::MessageEmpty),
            (too_long.as_str(), None, "body", Reason::MessageTooLong),
            ("Hallo", Some("x 5!"), "client_id", Reason::MessageClientId),
            // The body is checked first.
            ("", Some("x 5!"), "body", Reason::MessageEmpty),
        ] {
            let refused = run(send(posting(&writer, &bus), &anna, &conv, body, client_id));
            assert!(
                matches!(refused, Err(Error::Invalid { field: f, reason: r }) if f == field && r == reason),
                "{field} {reason:?}: {refused:?}"
            );
        }
        assert!(writer.got().is_empty());
        assert!(bus.published().is_empty());
    }

    #[test]
    fn what_the_writer_refuses_is_not_announced() {
        let (writer, bus, anna, conv) = (
            Writer::default(),
            Bus::default(),
            anna(),
            ConversationId::new(),
        );
        writer.will_answer(Err(Error::NotFound));
        let refused = run(send(posting(&writer, &bus), &anna, &conv, "Hallo", None));
        assert!(matches!(refused, Err(Error::NotFound)), "{refused:?}");
        assert_eq!(writer.got().len(), 1);
        assert!(bus.published().is_empty());
    }

    #[test]
    fn a_retry_returns_the_first_message_and_announces_nothing() {
        let (writer, bus, anna, conv) = (
            Writer::default(),
            Bus::default(),
            anna(),
            ConversationId::new(),
        );
        let first = run(send(
            posting(&writer, &bus),
            &anna,
            &conv,
            "Hallo",
            Some("c-1"),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        writer.will_answer(Ok(Posted {
            message: first.message.clone(),
            created: false,
            recipients: Vec::new(),
        }));
        let again = run(send(
            posting(&writer, &bus),
            &anna,
            &conv,
            "Hallo",
            Some("c-1"),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!again.created);
        assert_eq!(again.message.id, first.message.id);
        assert_eq!(bus.published().len(), 1, "only the first was announced");
    }

    #[test]
    fn a_bus_that_is_down_does_not_undo_a_stored_message() {
        let (writer, anna, conv) = (Writer::default(), anna(), ConversationId::new());
        let bus = Bus {
            down: true,
            ..Bus::default()
        };
        let sent = run(send(posting(&writer, &bus), &anna, &conv, "Hallo", None));
        assert!(sent.is_ok_and(|p| p.created));
    }
}
