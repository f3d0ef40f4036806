//! The invited person's side: open the link, decline, or accept (with a new account, or with
//! the patient account they already have). Every answer is checked against the link's state
//! once more in the store's transaction, so two answers at once give one winner; the others get
//! `Used`.

use crate::account::NewAccount;
use crate::audit::{Action, AuditRecord};
use crate::live::{LiveBus, LiveEvent};
use crate::ports::InvitationStore;
use crate::token::{TokenIssuer, TokenKind};
use crate::{ConversationId, Error, Timestamp, UserId};

use super::Invitation;

/// What answering an invitation needs besides its input.
#[derive(Clone, Copy)]
pub struct Answering<'a> {
    pub store: &'a dyn InvitationStore,
    pub tokens: &'a dyn TokenIssuer,
    /// Tells the inviter's open messenger about the new conversation.
    pub live: &'a dyn LiveBus,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
}

/// The invitation behind a link as clicked, whatever its state (a page explains an expired or
/// used one in the invitation's language; `Invitation::check_answerable` says which).
pub async fn lookup(
    store: &dyn InvitationStore,
    tokens: &dyn TokenIssuer,
    token: &str,
) -> Result<Option<Invitation>, Error> {
    let hash = tokens.hash(TokenKind::Invitation, token);
    Ok(store.invitation_by_token(&hash).await?)
}

/// Opens the landing page of an answerable invitation: it becomes "geopend" for the inviter
/// (once), audited.
pub async fn open(a: Answering<'_>, inv: &Invitation) -> Result<(), Error> {
    inv.check_answerable(a.now)?;
    let rec = AuditRecord::new(a.now, Action::InvitationOpened, a.client).object(&inv.id);
    Ok(a.store.mark_opened(&inv.id, a.now, &rec).await?)
}

/// "Uitnodiging dan ook afwijzen": the link stops working.
pub async fn decline(a: Answering<'_>, token: &str) -> Result<(), Error> {
    let hash = a.tokens.hash(TokenKind::Invitation, token);
    let rec = AuditRecord::new(a.now, Action::InvitationDeclined, a.client);
    a.store.decline_invitation(&hash, a.now, &rec).await
}

/// Accepts with a new account (the end of registration): the account, its conversation with
/// the inviter and the inviter's note commit together. A taken address is a `Conflict`.
pub async fn accept(
    a: Answering<'_>,
    token: &str,
    account: &NewAccount,
) -> Result<(UserId, ConversationId), Error> {
    let hash = a.tokens.hash(TokenKind::Invitation, token);
    let (user, conv) = a
        .store
        .accept_with_new_account(&hash, a.now, account, a.client)
        .await?;
    announce(a.live, &conv).await;
    tracing::info!(user_id = %user, conversation_id = %conv, "registered through an invitation");
    Ok((user, conv))
}

/// Accepts for a patient who already has an account (signed in): the conversation with the
/// inviter opens in their messenger.
pub async fn accept_existing(
    a: Answering<'_>,
    token: &str,
    account: &UserId,
) -> Result<ConversationId, Error> {
    let hash = a.tokens.hash(TokenKind::Invitation, token);
    let conv = a
        .store
        .accept_with_existing_account(&hash, a.now, account, a.client)
        .await?;
    announce(a.live, &conv).await;
    Ok(conv)
}

/// The inviter's open messenger shows the new conversation at once. The change is committed,
/// so a failure is only logged: sockets catch up at their next event or reconnect.
async fn announce(live: &dyn LiveBus, conversation: &ConversationId) {
    let event = LiveEvent::Members {
        conversation: conversation.clone(),
    };
    if let Err(e) = live.publish(&event).await {
        tracing::warn!(error = %e, "live event not published");
    }
}
