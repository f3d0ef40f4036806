//! "Veilig mailen" from the staff side: compose and send. The rules of the form are in
//! `super`; this checks who sends, issues a link per recipient (and an access code where the
//! sender asked for a generated one), writes each notification, and stores it all at once.

use zeroize::Zeroizing;

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::mail::{LetterKind, Letters};
use crate::ports::SecureMailStore;
use crate::token::{TokenIssuer, TokenKind};
use crate::validate::{EmailAddress, parse_text};
use crate::{Error, RecipientId, SecureMailId, TeamId, Timestamp};

use super::code::{ACCESS_CODE_ALPHABET, ACCESS_CODE_LEN, show_access_code};
use super::{
    NewCopy, NewSecureMail, Proof, RecipientForm, TEXT_MAX, expires_at, parse_recipients,
    parse_subject,
};

/// What sending needs besides the form.
#[derive(Clone, Copy)]
pub struct Sending<'a> {
    pub store: &'a dyn SecureMailStore,
    pub tokens: &'a dyn TokenIssuer,
    pub letters: Letters<'a>,
    pub now: Timestamp,
    /// The client address, for the audit trail.
    pub client: &'a str,
    /// The practice's settings for secure e-mail.
    pub rules: Rules,
}

/// What the practice decides about secure e-mail.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Days until a message expires (0 = never).
    pub expiry_days: i64,
    /// Whether a code by e-mail is allowed (low-risk mail only).
    pub email_code: bool,
    /// Whether the notification may carry the message's own subject.
    pub subject_in_notice: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            expiry_days: super::DEFAULT_EXPIRY_DAYS,
            email_code: true,
            subject_in_notice: false,
        }
    }
}

/// The compose form as typed.
#[derive(Debug, Clone, Default)]
pub struct ComposeForm<'a> {
    pub subject: &'a str,
    pub text: &'a str,
    pub recipients: Vec<RecipientForm<'a>>,
    /// Send as this team (the sender must be a member); `None` sends as oneself.
    pub team: Option<TeamId>,
    /// The notifications' language ("nl", "en").
    pub lang: &'a str,
}

/// Why a compose form was refused: the form's own fields and the recipients' rows.
#[derive(Debug)]
pub enum ComposeError {
    Fields {
        form: Vec<Error>,
        rows: Vec<(usize, Error)>,
    },
    Failed(Error),
}

impl From<Error> for ComposeError {
    fn from(e: Error) -> Self {
        ComposeError::Failed(e)
    }
}

impl From<crate::StoreError> for ComposeError {
    fn from(e: crate::StoreError) -> Self {
        ComposeError::Failed(e.into())
    }
}

/// A sent message, with the access codes that were generated: shown to the sender once.
pub struct Sent {
    pub id: SecureMailId,
    pub codes: Vec<(EmailAddress, Zeroizing<String>)>,
}

impl std::fmt::Debug for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sent")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Sends a secure e-mail: every broken rule of the form at once; staff only; as a team only
/// by one of its members (`my_teams`).
pub async fn send(
    s: Sending<'_>,
    sender: &Account,
    my_teams: &[TeamId],
    form: &ComposeForm<'_>,
) -> Result<Sent, ComposeError> {
    if !sender.role.is_staff() {
        return Err(Error::Forbidden.into());
    }
    if let Some(team) = &form.team
        && !my_teams.contains(team)
    {
        return Err(Error::Forbidden.into());
    }
    let mut errors = Vec::new();
    let subject = parse_subject(form.subject).map_err(|e| errors.push(e)).ok();
    let text = match parse_text("text", form.text, TEXT_MAX) {
        Ok(t) if t.is_empty() => {
            errors.push(Error::invalid("text", crate::error::Reason::TextRequired));
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let recipients = parse_recipients(&form.recipients, s.rules.email_code);
    let (subject, text, recipients) = match (subject, text, recipients) {
        (Some(subject), Some(text), Ok(r)) if errors.is_empty() => (subject, text, r),
        (_, _, r) => {
            return Err(ComposeError::Fields {
                form: errors,
                rows: r.err().unwrap_or_default(),
            });
        }
    };
    let id = SecureMailId::new();
    let sender_name = sender.display_name();
    let shown_subject = s.rules.subject_in_notice.then_some(subject.as_str());
    let mut copies = Vec::with_capacity(recipients.len());
    let mut codes = Vec::new();
    for r in recipients {
        let copy_id = RecipientId::new();
        let link = s.tokens.issue(TokenKind::SecureMailLink)?;
        let (phone, code) = match r.proof {
            Proof::AccessCode(Some(code)) => (None, Some(Zeroizing::new(code))),
            Proof::AccessCode(None) => {
                let code = s.tokens.code(ACCESS_CODE_ALPHABET, ACCESS_CODE_LEN)?;
                codes.push((
                    r.email.clone(),
                    Zeroizing::new(show_access_code(code.as_str())),
                ));
                (None, Some(code))
            }
            Proof::Sms(phone) => (Some(phone), None),
            Proof::EmailCode => (None, None),
        };
        let method = match &phone {
            Some(_) => super::Method::Sms,
            None if code.is_some() => super::Method::AccessCode,
            None => super::Method::EmailCode,
        };
        let access_code_hash = code.map(|c| {
            s.tokens.hash(
                TokenKind::AccessCode {
                    recipient: copy_id.as_str(),
                },
                c.as_str(),
            )
        });
        let notice = s.letters.write(
            &r.email,
            form.lang,
            LetterKind::SecureMail {
                sender: &sender_name,
                link: &s.letters.link(&format!("/m/{}", link.token.as_str())),
                subject: shown_subject,
                method,
            },
        );
        copies.push(NewCopy {
            id: copy_id,
            email: r.email,
            line: r.line,
            method,
            phone,
            access_code_hash,
            link_hash: link.hash,
            notice,
        });
    }
    let audit: Vec<AuditRecord> = copies
        .iter()
        .map(|c| {
            AuditRecord::new(s.now, Action::SecureMailSent, s.client)
                .actor(&sender.id)
                .object(&c.id)
        })
        .collect();
    let new = NewSecureMail {
        id: id.clone(),
        sender: sender.id.clone(),
        team: form.team.clone(),
        subject,
        text,
        created_at: s.now,
        expires_at: expires_at(s.now, s.rules.expiry_days),
        lang: if form.lang == "en" { "en" } else { "nl" }.to_string(),
        copies,
    };
    s.store.create_secure_mail(&new, &audit).await?;
    s.letters.bell.ring();
    tracing::info!(secure_mail_id = %id, recipients = new.copies.len(), "secure mail sent");
    Ok(Sent { id, codes })
}
