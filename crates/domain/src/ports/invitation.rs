//! Invitations and their answers.

use async_trait::async_trait;

use crate::account::NewAccount;
use crate::audit::AuditRecord;
use crate::invitation::{Invitation, NewInvitation};
use crate::mail::Outgoing;
use crate::{ConversationId, Error, InvitationId, StoreError, Timestamp, UserId};

/// Invitations and their answers.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores the invitation, its e-mail and the audit records in one transaction.
    async fn create_invitation(
        &self,
        new: &NewInvitation,
        mail: &Outgoing,
        audit: &[AuditRecord],
    ) -> Result<(), Error>;
    async fn invitation_by_token(&self, hash: &[u8]) -> Result<Option<Invitation>, StoreError>;
    async fn invitation(&self, id: &InvitationId) -> Result<Option<Invitation>, StoreError>;
    /// Every invitation of the practice, newest first.
    async fn list_invitations(&self) -> Result<Vec<Invitation>, StoreError>;
    /// Marks a `Sent` invitation `Opened` (the landing page was shown). No-op otherwise.
    async fn mark_opened(
        &self,
        id: &InvitationId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Replaces the link (the old one stops working), extends the validity and queues the mail.
    async fn resend_invitation(
        &self,
        id: &InvitationId,
        new_hash: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
        mail: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    async fn withdraw_invitation(
        &self,
        id: &InvitationId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    async fn decline_invitation(
        &self,
        hash: &[u8],
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Accepts with a new account: uses the link (exactly once), creates the account with the
    /// invitation's e-mail address, opens the conversation with the inviter and posts the
    /// personal note as its first message. Returns the new account and the conversation.
    async fn accept_with_new_account(
        &self,
        hash: &[u8],
        now: Timestamp,
        account: &NewAccount,
        client: &str,
    ) -> Result<(UserId, ConversationId), Error>;
    /// Accepts for an existing (signed-in) patient account.
    async fn accept_with_existing_account(
        &self,
        hash: &[u8],
        now: Timestamp,
        account: &UserId,
        client: &str,
    ) -> Result<ConversationId, Error>;
}
