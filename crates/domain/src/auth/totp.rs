//! The authenticator app (TOTP, RFC 6238; seeds 001, 002 call it "tweefactorauthenticatie"):
//! turned on with a first code, which also shows ten backup codes once; from then on the
//! sign-in waits for a code from the app (each time step once) or a backup code (each once);
//! turning it off needs the password and a code. The secret is sealed in the store; the
//! arithmetic is the crypto crate's, behind `CodeCheck`.

use super::sign_in::{self, SigningIn};
use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::ports::PendingStage;
use crate::token::{Issued, TokenKind};
use crate::{Error, Timestamp};

/// Checks a code typed from an authenticator app.
pub trait CodeCheck: Send + Sync {
    /// The time step the typed code matches for `secret` (one step either side of `now`),
    /// if that step comes after `last_step`.
    fn verify(
        &self,
        secret: &[u8],
        input: &str,
        now: Timestamp,
        last_step: Option<i64>,
    ) -> Option<i64>;
}

/// Backup codes: 8 characters from an alphabet without look-alikes, shown as `k7m2-x9qa`.
pub const BACKUP_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
pub const BACKUP_CODES: usize = 10;

/// A typed backup code, as stored: lower case, separators dropped.
pub fn normalise_backup(input: &str) -> String {
    input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn backup_hash(s: &SigningIn<'_>, account: &Account, code: &str) -> Vec<u8> {
    s.tokens.hash(
        TokenKind::BackupCode { user: &account.id },
        &normalise_backup(code),
    )
}

/// What an answer on "Tweestapsverificatie" came to.
#[derive(Debug)]
pub enum Answer {
    /// Signed in under a new session id.
    Open(Issued),
    Wrong,
    /// Too many wrong answers for the account: the next is possible at this time.
    Blocked(Timestamp),
}

/// Checks a code from the app (each step once) or a backup code (each once).
pub async fn check(s: &SigningIn<'_>, account: &Account, input: &str) -> Result<bool, Error> {
    let Some(record) = s.totp.totp(&account.id).await?.filter(|r| r.enabled) else {
        return Ok(false);
    };
    if let Some(step) = s
        .authenticator
        .verify(&record.secret, input, s.now, record.last_step)
    {
        return Ok(s.totp.use_totp_step(&account.id, step).await?);
    }
    if normalise_backup(input).len() == 8 {
        return Ok(s
            .totp
            .use_backup_code(&account.id, &backup_hash(s, account, input), s.now)
            .await?);
    }
    Ok(false)
}

/// The second step with the app: counted for the account before it is checked; the right code
/// opens the waiting session under a new id. Audited either way.
pub async fn answer(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
    input: &str,
) -> Result<Answer, Error> {
    let counted = match sign_in::take_second_step(s, account).await? {
        Ok(counted) => counted,
        Err(until) => return Ok(Answer::Blocked(until)),
    };
    // A right code for a session that was completed meanwhile (a second tab) opens nothing.
    if check(s, account, input).await?
        && let Some(session) =
            sign_in::complete(s, session_hash, PendingStage::SecondFactor).await?
    {
        sign_in::forgive_second_step(s, account).await?;
        let rec = AuditRecord::new(s.now, Action::TwoFactorAccepted, s.client).actor(&account.id);
        s.audit.audit(&rec).await?;
        return Ok(Answer::Open(session));
    }
    let rec = AuditRecord::new(s.now, Action::TwoFactorRefused, s.client)
        .actor(&account.id)
        .failed();
    s.audit.audit(&rec).await?;
    Ok(match counted.blocked(s.now) {
        Some(until) => Answer::Blocked(until),
        None => Answer::Wrong,
    })
}

/// Turns the app on with its first code (the secret was stored by `begin_totp`); returns the
/// backup codes to show once, or `None` when the code was wrong.
pub async fn enable(
    s: &SigningIn<'_>,
    account: &Account,
    input: &str,
) -> Result<Option<Vec<String>>, Error> {
    let Some(record) = s.totp.totp(&account.id).await?.filter(|r| !r.enabled) else {
        return Err(Error::Conflict(crate::Reason::Api("already on")));
    };
    let Some(step) = s.authenticator.verify(&record.secret, input, s.now, None) else {
        return Ok(None);
    };
    let codes = (0..BACKUP_CODES)
        .map(|_| {
            let c = s.tokens.code(BACKUP_ALPHABET, 8)?;
            Ok(format!("{}-{}", &c[..4], &c[4..]))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| backup_hash(s, account, c)).collect();
    let rec = AuditRecord::new(s.now, Action::TwoFactorEnabled, s.client).actor(&account.id);
    s.totp.enable_totp(&account.id, step, &hashes, &rec).await?;
    Ok(Some(codes))
}

/// Turns the app off: needs the password (checked by the caller: `password_ok`) and a code
/// from the app or a backup code. Audited either way; false when refused.
pub async fn disable(
    s: &SigningIn<'_>,
    account: &Account,
    password_ok: bool,
    input: &str,
) -> Result<bool, Error> {
    if !password_ok || !check(s, account, input).await? {
        let rec = AuditRecord::new(s.now, Action::TwoFactorRefused, s.client)
            .actor(&account.id)
            .failed();
        s.audit.audit(&rec).await?;
        return Ok(false);
    }
    let rec = AuditRecord::new(s.now, Action::TwoFactorDisabled, s.client).actor(&account.id);
    s.totp.disable_totp(&account.id, &rec).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_codes_are_read_however_they_are_typed() {
        assert_eq!(normalise_backup("K7M2-X9QA"), "k7m2x9qa");
        assert_eq!(normalise_backup(" k7m2 x9qa\n"), "k7m2x9qa");
    }

    #[test]
    fn the_backup_alphabet_has_no_look_alikes() {
        for c in b"01ilo" {
            assert!(!BACKUP_ALPHABET.contains(c), "{}", char::from(*c));
        }
    }
}
