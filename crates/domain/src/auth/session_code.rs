//! "Sessiecode" (seed 004), done better than the seed: after the password, a 6-digit code is
//! e-mailed. Single use; valid 10 minutes; requesting a new one voids the old one; 5 wrong
//! tries void the code; a new code can be requested every 30 seconds.
//!
//! Where the seed fails its users, we do better: the e-mail and the screen say when the code
//! was requested and that only the newest works, and a code pasted with spaces, dashes, dots, a
//! stray seventh character around the six digits, or in full-width digits is accepted when its
//! six digits are right.

use crate::Timestamp;

pub const CODE_VALID_SECS: i64 = 600;
pub const MAX_ATTEMPTS: i64 = 5;
pub const RESEND_WAIT_SECS: i64 = 30;

/// The second step a practice asks after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStep {
    None,
    SessionCode,
    /// An authenticator app or a passkey; whoever has neither sets one up at sign-in.
    TwoFactor,
}

impl SecondStep {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondStep::None => "none",
            SecondStep::SessionCode => "session_code",
            SecondStep::TwoFactor => "two_factor",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(SecondStep::None),
            "session_code" => Some(SecondStep::SessionCode),
            "two_factor" => Some(SecondStep::TwoFactor),
            _ => None,
        }
    }
}

/// What happened to a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    Open,
    Used,
    /// A newer code was requested.
    Voided,
    /// Five wrong tries.
    Exhausted,
}

impl CodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeState::Open => "open",
            CodeState::Used => "used",
            CodeState::Voided => "voided",
            CodeState::Exhausted => "exhausted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => CodeState::Open,
            "used" => CodeState::Used,
            "voided" => CodeState::Voided,
            "exhausted" => CodeState::Exhausted,
            _ => return None,
        })
    }
}

/// Why a typed code did not sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Wrong digits; this many tries remain.
    Incorrect {
        attempts_left: i64,
    },
    Expired,
    /// A newer code was sent: only the newest works.
    Voided,
    /// Too many wrong tries.
    Exhausted,
    Used,
    /// No code was requested for this sign-in.
    Missing,
}

/// The code a person may still type at `now`, or why not.
pub fn check_open(
    state: CodeState,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), CodeProblem> {
    match state {
        CodeState::Used => Err(CodeProblem::Used),
        CodeState::Voided => Err(CodeProblem::Voided),
        CodeState::Exhausted => Err(CodeProblem::Exhausted),
        CodeState::Open if now >= expires_at => Err(CodeProblem::Expired),
        CodeState::Open => Ok(()),
    }
}

/// When a new code may be requested, if the last one was requested at `last`.
pub fn next_request_at(last: Option<Timestamp>) -> Option<Timestamp> {
    last.map(|t| t.plus_seconds(RESEND_WAIT_SECS))
}

/// A fresh code from six random bytes (uniform over 000000–999999 up to a negligible bias).
pub fn code_from_random(bytes: [u8; 8]) -> String {
    format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000)
}

/// The six-digit readings of what was typed or pasted: full-width digits count as digits,
/// everything that is not a digit is a separator, and a stray seventh digit at either end
/// gives two readings (both are checked as one attempt).
pub fn candidates(input: &str) -> Vec<String> {
    let digits: String = input
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '\u{FF10}'..='\u{FF19}' => char::from_digit(c as u32 - 0xFF10, 10),
            _ => None,
        })
        .collect();
    match digits.len() {
        6 => vec![digits],
        7 => vec![digits[..6].to_string(), digits[1..].to_string()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_codes_are_read_as_their_six_digits() {
        for input in [
            "123456",
            " 123456 ",
            "123 456",
            "123-456",
            "1 2 3 4 5 6",
            "12.34.56",
            "Code: 123456.",
            "\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}",
            "123\u{00A0}456\n",
        ] {
            assert_eq!(candidates(input), vec!["123456".to_string()], "{input:?}");
        }
    }

    #[test]
    fn a_stray_seventh_digit_gives_two_readings() {
        assert_eq!(
            candidates("1234567"),
            vec!["123456".to_string(), "234567".to_string()]
        );
    }

    #[test]
    fn too_few_or_too_many_digits_read_as_nothing() {
        assert!(candidates("12345").is_empty());
        assert!(candidates("12345678").is_empty());
        assert!(candidates("").is_empty());
    }

    #[test]
    fn codes_live_ten_minutes_and_only_while_open() {
        let at = Timestamp(1_000_000);
        let exp = at.plus_seconds(CODE_VALID_SECS);
        assert_eq!(
            check_open(CodeState::Open, exp, at.plus_seconds(599)),
            Ok(())
        );
        assert_eq!(
            check_open(CodeState::Open, exp, at.plus_seconds(600)),
            Err(CodeProblem::Expired)
        );
        assert_eq!(
            check_open(CodeState::Voided, exp, at),
            Err(CodeProblem::Voided)
        );
        assert_eq!(
            check_open(CodeState::Exhausted, exp, at),
            Err(CodeProblem::Exhausted)
        );
        assert_eq!(check_open(CodeState::Used, exp, at), Err(CodeProblem::Used));
        assert_eq!(next_request_at(Some(at)), Some(at.plus_seconds(30)));
    }

    #[test]
    fn codes_have_six_digits() {
        assert_eq!(code_from_random([0; 8]), "000000");
        assert_eq!(code_from_random(u64::MAX.to_le_bytes()).len(), 6);
    }
}
