//! Sms and e-mail codes ("Stuur mij de code"): six digits, valid ten minutes, single use; only
//! the newest works; five wrong tries per code; at most one a minute and five an hour per
//! recipient. The store counts the tries and the sends in the transaction that reads them, so
//! every node shares the counts. The guest never sees or changes the number.

use std::fmt;

use crate::audit::{Action, AuditRecord};
use crate::auth::session_code::{CodeProblem, candidates};
use crate::mail::{LetterKind, Letters, Outgoing};
use crate::token::{Issued, TokenKind};
use crate::{Error, RecipientId, Timestamp};

use super::code::{SENT_CODE_RESEND_SECS, SENT_CODE_VALID_SECS, SENT_CODES_PER_HOUR};
use super::guest::{GUEST_MAX_SECS, Guest};
use super::{Copy, Method, PhoneNumber};

/// A text message about to be queued.
#[derive(Clone)]
pub struct SmsOut {
    pub to: PhoneNumber,
    pub text: String,
}

/// Written by hand: the text holds a code.
impl fmt::Debug for SmsOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsOut").finish_non_exhaustive()
    }
}

/// How a code reaches the guest.
#[derive(Debug, Clone)]
pub enum Delivery {
    Sms(SmsOut),
    Mail(Outgoing),
}

/// A code about to be stored with the message that carries it.
#[derive(Debug, Clone)]
pub struct NewSentCode {
    pub id: String,
    pub copy: RecipientId,
    pub code_hash: Vec<u8>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub delivery: Delivery,
}

/// Whether another code may go out at `now`, given when this copy's codes of the last hour
/// went out: not within a minute of the last, and at most five an hour. `Err` says from when.
pub fn may_send(recent: &[Timestamp], now: Timestamp) -> Result<(), Timestamp> {
    let hour_ago = now.plus_seconds(-3600);
    let mut in_hour: Vec<Timestamp> = recent.iter().copied().filter(|t| *t > hour_ago).collect();
    in_hour.sort();
    if let Some(last) = in_hour.last() {
        let next = last.plus_seconds(SENT_CODE_RESEND_SECS);
        if next > now {
            return Err(next);
        }
    }
    if in_hour.len() as i64 >= SENT_CODES_PER_HOUR {
        return Err(in_hour[in_hour.len() - SENT_CODES_PER_HOUR as usize].plus_seconds(3600));
    }
    Ok(())
}

fn kind(copy: &RecipientId) -> TokenKind<'_> {
    TokenKind::SentCode {
        recipient: copy.as_str(),
    }
}

/// "Stuur mij de code": a new code by sms or e-mail (as the sender chose), which voids the
/// older ones. Too soon or too often is `RateLimited`.
pub async fn send_code(
    g: Guest<'_>,
    letters: Letters<'_>,
    copy: &Copy,
    lang: &str,
) -> Result<(), Error> {
    let code = g.tokens.code(b"0123456789", 6)?;
    let expires_at = g.now.plus_seconds(SENT_CODE_VALID_SECS);
    let delivery = match (copy.method, &copy.phone) {
        (Method::Sms, Some(phone)) => Delivery::Sms(SmsOut {
            to: phone.clone(),
            text: letters
                .composer
                .sms_code(lang, letters.practice, code.as_str(), expires_at),
        }),
        (Method::EmailCode, _) => Delivery::Mail(letters.write(
            &copy.email,
            lang,
            LetterKind::SecureMailCode {
                code: code.as_str(),
                valid_until: expires_at,
            },
        )),
        _ => return Err(Error::NotFound),
    };
    let new = NewSentCode {
        id: uuid::Uuid::now_v7().to_string(),
        copy: copy.id.clone(),
        code_hash: g.tokens.hash(kind(&copy.id), code.as_str()),
        created_at: g.now,
        expires_at,
        delivery,
    };
    let record = AuditRecord::new(g.now, Action::SecureMailCodeSent, g.client).object(&copy.id);
    g.store.issue_sent_code(&new, may_send, &record).await?;
    letters.bell.ring();
    Ok(())
}

/// Checks a sent code as typed (pasted with spaces, dashes or a stray digit is fine). The
/// right one starts a guest session; the answer says what was wrong otherwise.
pub async fn enter_sent_code(
    g: Guest<'_>,
    copy: &Copy,
    typed: &str,
) -> Result<Result<Issued, CodeProblem>, Error> {
    if !matches!(copy.method, Method::Sms | Method::EmailCode) {
        return Err(Error::NotFound);
    }
    super::guest::count_guess(g).await?;
    let hashes: Vec<Vec<u8>> = candidates(typed)
        .iter()
        .map(|c| g.tokens.hash(kind(&copy.id), c))
        .collect();
    let session = g.tokens.issue(TokenKind::GuestSession)?;
    let opened = AuditRecord::new(g.now, Action::SecureMailOpened, g.client).object(&copy.id);
    let refused = AuditRecord::new(g.now, Action::SecureMailCodeRefused, g.client)
        .object(&copy.id)
        .failed();
    let answer = g
        .store
        .answer_sent_code(
            &copy.id,
            &hashes,
            g.now,
            (&session.hash, g.now.plus_seconds(GUEST_MAX_SECS)),
            (&opened, &refused),
        )
        .await?;
    if answer.is_ok() {
        super::guest::forgive_guess(g).await?;
    }
    Ok(answer.map(|()| session))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_780_000_000_000);

    #[test]
    fn once_a_minute_and_five_times_an_hour() {
        assert_eq!(may_send(&[], T), Ok(()));
        assert_eq!(may_send(&[T.plus_seconds(-30)], T), Err(T.plus_seconds(30)));
        assert_eq!(may_send(&[T.plus_seconds(-60)], T), Ok(()));
        let five: Vec<Timestamp> = (1..=5).map(|i| T.plus_seconds(-600 * i)).collect();
        // The oldest of the five went out 50 minutes ago: the next may go in 10 minutes.
        assert_eq!(may_send(&five, T), Err(T.plus_seconds(600)));
        // Codes older than an hour do not count.
        let old: Vec<Timestamp> = (1..=5).map(|i| T.plus_seconds(-3600 - 60 * i)).collect();
        assert_eq!(may_send(&old, T), Ok(()));
    }
}
