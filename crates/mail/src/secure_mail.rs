//! The notification of a secure e-mail (seed 003, in our own words): who sent it, the red
//! button "Open bericht", and how the message opens. Never its content, and its own subject
//! only where the practice allows it.

use spreekuur_domain::mail::Outgoing;
use spreekuur_domain::secure_mail::Method;
use spreekuur_domain::validate::EmailAddress;
use spreekuur_i18n::{Lang, fill};

use crate::compose::{Middle, html_page};

pub(crate) fn notification(
    lang: Lang,
    practice: &str,
    to: &EmailAddress,
    sender: &str,
    link: &str,
    subject: Option<&str>,
    method: Method,
) -> Outgoing {
    let t = lang.msgs();
    let body = fill(
        t.mail_secure_body,
        &[("sender", sender), ("practice", practice)],
    );
    let how = match method {
        Method::AccessCode => t.mail_secure_how_access_code,
        Method::Sms => t.mail_secure_how_sms,
        Method::EmailCode => t.mail_secure_how_email_code,
    }
    .to_string();
    let why = fill(t.mail_secure_why, &[("practice", practice)]);
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    let button = t.mail_secure_button;
    let subject = match subject {
        Some(s) => fill(
            t.mail_secure_subject_with,
            &[("practice", practice), ("subject", s)],
        ),
        None => fill(t.mail_secure_subject, &[("practice", practice)]),
    };
    let text = format!("{body}\n\n{button}: {link}\n\n{how}\n\n{why}\n\n-- \n{footer}\n");
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject,
        text,
        html: html_page(
            lang,
            &[body],
            Middle::RedButton(button, link),
            &[how, why],
            &footer,
        ),
    }
}

/// The e-mail with the code ("e-mailcode"), apart from the notification.
pub(crate) fn code_mail(
    lang: Lang,
    practice: &str,
    to: &EmailAddress,
    code: &str,
    valid_until: i64,
) -> Outgoing {
    let t = lang.msgs();
    let body = fill(t.mail_secure_code_body, &[("practice", practice)]);
    let valid = fill(
        t.mail_secure_code_valid,
        &[("time", &spreekuur_i18n::time_of_day(valid_until))],
    );
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject: fill(t.mail_secure_code_subject, &[("practice", practice)]),
        text: format!("{body}\n\n    {code}\n\n{valid}\n\n-- \n{footer}\n"),
        html: html_page(lang, &[body], Middle::Code(code), &[valid], &footer),
    }
}

/// To the sender: a recipient says the mobile number is not right. Which message and which
/// recipient, the link shows after signing in; the e-mail names neither.
pub(crate) fn wrong_number(
    lang: Lang,
    practice: &str,
    to: &EmailAddress,
    first_name: &str,
    link: &str,
) -> Outgoing {
    let t = lang.msgs();
    let greeting = fill(t.mail_greeting, &[("name", first_name)]);
    let body = t.mail_wrong_number_body.to_string();
    let footer = fill(t.mail_footer, &[("practice", practice)]);
    let button = t.mail_wrong_number_button;
    Outgoing {
        to: to.clone(),
        from_name: practice.to_string(),
        subject: t.mail_wrong_number_subject.to_string(),
        text: format!("{greeting}\n\n{body}\n\n{button}: {link}\n\n-- \n{footer}\n"),
        html: crate::compose::html_layout(lang, &[greeting, body], (button, link), &[], &footer),
    }
}

/// The text message with the code: the code, the practice and until when; nothing else.
pub(crate) fn sms_code(lang: Lang, practice: &str, code: &str, valid_until: i64) -> String {
    fill(
        lang.msgs().sms_secure_code,
        &[
            ("code", code),
            ("practice", practice),
            ("time", &spreekuur_i18n::time_of_day(valid_until)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to() -> EmailAddress {
        EmailAddress::parse("guest@example.test").unwrap()
    }

    #[test]
    fn the_notification_names_the_sender_and_not_the_subject_unless_allowed() {
        let m = notification(
            Lang::Nl,
            "Huisartsen <De Linde>",
            &to(),
            "Dr. <b>Jansen</b>",
            "https://spreekuur.test/m/abc",
            None,
            Method::AccessCode,
        );
        assert_eq!(m.subject, "Beveiligd bericht van Huisartsen <De Linde>");
        assert_eq!(m.from_name, "Huisartsen <De Linde>");
        assert!(
            m.text
                .contains("Dr. <b>Jansen</b> van Huisartsen <De Linde>")
        );
        assert!(
            m.text
                .contains("Open bericht: https://spreekuur.test/m/abc")
        );
        assert!(m.text.contains("Heeft u geen toegangscode ontvangen?"));
        assert!(m.html.contains("Dr. &lt;b&gt;Jansen&lt;/b&gt;"));
        assert!(!m.html.contains("<b>Jansen"));
        assert!(m.html.contains("#b3261e"));
        let with = notification(
            Lang::En,
            "De Linde",
            &to(),
            "Dr. Jansen",
            "https://spreekuur.test/m/abc",
            Some("Uitslag"),
            Method::Sms,
        );
        assert_eq!(with.subject, "Secure message from De Linde: Uitslag");
        let sms = sms_code(Lang::Nl, "De Linde", "123456", 1_780_000_600_000);
        assert!(sms.starts_with(
            "123456 is uw code om het beveiligde bericht van De Linde te openen. Geldig tot "
        ));
        let mail = code_mail(Lang::Nl, "De Linde", &to(), "123456", 1_780_000_600_000);
        assert!(mail.text.contains("    123456\n"));
        assert_eq!(
            mail.subject,
            "Uw code voor het beveiligde bericht van De Linde"
        );
        assert!(with.text.contains("by text message"));
    }
}
