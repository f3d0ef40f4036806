//! "Sessiecode" (seed 004), done better than the seed: after the password, a 6-digit code is
//! e-mailed. Single use; valid 10 minutes; requesting a new one voids the old one; 5 wrong
//! tries void the code; a new code can be requested every 30 seconds.
//!
//! Where the seed fails its users, we do better: the e-mail and the screen say when the code
//! was requested and that only the newest works, and a code pasted with spaces, dashes, dots, a
//! stray seventh character around the six digits, or in full-width digits is accepted when its
//! six digits are right.

use zeroize::Zeroizing;

use super::sign_in::{self, Begun, SigningIn};
use super::throttle;
use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::mail::{LetterKind, Letters};
use crate::ports::{NewSessionCode, SessionCodeInfo, SessionDevice};
use crate::token::{Issued, TokenKind};
use crate::{Error, Timestamp};

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

/// What a typed session code came to.
#[derive(Debug)]
pub enum Entered {
    /// Signed in: the session has a new id; go on to `next_path`.
    Open {
        next_path: String,
        session: Option<Issued>,
    },
    /// Not six digits: nothing was checked and nothing counted.
    Unreadable,
    /// Too many wrong answers for the account: the next is possible at this time.
    Blocked(Timestamp),
    /// Refused; `blocked` when this answer used up the account's tries.
    Refused {
        problem: CodeProblem,
        blocked: Option<Timestamp>,
    },
}

/// Takes one of the account's session codes for this hour, or says when the next may be sent;
/// a refusal is audited.
pub async fn quota(s: &SigningIn<'_>, account: &Account) -> Result<Result<(), Timestamp>, Error> {
    let key = throttle::session_codes_key(&account.id);
    match s
        .throttles
        .take_attempt(&key, s.now, throttle::SESSION_CODES_FREE)
        .await?
    {
        Ok(_) => Ok(Ok(())),
        Err(until) => {
            let rec = AuditRecord::new(s.now, Action::SessionCodeLimited, s.client)
                .actor(&account.id)
                .failed();
            s.audit.audit(&rec).await?;
            Ok(Err(until))
        }
    }
}

/// When the account may be sent a new code, while it has had too many this hour.
pub async fn codes_blocked(
    s: &SigningIn<'_>,
    account: &Account,
) -> Result<Option<Timestamp>, Error> {
    Ok(s.throttles
        .throttle(&throttle::session_codes_key(&account.id))
        .await?
        .blocked(s.now))
}

/// A new code for the waiting session `session_hash`, its e-mail and audit record.
fn new_code(
    s: &SigningIn<'_>,
    practice: &str,
    session_hash: &[u8],
    account: &Account,
    lang: &str,
    next_path: &str,
) -> Result<(NewSessionCode, crate::mail::Outgoing, AuditRecord), Error> {
    let digits: Zeroizing<String> = s.tokens.code(b"0123456789", 6)?;
    let id = uuid::Uuid::now_v7().to_string();
    let code = NewSessionCode {
        code_hash: s.tokens.hash(TokenKind::SessionCode { id: &id }, &digits),
        id,
        session_hash: session_hash.to_vec(),
        user: account.id.clone(),
        requested_at: s.now,
        expires_at: s.now.plus_seconds(CODE_VALID_SECS),
        next_path: next_path.to_string(),
    };
    let letters = Letters {
        composer: s.composer,
        practice,
        public_url: "",
        bell: s.bell,
    };
    let mail = letters.write(
        &account.email,
        lang,
        LetterKind::SessionCode {
            first_name: account.first_name.as_str(),
            code: &digits,
            requested_at: s.now,
        },
    );
    let rec = AuditRecord::new(s.now, Action::SessionCodeSent, s.client)
        .actor(&account.id)
        .object(&code.id);
    Ok((code, mail, rec))
}

/// The first code of a sign-in (`sign_in::begin`, the quota taken): the waiting session, the
/// code and its e-mail in one transaction.
pub(super) async fn send_first(
    s: &SigningIn<'_>,
    practice: &str,
    begun: &Begun,
    account: &Account,
    device: &SessionDevice,
    lang: &str,
    next_path: &str,
) -> Result<(), Error> {
    let (code, mail, rec) = new_code(s, practice, &begun.session.hash, account, lang, next_path)?;
    s.session_codes
        .start_pending_session(begun.expires_at, device, &code, &mail, &rec)
        .await?;
    s.bell.ring();
    Ok(())
}

/// "Geen sessiecode ontvangen?": a new code for the waiting session (the old one stops
/// working), at most one per 30 seconds and the account's codes per hour; `Err(until)` says
/// when one can come.
pub async fn resend(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
    last: Option<&SessionCodeInfo>,
    lang: &str,
) -> Result<Result<(), Timestamp>, Error> {
    // The hour's quota is only taken when the 30 seconds are over.
    if let Some(at) = next_request_at(last.map(|c| c.requested_at)).filter(|at| *at > s.now) {
        return Ok(Err(at));
    }
    if let Err(until) = quota(s, account).await? {
        return Ok(Err(until));
    }
    let next_path = last.map_or("/messenger", |c| c.next_path.as_str());
    let practice = s.accounts.practice().await?.map(|p| p.name);
    let (code, mail, rec) = new_code(
        s,
        practice.as_deref().unwrap_or_default(),
        session_hash,
        account,
        lang,
        next_path,
    )?;
    s.session_codes
        .replace_session_code(&code, &mail, &rec)
        .await?;
    s.bell.ring();
    Ok(Ok(()))
}

/// "Doorgaan" with a typed code: counted for the account before it is checked (every session
/// and node shares the count); the right code opens the session under a new id.
pub async fn enter(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
    code: &SessionCodeInfo,
    input: &str,
) -> Result<Entered, Error> {
    let readings = candidates(input);
    if readings.is_empty() {
        return Ok(Entered::Unreadable);
    }
    let counted = match sign_in::take_second_step(s, account).await? {
        Ok(counted) => counted,
        Err(until) => return Ok(Entered::Blocked(until)),
    };
    let hashes: Vec<Vec<u8>> = readings
        .iter()
        .map(|r| s.tokens.hash(TokenKind::SessionCode { id: &code.id }, r))
        .collect();
    match s
        .session_codes
        .verify_session_code(session_hash, &code.id, &hashes, s.now, s.client)
        .await?
    {
        Ok(next_path) => {
            sign_in::forgive_second_step(s, account).await?;
            let session = sign_in::rotate(s, session_hash).await?;
            Ok(Entered::Open { next_path, session })
        }
        Err(problem) => Ok(Entered::Refused {
            problem,
            blocked: counted.blocked(s.now),
        }),
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
}
