//! How a guest proves who they are before a secure mail opens (seed 003, done better):
//!
//! - **toegangscode**: a code the sender passes on by post, phone or in person. Generated
//!   (8 characters from an alphabet without look-alikes: no 0/O, 1/I/L) or typed by the sender
//!   (at least 6 characters). Checked without regard to case, spaces or dashes, so "k7m2 x9qa"
//!   read out over the phone works as "K7M2-X9QA". After 5 wrong tries it locks for 15
//!   minutes, doubling; the sender sees the lock and can issue a new code.
//! - **sms-code** and **e-mailcode**: 6 digits, valid 10 minutes, single use, the newest voids
//!   older ones, 5 wrong tries per code; "Stuur mij de code" at most once a minute and 5 times
//!   an hour per recipient. Read like session codes (`auth::session_code::candidates`).

use crate::Error;
use crate::error::Reason;

/// The characters of a generated access code: no 0/O, 1/I/L, so it survives being read aloud
/// or copied from paper.
pub const ACCESS_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// The length of a generated access code (31^8 ≈ 8.5 × 10^11).
pub const ACCESS_CODE_LEN: usize = 8;
/// The shortest access code a sender may type.
pub const ACCESS_CODE_MIN: usize = 6;
/// The longest (a sentence is not a code).
pub const ACCESS_CODE_MAX: usize = 64;
/// Wrong access codes before the recipient's code locks.
pub const ACCESS_CODE_TRIES: i64 = 5;
/// The first lock after too many wrong access codes; each next lock doubles.
pub const ACCESS_CODE_LOCK_SECS: i64 = 15 * 60;

/// Sms and e-mail codes: six digits, valid ten minutes.
pub const SENT_CODE_VALID_SECS: i64 = 600;
/// Wrong tries per sent code.
pub const SENT_CODE_TRIES: i64 = 5;
/// "Stuur mij de code": at most once a minute …
pub const SENT_CODE_RESEND_SECS: i64 = 60;
/// … and this many times an hour per recipient.
pub const SENT_CODES_PER_HOUR: i64 = 5;

/// How a recipient proves who they are. The practice sets the default; the sender chooses
/// per recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    AccessCode,
    Sms,
    EmailCode,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::AccessCode => "access_code",
            Method::Sms => "sms",
            Method::EmailCode => "email_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "access_code" => Method::AccessCode,
            "sms" => Method::Sms,
            "email_code" => Method::EmailCode,
            _ => return None,
        })
    }
}

/// An access code as compared: upper case, only letters and digits.
pub fn normalise_access_code(input: &str) -> String {
    input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// An access code the sender typed: at least 6 letters or digits once separators are dropped;
/// anything else (control characters, other scripts) is refused rather than guessed at.
pub fn parse_access_code(input: &str) -> Result<String, Error> {
    let trimmed = input.trim();
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.')))
    {
        return Err(Error::invalid("access_code", Reason::AccessCodeInvalid));
    }
    let code = normalise_access_code(trimmed);
    if code.len() < ACCESS_CODE_MIN {
        return Err(Error::invalid("access_code", Reason::AccessCodeTooShort));
    }
    if code.len() > ACCESS_CODE_MAX {
        return Err(Error::invalid("access_code", Reason::AccessCodeInvalid));
    }
    Ok(code)
}

/// A generated access code as shown to the sender once: two groups of four ("K7M2-X9QA").
pub fn show_access_code(code: &str) -> String {
    if code.len() == ACCESS_CODE_LEN {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_string()
    }
}

/// How long an access code stays locked after its `locks`-th lock (1-based): 15 minutes,
/// then 30, 60, … at most a day.
pub fn access_code_lock_secs(locks: i64) -> i64 {
    let doublings = (locks.max(1) - 1).min(7);
    (ACCESS_CODE_LOCK_SECS << doublings).min(24 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_no_look_alikes() {
        for c in b"01OIL" {
            assert!(!ACCESS_CODE_ALPHABET.contains(c), "{}", char::from(*c));
        }
        assert_eq!(ACCESS_CODE_ALPHABET.len(), 31);
    }

    #[test]
    fn a_code_read_aloud_or_pasted_matches() {
        assert_eq!(normalise_access_code("k7m2 x9qa"), "K7M2X9QA");
        assert_eq!(normalise_access_code(" K7M2-X9QA\n"), "K7M2X9QA");
        assert_eq!(show_access_code("K7M2X9QA"), "K7M2-X9QA");
    }

    #[test]
    fn typed_codes_have_at_least_six_characters_and_nothing_odd() {
        assert_eq!(
            parse_access_code(" geboorte-1951 ").unwrap(),
            "GEBOORTE1951"
        );
        assert!(matches!(
            parse_access_code("ab-12"),
            Err(Error::Invalid {
                reason: Reason::AccessCodeTooShort,
                ..
            })
        ));
        for odd in ["abc\r\ndef", "abc<def>", "ééééééé", "a".repeat(65).as_str()] {
            assert!(
                matches!(
                    parse_access_code(odd),
                    Err(Error::Invalid {
                        reason: Reason::AccessCodeInvalid,
                        ..
                    })
                ),
                "{odd:?}"
            );
        }
    }

    #[test]
    fn locks_double_from_a_quarter_of_an_hour_to_at_most_a_day() {
        assert_eq!(access_code_lock_secs(1), 900);
        assert_eq!(access_code_lock_secs(2), 1800);
        assert_eq!(access_code_lock_secs(3), 3600);
        assert_eq!(access_code_lock_secs(20), 24 * 3600);
    }

    #[test]
    fn methods_round_trip() {
        for m in [Method::AccessCode, Method::Sms, Method::EmailCode] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("post"), None);
    }
}
