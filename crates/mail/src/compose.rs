//! The e-mails of the journeys. Every text comes from the catalogue; every value inserted into
//! the HTML part is escaped, so a name like `<script>` arrives as text.

use spreekuur_domain::Timestamp;
pub use spreekuur_domain::mail::SecurityNotice;
use spreekuur_domain::mail::{Composer, Letter, LetterKind, Outgoing};
use spreekuur_domain::validate::EmailAddress;
use spreekuur_i18n::{Lang, fill};

/// The journeys' e-mails from the catalogue, in the recipient's language.
#[derive(Debug, Clone, Copy, Default)]
pub struct Catalogue;

impl Composer for Catalogue {
    fn sms_code(&self, lang: &str, practice: &str, code: &str, valid_until: Timestamp) -> String {
        let lang = Lang::parse(lang).unwrap_or_default();
        crate::secure_mail::sms_code(lang, practice, code, valid_until.millis())
    }

    fn compose(&self, l: &Letter<'_>) -> Outgoing {
        let lang = Lang::parse(l.lang).unwrap_or_default();
        let (practice, to) = (l.practice, l.to);
        match l.kind {
            LetterKind::Invitation {
                inviter,
                first_name,
                link,
                valid_until,
                has_note,
            } => invitation(&InvitationMail {
                lang,
                practice,
                inviter,
                first_name,
                to,
                link,
                valid_until: valid_until.millis(),
                has_note,
            }),
            LetterKind::SetPassword {
                first_name,
                link,
                valid_until,
            } => set_password(lang, practice, first_name, to, link, valid_until.millis()),
            LetterKind::PasswordReset {
                first_name,
                link,
                valid_until,
            } => password_reset(lang, practice, first_name, to, link, valid_until.millis()),
            LetterKind::Security {
                first_name,
                notice,
                link,
                at,
            } => security_notice(lang, practice, first_name, to, notice, link, at.millis()),
            LetterKind::Unread { link } => unread_notice(lang, practice, to, link),
            LetterKind::SessionCode {
                first_name,
                code,
                requested_at,
            } => session_code(lang, practice, first_name, to, code, requested_at.millis()),
            LetterKind::SecureMail {
                sender,
                link,
                subject,
                method,
            } => {
                crate::secure_mail::notification(lang, practice, to, sender, link, subject, method)
            }
            LetterKind::WrongNumber { first_name, link } => {
                crate::secure_mail::wrong_number(lang, practice, to, first_name, link)
            }
            LetterKind::SecureMailCode { code, valid_until } => {
                crate::secure_mail::code_mail(lang, practice, to, code, valid_until.millis())
            }
        }
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A simple, robust HTML layout: one column, large text, a green button that is a plain link.
/// What stands out in the middle of an e-mail: the green button, or a code in large type.
pub(crate) enum Middle<'a> {
    Button(&'a str, &'a str),
    /// The red button of a secure message's notification ("Open bericht", seed 003).
    RedButton(&'a str, &'a str),
    Code(&'a str),
}

pub(crate) fn html_layout(
    lang: Lang,
    paragraphs_before: &[String],
    button: (&str, &str),
    paragraphs_after: &[String],
    footer: &str,
) -> String {
    html_page(
        lang,
        paragraphs_before,
        Middle::Button(button.0, button.1),
        paragraphs_after,
        footer,
    )
}

pub(crate) fn html_page(
    lang: Lang,
    paragraphs_before: &[String],
    middle: Middle<'_>,
    paragraphs_after: &[String],
    footer: &str,
) -> String {
    // A long word (the fallback link's token) breaks rather than widening the mail on a phone.
    let p = |t: &String| {
        format!(
            "<p style=\"margin:0 0 16px 0;overflow-wrap:anywhere;word-break:break-word\">{}</p>",
            escape_html(t)
        )
    };
    let before: String = paragraphs_before.iter().map(p).collect();
    let after: String = paragraphs_after.iter().map(p).collect();
    let middle = match middle {
        Middle::Button(label, href) => format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"display:inline-block;background:#146c2e;color:#ffffff;text-decoration:none;font-weight:bold;padding:14px 24px;border-radius:6px\">{}</a></p>",
            escape_html(href),
            escape_html(label)
        ),
        Middle::RedButton(label, href) => format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"display:inline-block;background:#b3261e;color:#ffffff;text-decoration:none;font-weight:bold;padding:14px 24px;border-radius:6px\">{}</a></p>",
            escape_html(href),
            escape_html(label)
        ),
        Middle::Code(code) => format!(
            "<p style=\"margin:16px 0 24px;font-size:36px;font-weight:bold;letter-spacing:6px;font-family:Consolas,monospace\">{}</p>",
            escape_html(code)
        ),
    };
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"></head>\
<body style=\"margin:0;padding:24px;background:#f4f6f5;font-family:Arial,Helvetica,sans-serif;font-size:18px;line-height:1.5;color:#1a1a1a\">\
<div style=\"max-width:560px;margin:0 auto;background:#ffffff;padding:24px;border-radius:8px\">{before}{middle}{after}</div>\
<p style=\"max-width:560px;margin:16px auto 0;font-size:14px;color:#4a4a4a\">{footer}</p></body></html>",
        lang = lang.code(),
        footer = escape_html(footer),
    )
}

/// The invitation: "Hallo {voornaam}," and the green button "Uitnodiging accepteren".
pub struct InvitationMail<'a> {
    pub lang: Lang,
    pub practice: &'a str,
    pub inviter: &'a str,
    pub first_name: &'a str,
    pub to: &'a EmailAddress,
    pub link: &'a str,
    pub valid_until: i64,
    pub has_note: bool,
}

pub fn invitation(m: &InvitationMail<'_>) -> Outgoing {
    let t = m.lang.msgs();
    let greeting = fill(t.mail_greeting, &[("name", m.first_name)]);
    let body = fill(
        t.mail_invitation_body,
        &[("inviter", m.inviter), ("practice", m.practice)],
    );
    let valid = fill(
        t.mail_invitation_valid,
        &[("date", &spreekuur_i18n::date(m.lang, m.valid_until))],
    );
    let footer = fill(t.mail_footer, &[("practice", m.practice)]);
    let mut before = vec![greeting.clone(), body.clone()];
    if m.has_note {
        before.push(t.mail_invitation_note.to_string());
    }
    let after = vec![
        valid.clone(),
        t.mail_link_fallback.to_string(),
        m.link.to_string(),
    ];
    let text = format!(
        "{greeting}\n\n{body}\n\n{note}{button}:\n{link}\n\n{valid}\n\n-- \n{footer}\n",
        note = if m.has_note {
            format!("{}\n\n", t.mail_invitation_note)
        } else {
            String::new()
        },
        button = t.mail_invitation_button,
        link = m.link,
    );
    Outgoing {
        to: m.to.clone(),
        from_name: m.practice.to_string(),
        subject: fill(t.mail_invitation_subject, &[("practice", m.practice)]),
        text,
        html: html_layout(
            m.lang,
            &before,
            (t.mail_invitation_button, m.link),
            &after,
            &footer,
        ),
    }
}

/// A mail whose point is one single-use link: greeting, text, the button, its validity, the
/// link spelled out for who cannot click, and the footer.
struct LinkMail<'a> {
    subject: String,
    body: String,
    button: &'a str,
    valid: String,
}

fn link_mail(
    lang: Lang,
    practice: &str,
    first_name: &str,
    to: &EmailAddress,
    link: &str,
    m: LinkMail<'_>,
) -> Outgoing {
    let t = lang.msgs();
    let greeting = fill(t.mail_greeting, &[("name", first_name)]);
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    let text = format!(
        "{greeting}\n\n{}\n\n{}:\n{link}\n\n{}\n\n-- \n{footer}\n",
        m.body, m.button, m.valid
    );
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject: m.subject,
        text,
        html: html_layout(
            lang,
            &[greeting, m.body],
            (m.button, link),
            &[m.valid, t.mail_link_fallback.to_string(), link.to_string()],
            &footer,
        ),
    }
}

/// A link to set a password (new staff accounts).
pub fn set_password(
    lang: Lang,
    practice: &str,
    first_name: &str,
    to: &EmailAddress,
    link: &str,
    valid_until: i64,
) -> Outgoing {
    let t = lang.msgs();
    link_mail(
        lang,
        practice,
        first_name,
        to,
        link,
        LinkMail {
            subject: fill(t.mail_set_password_subject, &[("practice", practice)]),
            body: fill(t.mail_set_password_body, &[("practice", practice)]),
            button: t.mail_set_password_button,
            valid: fill(
                t.mail_set_password_valid,
                &[("date", &spreekuur_i18n::date_time(lang, valid_until))],
            ),
        },
    )
}

/// "Wachtwoord vergeten": the link to set a new password (single use, valid 1 hour).
pub fn password_reset(
    lang: Lang,
    practice: &str,
    first_name: &str,
    to: &EmailAddress,
    link: &str,
    valid_until: i64,
) -> Outgoing {
    let t = lang.msgs();
    link_mail(
        lang,
        practice,
        first_name,
        to,
        link,
        LinkMail {
            subject: fill(t.mail_reset_subject, &[("practice", practice)]),
            body: t.mail_reset_body.to_string(),
            button: t.mail_reset_button,
            valid: fill(
                t.mail_reset_valid,
                &[("date", &spreekuur_i18n::date_time(lang, valid_until))],
            ),
        },
    )
}

/// The notice of a change to how someone signs in, with what to do if they did not ask for it.
pub fn security_notice(
    lang: Lang,
    practice: &str,
    first_name: &str,
    to: &EmailAddress,
    notice: SecurityNotice,
    link: &str,
    at: i64,
) -> Outgoing {
    let t = lang.msgs();
    let (subject, body, not_you, button) = match notice {
        SecurityNotice::PasswordChanged => (
            t.mail_changed_subject,
            t.mail_changed_body,
            t.mail_changed_not_you,
            t.mail_changed_button,
        ),
        SecurityNotice::SignedOutEverywhere => (
            t.mail_signed_out_subject,
            t.mail_signed_out_body,
            t.mail_not_asked,
            t.mail_login_button,
        ),
        SecurityNotice::SecondStepReset => (
            t.mail_step_reset_subject,
            t.mail_step_reset_body,
            t.mail_not_asked,
            t.mail_login_button,
        ),
    };
    let greeting = fill(t.mail_greeting, &[("name", first_name)]);
    let body = fill(
        body,
        &[
            ("practice", practice),
            ("date", &spreekuur_i18n::date_time(lang, at)),
        ],
    );
    let not_you = not_you.to_string();
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    let text = format!("{greeting}\n\n{body}\n\n{not_you}\n{button}: {link}\n\n-- \n{footer}\n");
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject: fill(subject, &[("practice", practice)]),
        text,
        html: html_layout(
            lang,
            &[greeting, body, not_you],
            (button, link),
            &[],
            &footer,
        ),
    }
}

/// "There is a new message for you at the practice": nothing more. No content, no sender, and
/// not even the recipient's name, because an e-mail box is not a safe place for any of it.
pub fn unread_notice(lang: Lang, practice: &str, to: &EmailAddress, link: &str) -> Outgoing {
    let t = lang.msgs();
    let greeting = t.mail_unread_greeting.to_string();
    let body = fill(t.mail_unread_body, &[("practice", practice)]);
    let off = t.mail_unread_off.to_string();
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    let button = t.mail_unread_button;
    let text = format!("{greeting}\n\n{body}\n\n{button}: {link}\n\n{off}\n\n-- \n{footer}\n");
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject: fill(t.mail_unread_subject, &[("practice", practice)]),
        text,
        html: html_layout(lang, &[greeting, body], (button, link), &[off], &footer),
    }
}

/// The session code, with the time it was requested in the subject and the text (seed 004,
/// done better: the person can tell which of several e-mails is the newest).
pub fn session_code(
    lang: Lang,
    practice: &str,
    first_name: &str,
    to: &EmailAddress,
    code: &str,
    requested_at: i64,
) -> Outgoing {
    let t = lang.msgs();
    let time = spreekuur_i18n::time_of_day(requested_at);
    let greeting = fill(t.mail_greeting, &[("name", first_name)]);
    let valid = fill(t.mail_code_valid, &[("time", &time)]);
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    let text = format!(
        "{greeting}\n\n{}\n\n    {code}\n\n{valid}\n\n-- \n{footer}\n",
        t.mail_code_body
    );
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject: fill(
            t.mail_code_subject,
            &[("practice", practice), ("time", &time)],
        ),
        text,
        html: html_page(
            lang,
            &[greeting, t.mail_code_body.to_string()],
            Middle::Code(code),
            &[valid],
            &footer,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_html_and_kept_in_text() {
        let to = EmailAddress::parse("jan@example.nl").unwrap();
        let m = invitation(&InvitationMail {
            lang: Lang::Nl,
            practice: "Praktijk <b>",
            inviter: "Dr. <script>alert(1)</script>",
            first_name: "Jan\"",
            to: &to,
            link: "https://x.nl/i/abc?x=1&y=2",
            valid_until: 1_782_945_000_000,
            has_note: true,
        });
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("Dr. &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(m.html.contains("href=\"https://x.nl/i/abc?x=1&amp;y=2\""));
        // The fallback link, a long word, may break inside the card on a phone.
        assert!(m.html.contains(
            "overflow-wrap:anywhere;word-break:break-word\">https://x.nl/i/abc?x=1&amp;y=2</p>"
        ));
        assert!(m.html.contains(">Uitnodiging accepteren</a>"));
        assert!(m.text.contains("Hallo Jan\","));
        assert!(m.text.contains("https://x.nl/i/abc?x=1&y=2"));
        assert!(m.text.contains("2 juli 2026"));
        assert_eq!(
            m.subject,
            "Praktijk <b> nodigt je uit voor veilig berichtenverkeer"
        );
        assert_eq!(m.from_name, "Praktijk <b>");
    }

    #[test]
    fn english_on_request() {
        let to = EmailAddress::parse("jan@example.nl").unwrap();
        let m = invitation(&InvitationMail {
            lang: Lang::En,
            practice: "P",
            inviter: "I",
            first_name: "Jan",
            to: &to,
            link: "l",
            valid_until: 0,
            has_note: false,
        });
        assert!(m.html.contains(">Accept invitation</a>"));
        assert!(m.text.starts_with("Hello Jan,"));
    }

    #[test]
    fn the_composer_writes_in_the_letters_language_and_dutch_otherwise() {
        let to = EmailAddress::parse("jan@example.nl").unwrap();
        let letter = |lang| Letter {
            to: &to,
            lang,
            practice: "Praktijk Noord",
            kind: LetterKind::SessionCode {
                first_name: "Jan",
                code: "123456",
                requested_at: spreekuur_domain::Timestamp::from_millis(1_782_945_000_000),
            },
        };
        let en = Catalogue.compose(&letter("en"));
        assert!(en.text.starts_with("Hello Jan,"));
        assert!(en.text.contains("123456"));
        assert_eq!(en.from_name, "Praktijk Noord");
        let other = Catalogue.compose(&letter("xx"));
        assert!(other.text.starts_with("Hallo Jan,"));
        assert_eq!(other.to.as_str(), "jan@example.nl");
    }
}
