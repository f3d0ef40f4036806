//! "Wachtwoord vergeten" (seed 002): e-mail address → always the same reply → an e-mail with a
//! link (single use, valid 1 hour, the newest link voids older ones) → a new password with the
//! same five rules → every session of the account is signed out → a notification e-mail that
//! the password was changed.

use super::login::{PasswordCheck, login_name_key};
use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::error::Reason;
use crate::mail::{LetterKind, Letters, SecurityNotice};
use crate::ports::{AccountStore, LinkPurpose, NewLinkToken, ThrottleStore};
use crate::registration::password_rules;
use crate::token::{TokenIssuer, TokenKind};
use crate::validate::EmailAddress;
use crate::{Error, FormError, Timestamp, UserId};

/// How long a reset link works.
pub const LINK_VALID_SECS: i64 = 3600;
/// At most one reset e-mail per account per this many seconds (no mail bombing).
pub const MIN_SECS_BETWEEN_MAILS: i64 = 60;

/// What the password-link use cases need besides their input.
#[derive(Clone, Copy)]
pub struct Resetting<'a> {
    pub accounts: &'a dyn AccountStore,
    pub throttles: &'a dyn ThrottleStore,
    pub tokens: &'a dyn TokenIssuer,
    pub passwords: &'a dyn PasswordCheck,
    pub letters: Letters<'a>,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
}

/// "Wachtwoord vergeten": issues a reset link and queues its e-mail, if the address belongs
/// to an active account that was not sent one in the last minute. Says nothing either way:
/// the page answers the same for every address.
pub async fn request(r: Resetting<'_>, email: &EmailAddress, lang: &str) -> Result<(), Error> {
    let Some((account, _)) = r
        .accounts
        .account_for_login(email.as_str())
        .await?
        .filter(|(a, _)| a.active && a.email == *email)
    else {
        return Ok(());
    };
    let recent = r
        .accounts
        .latest_open_link(&account.id, LinkPurpose::PasswordReset, r.now)
        .await?
        .is_some_and(|at| r.now.millis() - at.millis() < MIN_SECS_BETWEEN_MAILS * 1000);
    if recent {
        return Ok(());
    }
    let issued = r
        .tokens
        .issue(TokenKind::Link(LinkPurpose::PasswordReset))?;
    let link = NewLinkToken {
        hash: issued.hash,
        purpose: LinkPurpose::PasswordReset,
        user: Some(account.id.clone()),
        created_at: r.now,
        expires_at: r.now.plus_seconds(LINK_VALID_SECS),
    };
    let mail = r.letters.write(
        &account.email,
        lang,
        LetterKind::PasswordReset {
            first_name: account.first_name.as_str(),
            link: &r
                .letters
                .link(&format!("/reset-password/{}", issued.token.as_str())),
            valid_until: link.expires_at,
        },
    );
    let rec = AuditRecord::new(r.now, Action::PasswordResetRequested, r.client).actor(&account.id);
    r.accounts.issue_link(&link, Some(&mail), &rec).await?;
    r.letters.bell.ring();
    Ok(())
}

/// A link's problem as the person reads it, on the field `token`.
fn link_error(e: Error) -> Error {
    match e {
        Error::Expired => Error::invalid("token", Reason::LinkExpired),
        Error::Used => Error::invalid("token", Reason::LinkUsed),
        Error::NotFound => Error::invalid("token", Reason::LinkUnknown),
        other => other,
    }
}

/// The account a password link (`purpose`: a new staff account's, or a reset's) is for, while
/// it works; else why not (expired, used, unknown).
pub async fn check_link(
    accounts: &dyn AccountStore,
    tokens: &dyn TokenIssuer,
    now: Timestamp,
    purpose: LinkPurpose,
    token: &str,
) -> Result<UserId, Error> {
    let hash = tokens.hash(TokenKind::Link(purpose), token);
    accounts
        .check_link(&hash, purpose, now)
        .await
        .map_err(link_error)?
        .ok_or_else(|| link_error(Error::NotFound))
}

/// Sets the password through a link, once: checks the five rules and the confirmation (every
/// broken rule at once), stores the hash, uses up the link, signs out the account's sessions
/// and, for a reset, queues the notice that the password was changed. A reset also ends any
/// wait that guessing caused. Returns the account, for the sign-in that follows.
pub async fn set_password(
    r: Resetting<'_>,
    purpose: LinkPurpose,
    token: &str,
    password: &str,
    confirmation: &str,
    lang: &str,
) -> Result<Account, FormError> {
    let user = check_link(r.accounts, r.tokens, r.now, purpose, token).await?;
    if let Err(e) = password_rules::check(password) {
        return Err(FormError::Fields(vec![e]));
    }
    if password != confirmation {
        return Err(FormError::Fields(vec![Error::invalid(
            "password_confirmation",
            Reason::PasswordMismatch,
        )]));
    }
    let phc = r.passwords.hash(password).await?;
    let account = r.accounts.account(&user).await?.ok_or(Error::NotFound)?;
    let (notice, action) = match purpose {
        LinkPurpose::PasswordReset => {
            let mail = r.letters.write(
                &account.email,
                lang,
                LetterKind::Security {
                    first_name: account.first_name.as_str(),
                    notice: SecurityNotice::PasswordChanged,
                    link: &r.letters.link("/forgot-password"),
                    at: r.now,
                },
            );
            (Some(mail), Action::PasswordReset)
        }
        _ => (None, Action::PasswordSet),
    };
    let hash = r.tokens.hash(TokenKind::Link(purpose), token);
    r.accounts
        .redeem_password_link(
            &hash,
            purpose,
            r.now,
            &phc,
            notice.as_ref(),
            AuditRecord::new(r.now, action, r.client),
        )
        .await
        .map_err(link_error)?;
    if notice.is_some() {
        r.letters.bell.ring();
    }
    for login in std::iter::once(account.email.as_str()).chain(account.username.as_deref()) {
        r.throttles
            .clear_throttle(&login_name_key(r.tokens, login))
            .await?;
    }
    Ok(account)
}
