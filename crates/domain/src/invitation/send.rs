//! The staff side of an invitation: invite, send again (a new link; the old one stops working)
//! and withdraw. The page, the JSON API and any later caller use these functions, so the rules,
//! the e-mail and the audit records are the same whichever way an invitation is made.

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::mail::{LetterKind, Letters, Outgoing};
use crate::ports::InvitationStore;
use crate::token::{TokenIssuer, TokenKind};
use crate::validate::EmailAddress;
use crate::{Error, FormError, InvitationId, Timestamp, UserId};

use super::NewInvitation;

/// What an invitation use case needs besides its input.
#[derive(Clone, Copy)]
pub struct Sending<'a> {
    pub store: &'a dyn InvitationStore,
    pub tokens: &'a dyn TokenIssuer,
    pub letters: Letters<'a>,
    /// Days a new link stays valid.
    pub valid_days: i64,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
}

/// The invitation form ("Patiënt uitnodigen") as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct InviteForm<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub note: &'a str,
    /// The language of the e-mail ("nl", "en").
    pub lang: &'a str,
}

/// Which way the invitation came in; the audit trail says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Page,
    Api,
}

/// Invites a patient: checks the form and the inviter's role, and stores the invitation, its
/// e-mail and the audit records in one transaction. Every broken rule of the form is returned
/// at once.
pub async fn invite(
    s: Sending<'_>,
    inviter: &Account,
    form: &InviteForm<'_>,
    channel: Channel,
) -> Result<NewInvitation, FormError> {
    if !inviter.role.may_invite() {
        return Err(Error::Forbidden.into());
    }
    let issued = s.tokens.issue(TokenKind::Invitation)?;
    let inv = NewInvitation::parse(
        inviter.id.clone(),
        form.first_name,
        form.last_name,
        form.email,
        form.note,
        form.lang,
        issued.hash,
        s.now,
        s.valid_days,
    )
    .map_err(FormError::Fields)?;
    let mail = invitation_mail(
        &s.letters,
        &inviter.display_name(),
        inv.first_name.as_str(),
        &inv.email,
        &inv.lang,
        &issued.token,
        inv.expires_at,
        inv.note.is_some(),
    );
    let record = |action| {
        AuditRecord::new(s.now, action, s.client)
            .actor(&inviter.id)
            .object(&inv.id)
    };
    let mut audit = vec![
        record(Action::InvitationCreated),
        record(Action::InvitationSent),
    ];
    if channel == Channel::Api {
        audit.push(record(Action::AccountCreatedByApi));
    }
    s.store.create_invitation(&inv, &mail, &audit).await?;
    s.letters.bell.ring();
    tracing::info!(invitation_id = %inv.id, "invitation created");
    Ok(inv)
}

/// Sends an open (or expired) invitation again with a new link; the old link stops working and
/// the validity starts again. An invitation that was answered or withdrawn is a conflict.
pub async fn resend(s: Sending<'_>, actor: &UserId, id: &InvitationId) -> Result<(), Error> {
    let inv = s.store.invitation(id).await?.ok_or(Error::NotFound)?;
    inv.check_resendable(s.now)?;
    let issued = s.tokens.issue(TokenKind::Invitation)?;
    let expires = s.now.plus_days(s.valid_days);
    let mail = invitation_mail(
        &s.letters,
        &inv.inviter_name,
        inv.first_name.as_str(),
        &inv.email,
        &inv.lang,
        &issued.token,
        expires,
        inv.note.is_some(),
    );
    let rec = AuditRecord::new(s.now, Action::InvitationResent, s.client)
        .actor(actor)
        .object(id);
    s.store
        .resend_invitation(id, &issued.hash, s.now, expires, &mail, &rec)
        .await?;
    s.letters.bell.ring();
    Ok(())
}

/// Withdraws an open invitation: its link stops working. An answered one is a conflict.
pub async fn withdraw(
    store: &dyn InvitationStore,
    actor: &UserId,
    id: &InvitationId,
    now: Timestamp,
    client: &str,
) -> Result<(), Error> {
    let inv = store.invitation(id).await?.ok_or(Error::NotFound)?;
    inv.check_withdrawable(now)?;
    let rec = AuditRecord::new(now, Action::InvitationWithdrawn, client)
        .actor(actor)
        .object(id);
    store.withdraw_invitation(id, now, &rec).await
}

/// The invitation e-mail with a fresh link.
#[allow(clippy::too_many_arguments)]
fn invitation_mail(
    letters: &Letters<'_>,
    inviter: &str,
    first_name: &str,
    to: &EmailAddress,
    lang: &str,
    token: &str,
    valid_until: Timestamp,
    has_note: bool,
) -> Outgoing {
    letters.write(
        to,
        lang,
        LetterKind::Invitation {
            inviter,
            first_name,
            link: &letters.link(&format!("/i/{token}")),
            valid_until,
            has_note,
        },
    )
}
