//! Sending a chat message: checked here, then stored by the message writer
//! (`message_writer.rs`), which stores every message by the same rules.

use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{Posted, parse_body, parse_client_id};
use spreekuur_domain::{ConversationId, Error, Timestamp};
use tokio::sync::oneshot;

use crate::Db;
use crate::message_writer::{NewMessage, PostRequest};

impl Db {
    /// Checks a chat message and hands it to the message writer; the answer comes after its
    /// commit.
    pub(super) async fn hand_to_writer(
        &self,
        id: &ConversationId,
        sender: &Account,
        body: &str,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<Posted, Error> {
        let body = parse_body(body)?;
        let client_id = match client_id {
            Some(c) => parse_client_id(c)?,
            None => None,
        };
        let (reply, answer) = oneshot::channel();
        let req = PostRequest {
            message: NewMessage {
                conversation: id.clone(),
                sender: sender.id.clone(),
                sender_name: sender.display_name(),
                body,
                client_id,
                file: None,
                now,
                record: Some(
                    AuditRecord::new(now, Action::MessageSent, client)
                        .actor(&sender.id)
                        .object(id),
                ),
            },
            reply,
        };
        match &self.writer {
            Some(writer) => writer
                .send(req)
                .await
                .map_err(|_| Error::Internal("the message writer has stopped".into()))?,
            // Only the writer's own copy of the database has none, and it posts nothing.
            None => return Err(Error::Internal("no message writer".into())),
        }
        answer
            .await
            .map_err(|_| Error::Internal("the message writer dropped a message".into()))?
    }
}
