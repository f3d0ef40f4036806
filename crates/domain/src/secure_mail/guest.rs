//! The guest's side of a secure e-mail: the link in the notification leads to a copy, the
//! guest proves who they are, and a guest session keeps the thread open in that browser for a
//! while (30 minutes idle, 12 hours at most); later visits ask for the code again.

use crate::audit::{Action, AuditRecord};
use crate::auth::throttle::PER_CLIENT_FREE;
use crate::ports::{SecureMailStore, ThrottleStore};
use crate::token::{Issued, TokenIssuer, TokenKind};
use crate::{Error, RecipientId, Timestamp};

use super::code::{ACCESS_CODE_TRIES, access_code_lock_secs, normalise_access_code};
use super::{Copy, MailState, Method};

/// A guest session ends after this long without use …
pub const GUEST_IDLE_SECS: i64 = 30 * 60;
/// … and this long after it began, however it is used.
pub const GUEST_MAX_SECS: i64 = 12 * 3600;

/// What the guest pages need.
#[derive(Clone, Copy)]
pub struct Guest<'a> {
    pub store: &'a dyn SecureMailStore,
    /// Guesses are also counted per client address, across every link and node.
    pub throttles: &'a dyn ThrottleStore,
    pub tokens: &'a dyn TokenIssuer,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
}

/// Where a notification's link leads.
#[derive(Debug)]
pub enum Landing {
    /// The copy, still open: the page asks for its code.
    Open(Box<Copy>),
    /// The sender withdrew the message.
    Revoked,
    /// The message expired and its content is gone.
    Expired,
}

/// The throttle key of the codes guessed from one client address, on any secure e-mail.
fn guesses_key(client: &str) -> String {
    format!("guest_codes:{client}")
}

/// Counts a guess from this client address before it is checked: twenty free, then waits
/// that double (as the login does). `RateLimited` while the address must wait.
pub(crate) async fn count_guess(g: Guest<'_>) -> Result<(), Error> {
    match g
        .throttles
        .take_attempt(&guesses_key(g.client), g.now, PER_CLIENT_FREE)
        .await?
    {
        Ok(_) => Ok(()),
        Err(until) => Err(Error::rate_limited(until, g.now)),
    }
}

/// A right code was no guess: the address's count is given back.
pub(crate) async fn forgive_guess(g: Guest<'_>) -> Result<(), Error> {
    g.throttles
        .forgive_attempt(&guesses_key(g.client), PER_CLIENT_FREE)
        .await?;
    Ok(())
}

/// Follows a notification's link. An unknown link is `NotFound` and says nothing more.
pub async fn land(g: Guest<'_>, link: &str) -> Result<Landing, Error> {
    let hash = g.tokens.hash(TokenKind::SecureMailLink, link);
    let copy = g.store.copy_by_link(&hash).await?.ok_or(Error::NotFound)?;
    Ok(match copy.state(g.now) {
        MailState::Open => Landing::Open(Box::new(copy)),
        MailState::Revoked => Landing::Revoked,
        MailState::Expired => Landing::Expired,
    })
}

/// Checks an access code typed by the guest. The right one starts a guest session (its token
/// is returned, for the cookie); a wrong one is counted in the store, and the fifth locks the
/// copy for 15 minutes, doubling each time. While locked, no code is checked at all.
pub async fn enter_access_code(g: Guest<'_>, copy: &Copy, typed: &str) -> Result<Issued, Error> {
    if copy.method != Method::AccessCode {
        return Err(Error::NotFound);
    }
    if let Some(until) = copy.locked_until
        && until > g.now
    {
        return Err(Error::rate_limited(until, g.now));
    }
    count_guess(g).await?;
    let kind = TokenKind::AccessCode {
        recipient: copy.id.as_str(),
    };
    let typed = normalise_access_code(typed);
    let right = !typed.is_empty()
        && copy
            .access_code_hash
            .as_deref()
            .is_some_and(|stored| g.tokens.matches(kind, &typed, stored));
    if !right {
        let record = AuditRecord::new(g.now, Action::SecureMailCodeRefused, g.client)
            .object(&copy.id)
            .failed();
        let locked = g
            .store
            .access_code_failed(
                &copy.id,
                g.now,
                ACCESS_CODE_TRIES,
                access_code_lock_secs,
                &record,
            )
            .await?;
        return Err(match locked {
            Some(until) => Error::rate_limited(until, g.now),
            None => Error::BadCredentials,
        });
    }
    forgive_guess(g).await?;
    start_session(g, &copy.id).await
}

async fn start_session(g: Guest<'_>, copy: &RecipientId) -> Result<Issued, Error> {
    let session = g.tokens.issue(TokenKind::GuestSession)?;
    let record = AuditRecord::new(g.now, Action::SecureMailOpened, g.client).object(copy);
    g.store
        .open_copy(
            copy,
            &session.hash,
            g.now,
            g.now.plus_seconds(GUEST_MAX_SECS),
            &record,
        )
        .await?;
    Ok(session)
}

/// The copy a guest's session cookie is on, if the session lives and is on `copy` (a session
/// is for one thread only).
pub async fn session_on(
    g: Guest<'_>,
    cookie: Option<&str>,
    copy: &RecipientId,
) -> Result<bool, Error> {
    let Some(token) = cookie.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    let hash = g.tokens.hash(TokenKind::GuestSession, token);
    let on = g
        .store
        .guest_session(&hash, g.now, GUEST_IDLE_SECS * 1000)
        .await?;
    Ok(on.as_ref() == Some(copy))
}

/// "Is het telefoonnummer niet juist? Stel de afzender op de hoogte": the sender sees it on
/// the message's page and gets an e-mail without content. The guest never sees or changes
/// the number. Told once per copy; later reports change nothing.
pub async fn report_wrong_number(
    g: Guest<'_>,
    accounts: &dyn crate::ports::AccountStore,
    letters: crate::mail::Letters<'_>,
    copy: &Copy,
) -> Result<(), Error> {
    if copy.method != Method::Sms {
        return Err(Error::NotFound);
    }
    let sender = accounts
        .account(&copy.sender)
        .await?
        .ok_or(Error::NotFound)?;
    let link = letters.link(&format!("/secure-mail/{}", copy.mail));
    let mail = letters.write(
        &sender.email,
        &sender.lang,
        crate::mail::LetterKind::WrongNumber {
            first_name: sender.first_name.as_str(),
            link: &link,
        },
    );
    let record = AuditRecord::new(g.now, Action::SecureMailWrongNumber, g.client).object(&copy.id);
    if g.store
        .report_wrong_number(&copy.id, g.now, &mail, &record)
        .await?
    {
        letters.bell.ring();
    }
    Ok(())
}
