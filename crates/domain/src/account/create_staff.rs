//! A new staff account: an administrator adds a provider, an assistant or another
//! administrator (the "Medewerkers" page, the JSON API, `spreekuur admin create-staff`). The
//! account, its set-password link, the e-mail with that link and the audit record are stored in
//! one transaction; the person chooses their own password and sets up their second step.

use crate::audit::{Action, AuditRecord};
use crate::error::Reason;
use crate::mail::{LetterKind, Letters};
use crate::ports::{AccountStore, LinkPurpose, NewLinkToken};
use crate::token::{TokenIssuer, TokenKind};
use crate::validate::{EmailAddress, PersonName};
use crate::{Error, FormError, Timestamp, UserId};

use super::{NewAccount, Role};

/// A set-password link is valid this long.
pub const PASSWORD_LINK_HOURS: i64 = 24;

/// The form as typed.
#[derive(Debug, Clone, Copy)]
pub struct StaffForm<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: Role,
    /// The language of the e-mail ("nl", "en").
    pub lang: &'a str,
}

/// The account made, and the link that sets its password (the command line prints it).
#[derive(Debug)]
pub struct NewStaff {
    pub id: UserId,
    pub link: String,
}

/// Adds a staff account. `actor` is the administrator (none from the command line); every
/// broken rule of the form is returned at once; a taken address is a `Conflict`.
#[allow(clippy::too_many_arguments)]
pub async fn create_staff(
    store: &dyn AccountStore,
    tokens: &dyn TokenIssuer,
    letters: Letters<'_>,
    actor: Option<&UserId>,
    form: &StaffForm<'_>,
    now: Timestamp,
    client: &str,
) -> Result<NewStaff, FormError> {
    let mut errs = Vec::new();
    let first = PersonName::parse("first_name", form.first_name)
        .map_err(|e| errs.push(e))
        .ok();
    let last = PersonName::parse("last_name", form.last_name)
        .map_err(|e| errs.push(e))
        .ok();
    let email = EmailAddress::parse(form.email)
        .map_err(|e| errs.push(e))
        .ok();
    let (Some(first_name), Some(last_name), Some(email)) = (first, last, email) else {
        return Err(FormError::Fields(errs));
    };
    if !form.role.is_staff() {
        return Err(FormError::Fields(vec![Error::invalid(
            "role",
            Reason::NotAllowed,
        )]));
    }
    let issued = tokens.issue(TokenKind::Link(LinkPurpose::SetPassword))?;
    let account = NewAccount {
        id: UserId::new(),
        role: form.role,
        email,
        username: None,
        first_name,
        last_name,
        password_hash: None,
        lang: form.lang.into(),
    };
    let link = NewLinkToken {
        hash: issued.hash,
        purpose: LinkPurpose::SetPassword,
        user: Some(account.id.clone()),
        created_at: now,
        expires_at: now.plus_seconds(PASSWORD_LINK_HOURS * 3600),
    };
    let url = letters.link(&format!("/password/{}", issued.token.as_str()));
    let mail = letters.write(
        &account.email,
        form.lang,
        LetterKind::SetPassword {
            first_name: account.first_name.as_str(),
            link: &url,
            valid_until: link.expires_at,
        },
    );
    let mut rec = AuditRecord::new(now, Action::StaffCreated, client).object(&account.id);
    if let Some(a) = actor {
        rec = rec.actor(a);
    }
    store
        .create_account(&account, Some(&link), Some(&mail), &rec)
        .await?;
    letters.bell.ring();
    Ok(NewStaff {
        id: account.id,
        link: url,
    })
}
