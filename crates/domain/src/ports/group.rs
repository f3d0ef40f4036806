//! Contacts and group conversations.

use async_trait::async_trait;

use crate::account::Account;
use crate::conversation::ConversationSummary;
use crate::group::Person;
use crate::{ConversationId, Error, StoreError, Timestamp, UserId};

/// Contacts and group conversations ("Contacten", "Groepen").
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Everyone the user may reach (`group::may_reach`), by last name.
    async fn contacts_for(&self, user: &Account) -> Result<Vec<Person>, StoreError>;
    /// A named group of the staff member `creator` and people they may reach (at most one
    /// patient); `NotFound` for anyone they may not reach.
    async fn create_group(
        &self,
        creator: &Account,
        name: &str,
        members: &[UserId],
        now: Timestamp,
        client: &str,
    ) -> Result<ConversationId, Error>;
    /// A group's name and current members, for one of them; `NotFound` otherwise.
    async fn group_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<(String, Vec<Person>), Error>;
    /// Adds someone `by` (a staff member of the group) may reach; false when already in it.
    async fn add_member(
        &self,
        id: &ConversationId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<bool, Error>;
    /// Removes a member (not oneself): from now on they read nothing of the conversation.
    async fn remove_member(
        &self,
        id: &ConversationId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The user's group conversations, most recent activity first.
    async fn groups_for(&self, user: &UserId) -> Result<Vec<ConversationSummary>, StoreError>;
}
