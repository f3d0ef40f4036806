//! Slowing down password guessing, per login name and per client address, without ever locking
//! a patient out for good (a password reset always works and clears the count).
//!
//! ```text
//!   failure ─┐                         success (login name) or password reset
//!            v                          │
//!   count += 1 (a failure more than an hour after the previous one starts again at 1)
//!            │
//!   count <= free? ── yes ──> free to try again
//!            │ no
//!            v
//!   blocked until now + 30 s × 2^(count − free − 1), at most 15 minutes
//! ```
//! Five free failures per login name and twenty per client address (a practice's patients
//! may share one network). The login name is the typed e-mail address or username, so an
//! unknown account is throttled exactly like a known one and the answer reveals nothing.
//!
//! The second step (session code, authenticator code, backup code, app-lock PIN) is counted
//! the same way per account, across all its sessions and nodes: whoever knows a password may
//! open many pending sign-ins, but their wrong answers all land on one count. Each answer is
//! counted before it is checked ([`ThrottleStore::take_attempt`], one locked row), so
//! answers sent at the same moment cannot all slip past the count; a right answer clears it.
//! Session codes issued per account are counted the same way, so the mail cannot be flooded.
//!
//! [`ThrottleStore::take_attempt`]: crate::ports::ThrottleStore::take_attempt

use crate::Timestamp;

/// Free failures for one login name.
pub const PER_LOGIN_FREE: i64 = 5;
/// Free failures from one client address.
pub const PER_CLIENT_FREE: i64 = 20;
/// The first wait, doubled with each further failure.
pub const FIRST_WAIT_SECS: i64 = 30;
/// The longest wait.
pub const MAX_WAIT_SECS: i64 = 15 * 60;
/// Failures further apart than this are not counted together.
pub const WINDOW_SECS: i64 = 3600;

/// The failures recorded for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttle {
    pub failures: i64,
    pub last_failure: Option<Timestamp>,
    pub blocked_until: Option<Timestamp>,
}

impl Throttle {
    /// `Some(until)` while attempts must wait.
    pub fn blocked(&self, now: Timestamp) -> Option<Timestamp> {
        self.blocked_until.filter(|until| *until > now)
    }

    /// The record with one counted attempt taken back (it was right): the wait it started,
    /// if any, is lifted once the count is within `free` again.
    pub fn forgiven(self, free: i64) -> Throttle {
        let failures = (self.failures - 1).max(0);
        Throttle {
            failures,
            last_failure: self.last_failure,
            blocked_until: self.blocked_until.filter(|_| failures > free),
        }
    }

    /// The record after one more failure at `now`, with `free` failures allowed.
    pub fn after_failure(self, now: Timestamp, free: i64) -> Throttle {
        let recent = self
            .last_failure
            .is_some_and(|t| now.millis() - t.millis() <= WINDOW_SECS * 1000);
        let failures = if recent { self.failures + 1 } else { 1 };
        let blocked_until = if failures > free {
            let exp = (failures - free - 1).min(10);
            Some(now.plus_seconds((FIRST_WAIT_SECS << exp).min(MAX_WAIT_SECS)))
        } else {
            None
        };
        Throttle {
            failures,
            last_failure: Some(now),
            blocked_until,
        }
    }
}

/// Free wrong second-step answers per account (all methods and sessions together).
pub const SECOND_STEP_FREE: i64 = 5;
/// Session codes an account may be sent freely; the next one starts the waits (as above).
pub const SESSION_CODES_FREE: i64 = 10;

/// How many attempts someone who tries as often as the throttle lets them gets in the first
/// `secs` seconds, starting from a clean record (each refused attempt waits for the block).
pub fn most_attempts_within(secs: i64, free: i64) -> i64 {
    let start = Timestamp(0);
    let end = start.plus_seconds(secs);
    let (mut t, mut now, mut n) = (Throttle::default(), start, 0);
    while now < end {
        if let Some(until) = t.blocked(now) {
            now = until;
            continue;
        }
        t = t.after_failure(now, free);
        n += 1;
    }
    n
}

/// The throttle key of an account's second step.
pub fn second_step_key(user: &crate::UserId) -> String {
    format!("second_step:{user}")
}

/// The throttle key of the session codes sent to an account.
pub fn session_codes_key(user: &crate::UserId) -> String {
    format!("session_codes:{user}")
}

/// The throttle key of a login name: lower-cased and hashed by the caller, so no address is
/// stored in clear.
pub fn login_key(login_hash_hex: &str) -> String {
    format!("login:{login_hash_hex}")
}

pub fn client_key(address: &str) -> String {
    format!("client:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_000_000_000);

    fn fail(n: i64, free: i64, every_secs: i64) -> Throttle {
        (0..n).fold(Throttle::default(), |t, i| {
            t.after_failure(T0.plus_seconds(i * every_secs), free)
        })
    }

    #[test]
    fn five_free_failures_then_waits_that_double() {
        let t = fail(5, PER_LOGIN_FREE, 1);
        assert_eq!(t.blocked(T0.plus_seconds(5)), None);
        let t = t.after_failure(T0.plus_seconds(10), PER_LOGIN_FREE);
        assert_eq!(t.blocked(T0.plus_seconds(10)), Some(T0.plus_seconds(40)));
        assert_eq!(
            t.blocked(T0.plus_seconds(40)),
            None,
            "free again when the wait is over"
        );
        let t = t.after_failure(T0.plus_seconds(41), PER_LOGIN_FREE);
        assert_eq!(t.blocked_until, Some(T0.plus_seconds(41 + 60)));
    }

    #[test]
    fn waits_never_exceed_fifteen_minutes() {
        let t = fail(40, PER_LOGIN_FREE, 1);
        assert_eq!(t.blocked_until, Some(T0.plus_seconds(39 + MAX_WAIT_SECS)));
    }

    #[test]
    fn failures_an_hour_apart_start_again() {
        let t = fail(5, PER_LOGIN_FREE, 1)
            .after_failure(T0.plus_seconds(4 + WINDOW_SECS + 1), PER_LOGIN_FREE);
        assert_eq!((t.failures, t.blocked_until), (1, None));
    }

    #[test]
    fn someone_who_knows_the_password_gets_thirteen_answers_in_the_first_hour() {
        // 5 free, then waits of 30 s, 1, 2, 4, 8 and 15 minutes (twice) fit in the hour.
        assert_eq!(most_attempts_within(3600, SECOND_STEP_FREE), 13);
        // The README states the chance: at most two readings of a 6-digit code per answer.
        let per_hour = (13 * 2) as f64 / 1e6;
        assert!(per_hour < 1e-4, "{per_hour}");
    }

    /// The most attempts in any hour of a run of attempts, each made as soon as allowed
    /// after a pause of `pauses[i]` seconds (0: at once).
    fn busiest_hour(pauses: &[i64], free: i64) -> usize {
        let (mut t, mut now, mut times) = (Throttle::default(), T0, Vec::new());
        for pause in pauses {
            now = now.plus_seconds(*pause);
            if let Some(until) = t.blocked(now) {
                now = until;
            }
            t = t.after_failure(now, free);
            times.push(now.millis());
        }
        times
            .iter()
            .map(|start| {
                times
                    .iter()
                    .filter(|t| **t >= *start && **t < start + WINDOW_SECS * 1000)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn no_way_of_pausing_gets_more_than_thirteen_answers_in_any_hour() {
        // Waiting out the hour that starts the count again, at every point of the run: a
        // window cannot hold attempts from both sides of a pause longer than itself.
        for burst in 1..=14 {
            let mut pauses = Vec::new();
            for _ in 0..6 {
                pauses.extend(std::iter::repeat_n(0, burst));
                pauses.push(WINDOW_SECS + 1);
            }
            assert!(busiest_hour(&pauses, SECOND_STEP_FREE) <= 13, "{burst}");
        }
        // Pauses of every length from a second to two hours, repeated.
        for pause in (1..=7200).step_by(7) {
            let pauses: Vec<i64> = (0..60)
                .map(|i| if i % 3 == 0 { pause } else { 0 })
                .collect();
            assert!(busiest_hour(&pauses, SECOND_STEP_FREE) <= 13, "{pause}");
        }
    }

    #[test]
    fn a_client_address_gets_twenty() {
        assert_eq!(fail(20, PER_CLIENT_FREE, 1).blocked_until, None);
        assert!(fail(21, PER_CLIENT_FREE, 1).blocked_until.is_some());
    }
}
