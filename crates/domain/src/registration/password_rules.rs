//! The five password rules of the seeds ("Gebruik ten minste 8 karakters", "… 1 kleine letter",
//! "… 1 hoofdletter", "… 1 cijfer", "… 1 speciaal teken"), plus one the seeds lack: a password
//! built on one of the most common passwords is refused, however it is decorated.
//!
//! The browser ticks the same rules live; this module is the authority when JavaScript is off.

use crate::Error;
use crate::error::Reason;

/// One of the five rules, in the order the page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    MinLength,
    Lowercase,
    Uppercase,
    Digit,
    Special,
}

impl Rule {
    pub const ALL: [Rule; 5] = [
        Rule::MinLength,
        Rule::Lowercase,
        Rule::Uppercase,
        Rule::Digit,
        Rule::Special,
    ];

    /// The catalogue key of the rule's line.
    pub fn key(self) -> &'static str {
        match self {
            Rule::MinLength => "password.rule_length",
            Rule::Lowercase => "password.rule_lower",
            Rule::Uppercase => "password.rule_upper",
            Rule::Digit => "password.rule_digit",
            Rule::Special => "password.rule_special",
        }
    }

    pub fn is_met(self, password: &str) -> bool {
        match self {
            Rule::MinLength => password.chars().count() >= MIN_LENGTH,
            Rule::Lowercase => password.chars().any(char::is_lowercase),
            Rule::Uppercase => password.chars().any(char::is_uppercase),
            Rule::Digit => password.chars().any(|c| c.is_ascii_digit()),
            Rule::Special => password.chars().any(is_special),
        }
    }
}

pub const MIN_LENGTH: usize = 8;
/// Long enough for any passphrase, short enough that hashing cannot be abused.
pub const MAX_LENGTH: usize = 256;

/// Anything that is not a letter, a digit or white space counts as special (`!`, `€`, `_`, …).
fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// The rules a password does not meet yet.
pub fn unmet(password: &str) -> Vec<Rule> {
    Rule::ALL
        .into_iter()
        .filter(|r| !r.is_met(password))
        .collect()
}

/// Checks a new password. The error's reason is a catalogue key: the first unmet rule, or
/// `password.too_common`, or `password.too_long`.
pub fn check(password: &str) -> Result<(), Error> {
    if password.chars().count() > MAX_LENGTH {
        return Err(Error::invalid("password", Reason::PasswordTooLong));
    }
    if let Some(rule) = unmet(password).first() {
        return Err(Error::invalid("password", Reason::PasswordRule(*rule)));
    }
    if is_too_common(password) {
        return Err(Error::invalid("password", Reason::PasswordTooCommon));
    }
    Ok(())
}

/// The shipped list: one lower-case word per line, the bases of the most used passwords
/// (international and Dutch). Attackers try these first, with digits and symbols around them.
const COMMON: &str = include_str!("common_passwords.txt");

/// True when the password, lower-cased and with digits, symbols and spaces stripped from both
/// ends, is one of the common bases ("Welkom01!" → "welkom"), or is itself on the list.
pub fn is_too_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let leet: String = core
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect();
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|w| w == lower || w == core || w == leet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_example_is_valid() {
        assert!(check("Woordje1!").is_ok());
        assert!(unmet("Woordje1!").is_empty());
    }

    #[test]
    fn each_rule_has_its_own_message() {
        let cases = [
            ("Wo1!", "password.rule_length"),
            ("WOORDJE1!", "password.rule_lower"),
            ("woordje1!", "password.rule_upper"),
            ("Woordjes!", "password.rule_digit"),
            ("Woordje12", "password.rule_special"),
        ];
        for (pw, key) in cases {
            match check(pw) {
                Err(Error::Invalid {
                    field: "password",
                    reason,
                }) => assert_eq!(reason.key(), key, "{pw}"),
                other => panic!("{pw}: {other:?}"),
            }
        }
    }

    #[test]
    fn rules_tick_one_by_one() {
        assert_eq!(unmet(""), Rule::ALL.to_vec());
        assert_eq!(
            unmet("a"),
            vec![Rule::MinLength, Rule::Uppercase, Rule::Digit, Rule::Special]
        );
        assert_eq!(unmet("aA1€aaaa"), vec![]);
    }

    #[test]
    fn common_passwords_are_refused_however_decorated() {
        for pw in [
            "Welkom01!",
            "Wachtwoord1!",
            "Password123!",
            "P@ssw0rd!",
            "!Qwerty2024",
            "Zomer2025!",
            "Voetbal1!",
        ] {
            assert!(
                matches!(
                    check(pw),
                    Err(Error::Invalid {
                        reason: Reason::PasswordTooCommon,
                        ..
                    })
                ),
                "{pw} should be too common"
            );
        }
    }

    #[test]
    fn uncommon_passwords_pass() {
        for pw in ["Woordje1!", "Fietsband-Lantaarn7", "Kw4rtel!Meer"] {
            assert!(check(pw).is_ok(), "{pw}");
        }
    }

    #[test]
    fn very_long_passwords_are_refused() {
        let pw = format!("Aa1!{}", "x".repeat(300));
        assert!(matches!(
            check(&pw),
            Err(Error::Invalid {
                reason: Reason::PasswordTooLong,
                ..
            })
        ));
    }
}
