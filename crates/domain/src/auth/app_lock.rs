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

use crate::error::Reason;
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
