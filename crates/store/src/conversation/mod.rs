//! Conversations and messages. The server assigns each message its place in the conversation
//! (`seq`) inside the transaction that stores it, from the conversation row's counter, so the
//! order is total and gap-free on both backends.
//!
//! The `ConversationStore` port's entry points are here; what they do is in the modules by
//! responsibility: who is in a conversation (`membership`), a user's list of conversations
//! and their titles (`listing`), reading a thread (`thread`), read positions
//! (`read_position`), external ids (`external_id`) and messages as rows (`rows`). Every message
//! is stored by `message_writer`.

mod external_id;
mod listing;
mod membership;
mod read_position;
mod rows;
mod thread;

use async_trait::async_trait;
use spreekuur_domain::account::Account;
use spreekuur_domain::conversation::{ConversationSummary, Message, Thread};
use spreekuur_domain::group::Person;
use spreekuur_domain::ports::ConversationStore;
use spreekuur_domain::{ConversationId, Error, StoreError, Timestamp, UserId};

pub(crate) use listing::title_for;
pub(crate) use membership::{
    direct_conversation, join_conversation, members, members_of, patient_of, person_from_row,
};
pub(crate) use rows::{MESSAGE_COLUMNS, MESSAGE_FROM, seen_by};

use crate::{Db, db_err, internal};

#[async_trait]
impl ConversationStore for Db {
    async fn open_direct(
        &self,
        a: &UserId,
        b: &UserId,
        now: Timestamp,
    ) -> Result<(ConversationId, bool), StoreError> {
        let mut tx = self.write().await?;
        let opened = direct_conversation(&mut tx, a, b, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(opened)
    }

    async fn conversations_for(
        &self,
        user: &UserId,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        self.list_conversations(user).await
    }

    async fn read_conversation(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
        newest: i64,
    ) -> Result<Thread, Error> {
        self.thread(id, reader, client, now, newest).await
    }

    async fn messages_after(
        &self,
        id: &ConversationId,
        reader: &UserId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>, Error> {
        self.messages_since(id, reader, after, limit).await
    }

    async fn record_read(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.record_staff_read(id, reader, client, now).await
    }

    async fn mark_read(&self, id: &ConversationId, reader: &UserId, seq: i64) -> Result<(), Error> {
        self.move_read_position(id, reader, seq).await
    }

    async fn read_up_to(&self, id: &ConversationId, viewer: &UserId) -> Result<i64, Error> {
        self.read_by_others_of(id, viewer).await
    }

    async fn set_external_id(
        &self,
        id: &ConversationId,
        by: &Account,
        external_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        self.store_external_id(id, by, external_id, now, client)
            .await
    }

    async fn conversations_by_external_id(
        &self,
        user: &UserId,
        external_id: &str,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        self.by_external_id(user, external_id).await
    }

    async fn external_id(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<String>, Error> {
        self.external_id_of(id, viewer).await
    }

    async fn conversation_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Vec<Person>, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        Ok(members_of(&mut conn, id, viewer)
            .await?
            .into_iter()
            .map(|(id, role, name)| Person { id, name, role })
            .collect())
    }
}
