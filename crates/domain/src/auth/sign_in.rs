//! Signing in, as one state machine. The password (`login::authenticate`) or the answer to an
//! invitation proves who someone is; what happens next depends on the account and the practice:
//!
//! ```text
//!   correct password ──► open                        (the practice asks nothing more)
//!                     ├─► waiting: second factor     (the account has an authenticator app
//!                     │                               or a passkey: it always uses it)
//!                     ├─► waiting: session code      (e-mailed; `session_code`)
//!                     └─► waiting: enrol             (the practice asks for an app or a
//!                                                     passkey and the account has neither)
//!   waiting ── the right answer ──► open, under a new session id
//! ```
//!
//! A waiting session opens nothing but its own page, so a messenger URL does not skip the
//! step. Answers to every second step (session code, app code, backup code, app-lock PIN) are
//! counted per account before they are checked, across sessions and nodes
//! (`throttle::second_step_key`).

use super::session_code::{self, SecondStep};
use super::throttle::{self, Throttle};
use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::mail::{Composer, OutboxBell};
use crate::ports::{
    AccountStore, AuditStore, PasskeyStore, PendingStage, SessionCodeStore, SessionDevice,
    SessionStore, ThrottleStore, TotpStore,
};
use crate::token::{Issued, TokenIssuer, TokenKind};
use crate::{Error, Timestamp, UserId};

/// What the sign-in use cases need besides their input.
#[derive(Clone, Copy)]
pub struct SigningIn<'a> {
    pub sessions: &'a dyn SessionStore,
    pub accounts: &'a dyn AccountStore,
    pub totp: &'a dyn TotpStore,
    pub passkeys: &'a dyn PasskeyStore,
    pub session_codes: &'a dyn SessionCodeStore,
    pub throttles: &'a dyn ThrottleStore,
    pub audit: &'a dyn AuditStore,
    pub tokens: &'a dyn TokenIssuer,
    /// Checks codes from authenticator apps.
    pub authenticator: &'a dyn super::totp::CodeCheck,
    /// Writes the session-code e-mail.
    pub composer: &'a dyn Composer,
    pub bell: &'a dyn OutboxBell,
    /// How long a session lasts.
    pub session_secs: i64,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
}

/// A new session for this browser: the token goes into its cookie, only the hash is stored.
#[derive(Debug)]
pub struct Begun {
    pub session: Issued,
    pub expires_at: Timestamp,
    /// `None`: signed in. Otherwise the step the session waits on.
    pub waiting: Option<PendingStage>,
}

/// What proved who is signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The password (or the answer to an invitation with it).
    Password,
    /// A new password through a link that was e-mailed to the account: the link proves the
    /// mailbox, as a session code would.
    MailedLink,
}

/// The step after the proof: the account's own app or passkey first (either is stronger than
/// an e-mailed code), else what the practice asks of this role; an e-mailed code is not asked
/// again of whoever just clicked an e-mailed link.
pub fn stage_after(
    proof: Proof,
    asked: Option<SecondStep>,
    has_factor: bool,
) -> Option<PendingStage> {
    if has_factor {
        return Some(PendingStage::SecondFactor);
    }
    match asked {
        Some(SecondStep::SessionCode) if proof == Proof::MailedLink => None,
        Some(SecondStep::SessionCode) => Some(PendingStage::SessionCode),
        Some(SecondStep::TwoFactor) => Some(PendingStage::Enrol),
        Some(SecondStep::None) | None => None,
    }
}

/// True when the account has an authenticator app or a passkey.
pub async fn has_second_factor(s: &SigningIn<'_>, account: &Account) -> Result<bool, Error> {
    Ok(s.totp.totp(&account.id).await?.is_some_and(|r| r.enabled)
        || !s.passkeys.passkeys(&account.id).await?.is_empty())
}

/// True when a correct password alone does not open the messenger for this account.
pub async fn needs_second_step(s: &SigningIn<'_>, account: &Account) -> Result<bool, Error> {
    let asked = s
        .accounts
        .practice()
        .await?
        .map(|p| p.second_step(account.role));
    Ok(stage_after(Proof::Password, asked, has_second_factor(s, account).await?).is_some())
}

/// Completes a proof: a session that is open, or that waits on the step the account or the
/// practice asks. For the session code, the first code is e-mailed (unless the
/// account has had its codes for the hour; the page then says when a new one can come).
/// `next_path` is where an accepted session code leads.
pub async fn begin(
    s: &SigningIn<'_>,
    account: &Account,
    proof: Proof,
    device: &SessionDevice,
    lang: &str,
    next_path: &str,
) -> Result<Begun, Error> {
    let practice = s.accounts.practice().await?;
    let asked = practice.as_ref().map(|p| p.second_step(account.role));
    let waiting = stage_after(proof, asked, has_second_factor(s, account).await?);
    let session = s.tokens.issue(TokenKind::Session)?;
    let expires_at = s.now.plus_seconds(s.session_secs);
    let begun = Begun {
        session,
        expires_at,
        waiting,
    };
    match waiting {
        None => {
            s.sessions
                .create_session(&begun.session.hash, &account.id, s.now, expires_at, device)
                .await?;
        }
        Some(PendingStage::SessionCode) if session_code::quota(s, account).await?.is_ok() => {
            let name = practice.map(|p| p.name).unwrap_or_default();
            session_code::send_first(s, &name, &begun, account, device, lang, next_path).await?;
        }
        Some(stage) => {
            s.sessions
                .create_pending_session(
                    &begun.session.hash,
                    &account.id,
                    s.now,
                    expires_at,
                    device,
                    stage,
                )
                .await?;
        }
    }
    Ok(begun)
}

/// A session that is open at once: a passkey with user verification is both steps, and a
/// new account has just proven its address.
pub async fn open(
    s: &SigningIn<'_>,
    user: &UserId,
    device: &SessionDevice,
) -> Result<Issued, Error> {
    let session = s.tokens.issue(TokenKind::Session)?;
    s.sessions
        .create_session(
            &session.hash,
            user,
            s.now,
            s.now.plus_seconds(s.session_secs),
            device,
        )
        .await?;
    Ok(session)
}

/// Counts one second-step answer for the account before it is checked: `Err(until)` while the
/// account must wait (audited), else the count with this answer in it.
pub async fn take_second_step(
    s: &SigningIn<'_>,
    account: &Account,
) -> Result<Result<Throttle, Timestamp>, Error> {
    let key = throttle::second_step_key(&account.id);
    let taken = s
        .throttles
        .take_attempt(&key, s.now, throttle::SECOND_STEP_FREE)
        .await?;
    if taken.is_err() {
        let rec = AuditRecord::new(s.now, Action::SecondStepThrottled, s.client)
            .actor(&account.id)
            .failed();
        s.audit.audit(&rec).await?;
    }
    Ok(taken)
}

/// After the right answer to a second step: the count of wrong answers starts again.
pub async fn forgive_second_step(s: &SigningIn<'_>, account: &Account) -> Result<(), Error> {
    Ok(s.throttles
        .clear_throttle(&throttle::second_step_key(&account.id))
        .await?)
}

/// Opens a session that waited on `stage` (once: a second answer finds it open and gets
/// `None`), under a new id.
pub async fn complete(
    s: &SigningIn<'_>,
    hash: &[u8],
    stage: PendingStage,
) -> Result<Option<Issued>, Error> {
    if !s
        .sessions
        .complete_pending_session(hash, s.now, stage)
        .await?
    {
        return Ok(None);
    }
    rotate(s, hash).await
}

/// Gives a session a new id, so a cookie value seen while it waited (a shared computer, a
/// log) opens nothing. `None` when the session is gone.
pub async fn rotate(s: &SigningIn<'_>, hash: &[u8]) -> Result<Option<Issued>, Error> {
    let fresh = s.tokens.issue(TokenKind::Session)?;
    Ok(s.sessions
        .rotate_session(hash, &fresh.hash)
        .await?
        .then_some(fresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASKED: [Option<SecondStep>; 4] = [
        None,
        Some(SecondStep::None),
        Some(SecondStep::SessionCode),
        Some(SecondStep::TwoFactor),
    ];

    #[test]
    fn an_own_app_or_passkey_always_comes_first() {
        for asked in ASKED {
            for proof in [Proof::Password, Proof::MailedLink] {
                assert_eq!(
                    stage_after(proof, asked, true),
                    Some(PendingStage::SecondFactor)
                );
            }
        }
    }

    #[test]
    fn without_one_the_practice_decides() {
        let after_password = ASKED.map(|a| stage_after(Proof::Password, a, false));
        assert_eq!(
            after_password,
            [
                None,
                None,
                Some(PendingStage::SessionCode),
                Some(PendingStage::Enrol)
            ]
        );
    }

    #[test]
    fn a_mailed_link_stands_in_for_the_mailed_code_but_not_for_an_app() {
        let after_link = ASKED.map(|a| stage_after(Proof::MailedLink, a, false));
        assert_eq!(after_link, [None, None, None, Some(PendingStage::Enrol)]);
    }
}
