//! "Toegangscode vergrendeling" (seeds 001, 002): on a device its owner marks as their own, a
//! 4-digit PIN (and optionally the device's fingerprint or face, through a passkey) locks the
//! messenger after a period without activity and whenever the browser is reopened.
//!
//! The state machine, per session (= device):
//!
//! ```text
//!   off ──enable(PIN)──▶ unlocked ──idle > lock_after, browser reopened, "lock now"──▶ locked
//!                          ▲                                                          │
//!                          └────────────── right PIN / passkey (failures = 0) ◀───────┤
//!                                                                                     │
//!                          signed out ◀──────────── 5th wrong PIN ────────────────────┘
//! ```
//!
//! "Reopened" is seen by the server: unlocking sets a browser-session cookie (no expiry) whose
//! keyed hash the session stores; a browser that was closed no longer sends it.

use base64::Engine;

use super::sign_in::{self, SigningIn};
use super::throttle;
use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::error::Reason;
use crate::token::{Issued, TokenKind};
use crate::{Error, Timestamp};

/// Wrong PINs after which the device is signed out and needs the full login.
pub const MAX_FAILURES: i64 = 5;
/// Minutes without activity before the lock, unless the practice sets otherwise.
pub const DEFAULT_LOCK_MINUTES: i64 = 5;
/// The range the practice may choose from.
pub const LOCK_MINUTES: std::ops::RangeInclusive<i64> = 1..=120;

/// The app lock of one session, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AppLock {
    /// Keyed hash of the PIN, bound to this session.
    pub pin_hash: Vec<u8>,
    /// Wrong PINs since the last unlock.
    pub failures: i64,
    /// Keyed hash of the unlock cookie of the current browser run; None while locked.
    pub unlock_key: Option<Vec<u8>>,
    /// The device's fingerprint or face (a passkey with user verification) may unlock too.
    pub biometric: bool,
}

impl std::fmt::Debug for AppLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppLock")
            .field("failures", &self.failures)
            .field("unlocked", &self.unlock_key.is_some())
            .field("biometric", &self.biometric)
            .finish_non_exhaustive()
    }
}

/// Why a session is locked now, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Locked before (idle, "lock now", or a wrong PIN) and not unlocked since.
    Still,
    /// This browser does not carry the cookie of the last unlock: it was closed and reopened.
    Reopened,
    /// No activity for longer than the practice allows.
    Idle,
}

/// Whether the session is locked at `now`. `cookie_key` is the keyed hash of the unlock cookie
/// this request carries; `last_seen` the session's last activity before this request.
pub fn locked(
    lock: &AppLock,
    cookie_key: Option<&[u8]>,
    last_seen: Timestamp,
    now: Timestamp,
    lock_minutes: i64,
) -> Option<Locked> {
    let Some(key) = &lock.unlock_key else {
        return Some(Locked::Still);
    };
    if cookie_key != Some(key.as_slice()) {
        return Some(Locked::Reopened);
    }
    if now.millis() - last_seen.millis() > lock_minutes * 60_000 {
        return Some(Locked::Idle);
    }
    None
}

/// The four digits of a PIN as typed (spaces around it are dropped), or why it is refused:
/// not four digits, or too easy to guess ("Zorg dat deze niet te gemakkelijk te raden is").
pub fn parse_pin(input: &str) -> Result<String, Error> {
    let pin: String = input.trim().to_string();
    if pin.len() != 4 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("pin", Reason::PinFormat));
    }
    if too_easy(&pin) {
        return Err(Error::invalid("pin", Reason::PinTooEasy));
    }
    Ok(pin)
}

/// Refuses the PINs people guess first: one digit four times (0000), runs up or down (1234,
/// 9876, also wrapping: 8901), two digits repeated (1212, 1122), a date-like year of the last
/// century or this one (19xx, 20xx), and the keypad's middle column (2580, 0852).
fn too_easy(pin: &str) -> bool {
    let d: Vec<i32> = pin.bytes().map(|b| i32::from(b - b'0')).collect();
    let steps: Vec<i32> = d.windows(2).map(|w| (w[1] - w[0]).rem_euclid(10)).collect();
    let run = steps.iter().all(|s| *s == steps[0]) && matches!(steps[0], 0 | 1 | 9);
    let pairs = (d[0] == d[2] && d[1] == d[3]) || (d[0] == d[1] && d[2] == d[3]);
    let year = pin.starts_with("19") || pin.starts_with("20");
    run || pairs || year || pin == "2580" || pin == "0852"
}

/// What a PIN on the lock screen, or in the form that turns the lock off, came to.
#[derive(Debug)]
pub enum PinAnswer {
    /// Right: for the lock screen, the unlock token of this browser run (`None`: the session
    /// ended meanwhile).
    Right(Option<Issued>),
    /// Wrong; this many tries are left on this device.
    Wrong { left: i64 },
    /// The last try: the device is signed out and needs the full login.
    SignedOut,
    /// Too many wrong second-step answers for the account: the next is possible at this time.
    Blocked(Timestamp),
}

/// The PIN's keyed hash, bound to the session it locks.
fn pin_hash(s: &SigningIn<'_>, session_hash: &[u8], pin: &str) -> Vec<u8> {
    let session = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session_hash);
    s.tokens
        .hash(TokenKind::AppLockPin { session: &session }, pin)
}

fn pin_matches(s: &SigningIn<'_>, session_hash: &[u8], pin: &str, lock: &AppLock) -> bool {
    let session = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session_hash);
    s.tokens.matches(
        TokenKind::AppLockPin { session: &session },
        pin.trim(),
        &lock.pin_hash,
    )
}

/// Turns the lock on for this session with a PIN typed twice, and the device's fingerprint or
/// face when asked for and the account has a passkey. Returns the unlock token for this
/// browser run (its cookie), or the broken rule: `pin` (format, too easy) or
/// `pin_confirmation` (not the same).
pub async fn enable(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
    pin: &str,
    confirmation: &str,
    biometric: bool,
) -> Result<Issued, Error> {
    let pin = parse_pin(pin)?;
    if confirmation.trim() != pin {
        return Err(Error::invalid("pin_confirmation", Reason::PinMismatch));
    }
    let biometric = biometric && !s.passkeys.passkeys(&account.id).await?.is_empty();
    let unlock = s.tokens.issue(TokenKind::Unlock)?;
    let rec = AuditRecord::new(s.now, Action::AppLockEnabled, s.client).actor(&account.id);
    s.sessions
        .enable_lock(
            session_hash,
            &pin_hash(s, session_hash, &pin),
            &unlock.hash,
            biometric,
            &rec,
        )
        .await?;
    Ok(unlock)
}

/// Counts a wrong PIN on this device; the fifth signs it out.
async fn wrong_pin(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
) -> Result<PinAnswer, Error> {
    let rec = AuditRecord::new(s.now, Action::AppLockRefused, s.client)
        .actor(&account.id)
        .failed();
    let failures = s
        .sessions
        .lock_failure(session_hash, MAX_FAILURES, &rec)
        .await?;
    if failures >= MAX_FAILURES {
        let rec = AuditRecord::new(s.now, Action::AppLockSignedOut, s.client).actor(&account.id);
        s.audit.audit(&rec).await?;
        return Ok(PinAnswer::SignedOut);
    }
    Ok(PinAnswer::Wrong {
        left: MAX_FAILURES - failures,
    })
}

/// Opens the lock for this browser run: the unlock token for its cookie (`None`: the session
/// ended meanwhile). For a right PIN, and for the device's passkey.
pub async fn open(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
) -> Result<Option<Issued>, Error> {
    let unlock = s.tokens.issue(TokenKind::Unlock)?;
    let rec = AuditRecord::new(s.now, Action::AppLockUnlocked, s.client).actor(&account.id);
    Ok(s.sessions
        .unlock(session_hash, &unlock.hash, &rec)
        .await?
        .then_some(unlock))
}

/// The PIN on the lock screen: counted for the account first, like every second-step answer;
/// a wrong one also counts on this device (the fifth signs it out).
pub async fn unlock(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
    lock: &AppLock,
    pin: &str,
) -> Result<PinAnswer, Error> {
    if let Err(until) = sign_in::take_second_step(s, account).await? {
        return Ok(PinAnswer::Blocked(until));
    }
    if !pin_matches(s, session_hash, pin, lock) {
        return wrong_pin(s, session_hash, account).await;
    }
    // A right PIN takes back its own attempt but leaves earlier wrong answers counted:
    // unlocking one's own device must not hand whoever guesses elsewhere a fresh set of free
    // answers.
    s.throttles
        .forgive_attempt(
            &throttle::second_step_key(&account.id),
            throttle::SECOND_STEP_FREE,
        )
        .await?;
    Ok(PinAnswer::Right(open(s, session_hash, account).await?))
}

/// Turns the lock off with the PIN (a wrong one counts as a try on this device).
pub async fn disable(
    s: &SigningIn<'_>,
    session_hash: &[u8],
    account: &Account,
    lock: &AppLock,
    pin: &str,
) -> Result<PinAnswer, Error> {
    if !pin_matches(s, session_hash, pin, lock) {
        return wrong_pin(s, session_hash, account).await;
    }
    let rec = AuditRecord::new(s.now, Action::AppLockDisabled, s.client).actor(&account.id);
    s.sessions.disable_lock(session_hash, &rec).await?;
    Ok(PinAnswer::Right(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(key: Option<&[u8]>) -> AppLock {
        AppLock {
            pin_hash: vec![1; 32],
            failures: 0,
            unlock_key: key.map(<[u8]>::to_vec),
            biometric: false,
        }
    }

    #[test]
    fn the_easiest_pins_are_refused() {
        for pin in [
            "0000", "1111", "1234", "4321", "0123", "9876", "8901", "1212", "1122", "1990", "2024",
            "2580", "0852",
        ] {
            assert!(
                matches!(
                    parse_pin(pin),
                    Err(Error::Invalid {
                        reason: Reason::PinTooEasy,
                        ..
                    })
                ),
                "{pin}"
            );
        }
        for pin in ["4739", "0815", "7351", " 5826 "] {
            assert_eq!(parse_pin(pin).ok(), Some(pin.trim().to_string()), "{pin}");
        }
    }

    #[test]
    fn a_pin_is_four_digits() {
        for pin in ["", "123", "12345", "12a4", "١٢٣٤", "4 73"] {
            assert!(
                matches!(
                    parse_pin(pin),
                    Err(Error::Invalid {
                        reason: Reason::PinFormat,
                        ..
                    })
                ),
                "{pin:?}"
            );
        }
    }

    #[test]
    fn locked_when_idle_reopened_or_not_unlocked() {
        let t0 = Timestamp::from_millis(1_000_000_000);
        let key: &[u8] = &[7; 32];
        let open = lock(Some(key));
        assert_eq!(locked(&open, Some(key), t0, t0.plus_seconds(300), 5), None);
        assert_eq!(
            locked(&open, Some(key), t0, t0.plus_seconds(301), 5),
            Some(Locked::Idle)
        );
        assert_eq!(
            locked(&open, None, t0, t0, 5),
            Some(Locked::Reopened),
            "a browser reopened has lost the cookie"
        );
        assert_eq!(
            locked(&open, Some(&[8; 32]), t0, t0, 5),
            Some(Locked::Reopened)
        );
        assert_eq!(
            locked(&lock(None), Some(key), t0, t0, 5),
            Some(Locked::Still)
        );
    }
}
