//! E-mail as the journeys see it: a [`Letter`] says what to tell whom, a [`Composer`] (the
//! `mail` crate, from the catalogue) puts it into words, and the [`Outgoing`] result goes into
//! the outbox in the same transaction as the change it tells about.

use crate::Timestamp;
use crate::validate::EmailAddress;

/// What an e-mail says, before it is put into words.
#[derive(Clone, Copy)]
pub struct Letter<'a> {
    pub to: &'a EmailAddress,
    /// The recipient's language code ("nl", "en"); anything else is written in Dutch.
    pub lang: &'a str,
    /// The practice's name: the `From:` display name and the signature.
    pub practice: &'a str,
    pub kind: LetterKind<'a>,
}

/// The e-mails of the journeys. Links carry single-use tokens; none carries message content.
#[derive(Clone, Copy)]
pub enum LetterKind<'a> {
    /// "Hallo {voornaam}," and the button "Uitnodiging accepteren".
    Invitation {
        inviter: &'a str,
        first_name: &'a str,
        link: &'a str,
        valid_until: Timestamp,
        /// The inviter wrote a note, which waits in the messenger (never in the e-mail).
        has_note: bool,
    },
    /// A new staff account's link to set a password.
    SetPassword {
        first_name: &'a str,
        link: &'a str,
        valid_until: Timestamp,
    },
    /// "Wachtwoord vergeten": the link to set a new one.
    PasswordReset {
        first_name: &'a str,
        link: &'a str,
        valid_until: Timestamp,
    },
    /// A change to how someone signs in, told to them afterwards.
    Security {
        first_name: &'a str,
        notice: SecurityNotice,
        link: &'a str,
        at: Timestamp,
    },
    /// "There is a new message for you": no content, no sender, no name.
    Unread { link: &'a str },
    /// "Beveiligd bericht van {praktijk}": who sent it, the red button "Open bericht" and how
    /// to open it. No content; the message's own subject only where the practice allows it.
    SecureMail {
        sender: &'a str,
        link: &'a str,
        subject: Option<&'a str>,
        method: crate::secure_mail::Method,
    },
    /// To a secure e-mail's sender: a recipient says the mobile number is not right. No
    /// content, no address; the link opens the message's page.
    WrongNumber { first_name: &'a str, link: &'a str },
    /// The code that opens a secure e-mail ("e-mailcode"), sent apart from the notification.
    SecureMailCode {
        code: &'a str,
        valid_until: Timestamp,
    },
    /// The code of the second step, with the time it was asked for.
    SessionCode {
        first_name: &'a str,
        code: &'a str,
        requested_at: Timestamp,
    },
}

/// A change to how someone signs in, told to them afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityNotice {
    /// They set a new password ("Wachtwoord vergeten"); the link leads to that page again.
    PasswordChanged,
    /// An administrator signed them out everywhere; the link leads to the login.
    SignedOutEverywhere,
    /// An administrator reset their second step; the link leads to the login.
    SecondStepReset,
}

/// Puts a [`Letter`] into words (subject, text and HTML) in the recipient's language.
pub trait Composer: Send + Sync {
    fn compose(&self, letter: &Letter<'_>) -> Outgoing;
    /// The text message with a secure e-mail's code: the code, the practice's name and until
    /// when it is valid; nothing else.
    fn sms_code(&self, lang: &str, practice: &str, code: &str, valid_until: Timestamp) -> String;
}

#[derive(Clone)]
pub struct Outgoing {
    pub to: EmailAddress,
    /// The display name in `From:` (the practice's name).
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Wakes the outbox worker after a use case committed an e-mail to the outbox. The worker also
/// looks by itself now and then, so a lost ring only delays a mail.
pub trait OutboxBell: Send + Sync {
    fn ring(&self);
}

/// What a use case needs to send e-mail: who writes it, the practice that signs it, the address
/// links start with, and the bell of the outbox.
#[derive(Clone, Copy)]
pub struct Letters<'a> {
    pub composer: &'a dyn Composer,
    pub practice: &'a str,
    /// The public address without a trailing slash.
    pub public_url: &'a str,
    pub bell: &'a dyn OutboxBell,
}

/// `Letters` before the practice signs them: for a use case that reads the practice's name only
/// when it has something to send (`conversation::notify_unread`).
#[derive(Clone, Copy)]
pub struct Mailroom<'a> {
    pub composer: &'a dyn Composer,
    /// The public address without a trailing slash.
    pub public_url: &'a str,
    pub bell: &'a dyn OutboxBell,
}

impl<'a> Mailroom<'a> {
    /// Letters signed by `practice`.
    pub fn signed<'b>(self, practice: &'b str) -> Letters<'b>
    where
        'a: 'b,
    {
        Letters {
            composer: self.composer,
            practice,
            public_url: self.public_url,
            bell: self.bell,
        }
    }
}

impl Letters<'_> {
    /// A link into Spreekuur for an e-mail.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// Writes one e-mail, signed by the practice.
    pub fn write(&self, to: &EmailAddress, lang: &str, kind: LetterKind<'_>) -> Outgoing {
        self.composer.compose(&Letter {
            to,
            lang,
            practice: self.practice,
            kind,
        })
    }
}

/// Written by hand: addresses and bodies (which carry links with tokens) stay out of logs.
impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("text_len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// An outbox row as the worker and the development mailbox see it.
#[derive(Clone)]
pub struct OutboxItem {
    pub id: crate::OutboxId,
    pub mail: Outgoing,
    pub created_at: crate::Timestamp,
    pub attempts: i64,
    pub status: String,
}

impl std::fmt::Debug for OutboxItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxItem")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}
