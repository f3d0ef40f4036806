//! "Veilig mailen" (seed 003; DESIGN.md, "Secure e-mail"): a staff member sends a secure
//! message to anyone with an e-mail address. The recipient gets a notification without content
//! ("Open bericht"), proves who they are with an access code given out of band, an sms code or
//! an e-mailed code (`code`), reads the message on a secure page and may answer
//! ("Beantwoorden"). Everything a person wrote (subject, text, attachment names and contents,
//! addresses, phone numbers) is sealed with the key ring in the store.
//!
//! This module holds the rules of composing one (the subject, the recipients and how each
//! proves who they are, the expiry, the states a recipient's copy goes through); `send`,
//! `guest` and `reply` are the use cases.

pub mod code;
pub mod guest;
pub mod manage;
pub mod phone;
pub mod reply;
pub mod send;
pub mod sent_code;
mod thread;

pub use code::Method;
pub use phone::PhoneNumber;
pub use thread::{
    Author, Copy, CopyView, MailState, NewAuthor, NewCopy, NewPost, NewSecureMail, Overview, Post,
    Thread,
};

use crate::error::Reason;
use crate::validate::EmailAddress;
use crate::{Error, Timestamp};

/// The longest subject, in characters.
pub const SUBJECT_MAX: usize = 200;
/// The longest text, in characters.
pub const TEXT_MAX: usize = 100_000;
/// The most recipients (To and Cc together) of one secure mail.
pub const RECIPIENTS_MAX: usize = 1_000;
/// Days until a secure mail expires, unless the practice sets otherwise (0 = never).
pub const DEFAULT_EXPIRY_DAYS: i64 = 30;

/// A subject as typed: one line (a line break would be a header injection in the
/// notification), at most 200 characters, other control characters refused.
pub fn parse_subject(input: &str) -> Result<String, Error> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Error::invalid("subject", Reason::SubjectRequired));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid("subject", Reason::SubjectInvalid));
    }
    if s.chars().count() > SUBJECT_MAX {
        return Err(Error::invalid("subject", Reason::TextTooLong));
    }
    Ok(s.to_string())
}

/// Where a recipient's address stands on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    To,
    Cc,
}

/// One recipient as the sender chose: the address and how they prove who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: EmailAddress,
    pub line: Line,
    pub proof: Proof,
}

/// How this recipient opens the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// A code the sender passes on; `None` asks for a generated one.
    AccessCode(Option<String>),
    Sms(PhoneNumber),
    EmailCode,
}

impl Proof {
    pub fn method(&self) -> Method {
        match self {
            Proof::AccessCode(_) => Method::AccessCode,
            Proof::Sms(_) => Method::Sms,
            Proof::EmailCode => Method::EmailCode,
        }
    }
}

/// One recipient's row of the compose form, as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecipientForm<'a> {
    pub email: &'a str,
    pub cc: bool,
    /// "access_code", "sms" or "email_code".
    pub method: &'a str,
    /// For "access_code": the sender's own code; empty asks for a generated one.
    pub access_code: &'a str,
    /// For "sms".
    pub phone: &'a str,
}

/// Reads the recipients: every broken rule at once, each with its row; an address twice is
/// refused; the e-mail code only where the practice allows it.
pub fn parse_recipients(
    rows: &[RecipientForm<'_>],
    email_code_allowed: bool,
) -> Result<Vec<Recipient>, Vec<(usize, Error)>> {
    let mut errors = Vec::new();
    let mut out: Vec<Recipient> = Vec::new();
    let mut seen: Vec<EmailAddress> = Vec::new();
    if rows.is_empty() {
        errors.push((0, Error::invalid("email", Reason::EmailRequired)));
    }
    if rows.len() > RECIPIENTS_MAX {
        errors.push((0, Error::invalid("email", Reason::TooManyRecipients)));
        return Err(errors);
    }
    for (i, row) in rows.iter().enumerate() {
        let email = match EmailAddress::parse(row.email) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push((i, e));
                None
            }
        };
        let proof = match Method::parse(row.method) {
            Some(Method::AccessCode) if row.access_code.trim().is_empty() => {
                Ok(Proof::AccessCode(None))
            }
            Some(Method::AccessCode) => {
                code::parse_access_code(row.access_code).map(|c| Proof::AccessCode(Some(c)))
            }
            Some(Method::Sms) => PhoneNumber::parse(row.phone).map(Proof::Sms),
            Some(Method::EmailCode) if email_code_allowed => Ok(Proof::EmailCode),
            Some(Method::EmailCode) | None => Err(Error::invalid("method", Reason::NotAllowed)),
        };
        let proof = match proof {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push((i, e));
                None
            }
        };
        if let Some(email) = &email {
            if seen.contains(email) {
                errors.push((i, Error::invalid("email", Reason::RecipientTwice)));
                continue;
            }
            seen.push(email.clone());
        }
        if let (Some(email), Some(proof)) = (email, proof) {
            out.push(Recipient {
                email,
                line: if row.cc { Line::Cc } else { Line::To },
                proof,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// When a message sent at `now` expires with the practice's setting (`0` = never).
pub fn expires_at(now: Timestamp, days: i64) -> Option<Timestamp> {
    (days > 0).then(|| now.plus_seconds(days * 24 * 3600))
}

/// Where one recipient's copy stands, as the sender's overview shows it with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// "verzonden": the notification is in the outbox.
    Sent,
    /// "afgeleverd": the relay accepted the notification.
    Delivered,
    /// "niet afgeleverd": a bounce or a permanent failure.
    NotDelivered,
    /// "geopend": the recipient proved who they are and read it.
    Opened,
    /// "beantwoord".
    Replied,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::NotDelivered => "not_delivered",
            Status::Opened => "opened",
            Status::Replied => "replied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sent" => Status::Sent,
            "delivered" => Status::Delivered,
            "not_delivered" => Status::NotDelivered,
            "opened" => Status::Opened,
            "replied" => Status::Replied,
            _ => return None,
        })
    }

    /// The status after `event`: a copy only moves forward (a late delivery report does not
    /// turn "geopend" back into "afgeleverd"), except that a bounce is always told.
    pub fn after(self, event: Status) -> Status {
        match event {
            Status::NotDelivered if self < Status::Opened => Status::NotDelivered,
            _ => self.max(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(email: &'a str, method: &'a str) -> RecipientForm<'a> {
        RecipientForm {
            email,
            method,
            ..RecipientForm::default()
        }
    }

    #[test]
    fn a_subject_is_one_short_line() {
        assert_eq!(
            parse_subject("  Uitslag bloedonderzoek ").unwrap(),
            "Uitslag bloedonderzoek"
        );
        for (bad, reason) in [
            ("", Reason::SubjectRequired),
            (
                "Uitslag\r\nBcc: iedereen@example.test",
                Reason::SubjectInvalid,
            ),
            ("a\u{0}b", Reason::SubjectInvalid),
            (&"x".repeat(201), Reason::TextTooLong),
        ] {
            assert!(
                matches!(parse_subject(bad), Err(Error::Invalid { field: "subject", reason: r }) if r == reason),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn recipients_are_read_with_how_each_opens_it() {
        let rows = [
            RecipientForm {
                phone: "06 12 34 56 78",
                ..row("Jan@Example.test", "sms")
            },
            RecipientForm {
                cc: true,
                access_code: "geboorte-1951",
                ..row("marie@example.test", "access_code")
            },
            row("kees@example.test", "access_code"),
        ];
        let got = parse_recipients(&rows, false).unwrap();
        assert_eq!(got[0].email.as_str(), "jan@example.test");
        assert_eq!(got[0].line, Line::To);
        assert!(matches!(&got[0].proof, Proof::Sms(p) if p.as_str() == "+31612345678"));
        assert_eq!(got[1].line, Line::Cc);
        assert_eq!(got[1].proof, Proof::AccessCode(Some("GEBOORTE1951".into())));
        assert_eq!(got[2].proof, Proof::AccessCode(None));
    }

    #[test]
    fn every_broken_rule_is_named_with_its_row() {
        let rows = [
            row("geen-adres", "access_code"),
            RecipientForm {
                phone: "020 1234567",
                ..row("jan@example.test", "sms")
            },
            row("JAN@example.test", "access_code"),
            row("kees@example.test", "email_code"),
            row("piet@example.test", "fax"),
        ];
        let errs = parse_recipients(&rows, false).unwrap_err();
        let named: Vec<(usize, &str, Reason)> = errs
            .iter()
            .map(|(i, e)| match e {
                Error::Invalid { field, reason } => (*i, *field, *reason),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            named,
            [
                (0, "email", Reason::EmailInvalid),
                (1, "phone", Reason::PhoneInvalid),
                (2, "email", Reason::RecipientTwice),
                (3, "method", Reason::NotAllowed),
                (4, "method", Reason::NotAllowed),
            ]
        );
        assert!(parse_recipients(&[row("kees@example.test", "email_code")], true).is_ok());
        assert!(parse_recipients(&[], true).is_err());
    }

    #[test]
    fn a_copy_moves_forward_and_a_bounce_is_always_told() {
        use Status::*;
        assert_eq!(Sent.after(Delivered), Delivered);
        assert_eq!(Opened.after(Delivered), Opened);
        assert_eq!(Delivered.after(NotDelivered), NotDelivered);
        assert_eq!(Replied.after(NotDelivered), Replied);
        assert_eq!(NotDelivered.after(Opened), Opened);
        for s in [Sent, Delivered, NotDelivered, Opened, Replied] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn expiry_follows_the_practice_setting() {
        let now = Timestamp(1_780_000_000_000);
        assert_eq!(expires_at(now, 30), Some(now.plus_seconds(30 * 86_400)));
        assert_eq!(expires_at(now, 0), None);
    }
}
