//! What the sender does with a message after sending: "Intrekken" (withdraw it now; the page
//! then says the sender withdrew it), and the expiry that destroys the content of messages
//! past their date by deleting each one's own key.

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::ports::SecureMailStore;
use crate::{Error, SecureMailId, TeamId, Timestamp};

use super::MailState;
use super::reply::may_read;

/// Withdraws a message: its links open nothing any more, nobody can answer. The sender or a
/// member of the team it was sent as may; for anyone else it does not exist.
pub async fn revoke(
    store: &dyn SecureMailStore,
    now: Timestamp,
    client: &str,
    user: &Account,
    my_teams: &[TeamId],
    mail: &SecureMailId,
) -> Result<(), Error> {
    let thread = store.thread(mail).await?.ok_or(Error::NotFound)?;
    if !may_read(&thread, user, my_teams) {
        return Err(Error::NotFound);
    }
    match thread.state(now) {
        MailState::Open => {}
        MailState::Revoked => return Ok(()),
        MailState::Expired => return Err(Error::Expired),
    }
    let record = AuditRecord::new(now, Action::SecureMailRevoked, client)
        .actor(&user.id)
        .object(mail);
    store.revoke_secure_mail(mail, now, &record).await?;
    tracing::info!(secure_mail_id = %mail, "secure mail withdrawn");
    Ok(())
}

/// Destroys the content of every message past its expiry: its key is deleted (so what was
/// sealed with it can never be opened), the sealed subject and posts with it, and the guests'
/// sessions end. Returns how many messages expired; each is on the audit trail.
pub async fn expire(store: &dyn SecureMailStore, now: Timestamp) -> Result<u64, Error> {
    let n = store.destroy_expired_secure_mails(now).await?;
    if n > 0 {
        tracing::info!(messages = n, "secure mail content destroyed at expiry");
    }
    Ok(n)
}

/// What changing a recipient needs: the store, the token issuer, the letters and the time.
#[derive(Clone, Copy)]
pub struct Managing<'a> {
    pub store: &'a dyn SecureMailStore,
    pub tokens: &'a dyn crate::token::TokenIssuer,
    pub letters: crate::mail::Letters<'a>,
    pub now: Timestamp,
    pub client: &'a str,
    /// The notifications' language ("nl", "en").
    pub lang: &'a str,
}

/// What the sender does with one recipient.
#[derive(Debug, Clone)]
pub enum Change {
    /// "Opnieuw versturen": the notification again, with a new link.
    Resend,
    /// "Nieuwe toegangscode": a generated code replaces the old one (which stops working), the
    /// recipient opens with an access code from now on, and a lock is lifted.
    NewAccessCode,
    /// Switch to sms codes on this (validated) number.
    Sms(super::PhoneNumber),
}

/// Changes one recipient of an open message. Returns a new access code, to show once.
pub async fn change_recipient(
    m: Managing<'_>,
    user: &Account,
    my_teams: &[TeamId],
    mail: &SecureMailId,
    copy: &crate::RecipientId,
    change: Change,
) -> Result<Option<zeroize::Zeroizing<String>>, Error> {
    use crate::token::TokenKind;
    let thread = m.store.thread(mail).await?.ok_or(Error::NotFound)?;
    if !may_read(&thread, user, my_teams) {
        return Err(Error::NotFound);
    }
    let Some(view) = thread.copies.iter().find(|c| &c.id == copy) else {
        return Err(Error::NotFound);
    };
    match thread.state(m.now) {
        MailState::Open => {}
        MailState::Revoked => return Err(Error::Used),
        MailState::Expired => return Err(Error::Expired),
    }
    let record = |action| {
        AuditRecord::new(m.now, action, m.client)
            .actor(&user.id)
            .object(copy)
    };
    match change {
        Change::Resend => {
            let link = m.tokens.issue(TokenKind::SecureMailLink)?;
            let subject = m
                .store
                .practice_rules()
                .await?
                .subject_in_notice
                .then_some(thread.subject.as_deref())
                .flatten();
            let notice = m.letters.write(
                &view.email,
                m.lang,
                crate::mail::LetterKind::SecureMail {
                    sender: &user.display_name(),
                    link: &m.letters.link(&format!("/m/{}", link.token.as_str())),
                    subject,
                    method: view.method,
                },
            );
            m.store
                .resend_notice(
                    copy,
                    &link.hash,
                    &notice,
                    m.now,
                    &record(Action::SecureMailResent),
                )
                .await?;
            m.letters.bell.ring();
            Ok(None)
        }
        Change::NewAccessCode => {
            let code = m.tokens.code(
                super::code::ACCESS_CODE_ALPHABET,
                super::code::ACCESS_CODE_LEN,
            )?;
            let hash = m.tokens.hash(
                TokenKind::AccessCode {
                    recipient: copy.as_str(),
                },
                code.as_str(),
            );
            m.store
                .set_proof(
                    copy,
                    super::Method::AccessCode,
                    None,
                    Some(&hash),
                    &record(Action::SecureMailCodeChanged),
                )
                .await?;
            Ok(Some(zeroize::Zeroizing::new(
                super::code::show_access_code(code.as_str()),
            )))
        }
        Change::Sms(phone) => {
            m.store
                .set_proof(
                    copy,
                    super::Method::Sms,
                    Some(&phone),
                    None,
                    &record(Action::SecureMailCodeChanged),
                )
                .await?;
            Ok(None)
        }
    }
}
