//! "Beantwoorden": a guest answers in the thread, or a staff member does. A staff answer tells
//! every recipient with a new notification (a new link to the same thread); a guest's answer
//! shows as unread for the sender, or for every member of the team it was sent as.

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::mail::{LetterKind, Letters};
use crate::ports::SecureMailStore;
use crate::token::{TokenIssuer, TokenKind};
use crate::validate::parse_text;
use crate::{Error, RecipientId, SecureMailId, TeamId, Timestamp};

use super::{MailState, NewAuthor, NewPost, TEXT_MAX, Thread};

fn parse_reply(text: &str) -> Result<String, Error> {
    let text = parse_text("text", text, TEXT_MAX)?;
    if text.is_empty() {
        return Err(Error::invalid("text", crate::error::Reason::MessageEmpty));
    }
    Ok(text)
}

fn still_open(thread: &Thread, now: Timestamp) -> Result<(), Error> {
    match thread.state(now) {
        MailState::Open => Ok(()),
        MailState::Revoked => Err(Error::Used),
        MailState::Expired => Err(Error::Expired),
    }
}

/// Whether `user` may read and answer `thread`: its sender, or a member of the team it was
/// sent as (`my_teams`).
pub fn may_read(thread: &Thread, user: &Account, my_teams: &[TeamId]) -> bool {
    thread.is_sender(&user.id) || thread.team.as_ref().is_some_and(|t| my_teams.contains(t))
}

/// A guest answers in the thread of their copy.
pub async fn guest_reply(
    store: &dyn SecureMailStore,
    now: Timestamp,
    client: &str,
    mail: &SecureMailId,
    copy: &RecipientId,
    text: &str,
) -> Result<i64, Error> {
    let text = parse_reply(text)?;
    let thread = store.thread(mail).await?.ok_or(Error::NotFound)?;
    still_open(&thread, now)?;
    let record = AuditRecord::new(now, Action::SecureMailReplied, client).object(copy);
    let post = NewPost {
        mail: mail.clone(),
        author: NewAuthor::Guest(copy.clone()),
        text,
        at: now,
    };
    store.post_secure_mail(&post, &[], &record).await
}

/// What a staff answer needs to tell the recipients.
#[derive(Clone, Copy)]
pub struct Answering<'a> {
    pub store: &'a dyn SecureMailStore,
    pub tokens: &'a dyn TokenIssuer,
    pub letters: Letters<'a>,
    pub now: Timestamp,
    pub client: &'a str,
    /// The notifications' language ("nl", "en").
    pub lang: &'a str,
    pub subject_in_notice: bool,
}

/// A staff member answers: every recipient gets a new notification with a new link to the
/// same thread.
pub async fn staff_reply(
    a: Answering<'_>,
    user: &Account,
    my_teams: &[TeamId],
    mail: &SecureMailId,
    text: &str,
) -> Result<i64, Error> {
    let thread = a.store.thread(mail).await?.ok_or(Error::NotFound)?;
    if !may_read(&thread, user, my_teams) {
        return Err(Error::NotFound);
    }
    let text = parse_reply(text)?;
    still_open(&thread, a.now)?;
    let name = user.display_name();
    let subject = if a.subject_in_notice {
        thread.subject.as_deref()
    } else {
        None
    };
    let mut notices = Vec::with_capacity(thread.copies.len());
    for copy in &thread.copies {
        let link = a.tokens.issue(TokenKind::SecureMailLink)?;
        let mail = a.letters.write(
            &copy.email,
            a.lang,
            LetterKind::SecureMail {
                sender: &name,
                link: &a.letters.link(&format!("/m/{}", link.token.as_str())),
                subject,
                method: copy.method,
            },
        );
        notices.push((copy.id.clone(), link.hash, mail));
    }
    let record = AuditRecord::new(a.now, Action::SecureMailReplied, a.client)
        .actor(&user.id)
        .object(mail);
    let post = NewPost {
        mail: mail.clone(),
        author: NewAuthor::Staff(user.id.clone()),
        text,
        at: a.now,
    };
    let seq = a.store.post_secure_mail(&post, &notices, &record).await?;
    a.letters.bell.ring();
    Ok(seq)
}
