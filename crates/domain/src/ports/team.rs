//! Teams and their conversations.

use async_trait::async_trait;

use crate::account::Account;
use crate::team::{Team, TeamConversation};
use crate::{ConversationId, Error, StoreError, TeamId, Timestamp, UserId};

/// Teams and their conversations.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Every team with its members, by name.
    async fn teams(&self) -> Result<Vec<Team>, StoreError>;
    /// A new team (administrators); `Conflict(Reason::TeamNameTaken)` for a name in use.
    async fn create_team(
        &self,
        by: &Account,
        name: &str,
        purpose: &str,
        now: Timestamp,
        client: &str,
    ) -> Result<TeamId, Error>;
    /// Adds an active staff member to a team and to its conversations (administrators); the
    /// conversations they joined (none when they were in the team already).
    async fn add_team_member(
        &self,
        team: &TeamId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<Vec<ConversationId>, Error>;
    /// Takes someone out of a team and out of its conversations (administrators); a
    /// conversation they had taken is free again.
    async fn remove_team_member(
        &self,
        team: &TeamId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The patient's conversation with a team, opened if there is none (then true).
    async fn open_team_conversation(
        &self,
        team: &TeamId,
        patient: &Account,
        now: Timestamp,
        client: &str,
    ) -> Result<(ConversationId, bool), Error>;
    /// Sets a team's own weekly hours (administrators); None: the practice's apply. Audited.
    async fn set_team_hours(
        &self,
        team: &TeamId,
        by: &Account,
        hours: Option<crate::team::Week>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The own weekly hours of the team behind a conversation, for any member of it; None when
    /// it is no team conversation or its team keeps the practice's hours.
    async fn team_hours(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<crate::team::TeamHours>, Error>;
    /// The team behind a conversation, for a staff member in it; None for other conversations.
    async fn team_conversation(
        &self,
        id: &ConversationId,
        viewer: &Account,
    ) -> Result<Option<TeamConversation>, Error>;
    /// Gives a team conversation to a member of the team (oneself: "Ik pak dit op"), by a staff
    /// member in it; `NotFound` otherwise.
    async fn assign(
        &self,
        id: &ConversationId,
        by: &Account,
        to: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
}
