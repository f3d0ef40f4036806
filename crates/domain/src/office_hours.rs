//! Office hours (seed 001): the messenger is open 24 hours a day, but messages are answered
//! during office hours only, and it is not for emergencies. The practice sets opening hours per
//! weekday and closed days; outside them a patient sees, before sending, when the next opening
//! is and the emergency text ("Niet voor spoed: bel bij spoed de huisartsenpost of 112").
//!
//! Days are counted in the practice's own calendar (Europe/Amsterdam) by the adapter, as days
//! since 1970-01-01; the rules here need no time zone.

use crate::Error;
use crate::error::Reason;

/// The emergency text a new practice starts with.
pub const DEFAULT_EMERGENCY_TEXT: &str = "Niet voor spoed: bel bij spoed de huisartsenpost of 112.";

/// A moment in the practice's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMoment {
    /// Days since 1970-01-01 in the local calendar.
    pub day: i64,
    /// Minutes since local midnight.
    pub minute: u16,
}

/// The weekday of a day since 1970-01-01: 0 is Monday (1970-01-01 was a Thursday).
pub fn weekday(day: i64) -> usize {
    usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0)
}

/// Days since 1970-01-01 of a calendar date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day since 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Opening and closing minute per weekday, Monday first; None: closed that day.
pub type Week = [Option<(u16, u16)>; 7];

/// The practice's hours. With no hours set at all the messenger shows no banner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeHours {
    /// Monday first: opening and closing minute, or None when closed all day.
    pub week: Week,
    /// Days (since 1970-01-01) the practice is closed, such as public holidays.
    pub closed_days: Vec<i64>,
}

/// Whether a message sent now is answered soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Within office hours, or no hours set.
    Open,
    /// Closed; the next opening within two weeks, if any.
    Closed { next: Option<LocalMoment> },
}

impl OfficeHours {
    pub fn is_set(&self) -> bool {
        self.week.iter().any(Option::is_some)
    }

    pub fn availability(&self, now: LocalMoment) -> Availability {
        if !self.is_set() {
            return Availability::Open;
        }
        for ahead in 0..15 {
            let day = now.day + ahead;
            if self.closed_days.contains(&day) {
                continue;
            }
            let Some((from, until)) = self.week[weekday(day)] else {
                continue;
            };
            if ahead == 0 {
                if now.minute >= from && now.minute < until {
                    return Availability::Open;
                }
                if now.minute >= until {
                    continue;
                }
            }
            return Availability::Closed {
                next: Some(LocalMoment { day, minute: from }),
            };
        }
        Availability::Closed { next: None }
    }

    /// One weekday's hours as typed: "08:00-17:00" (also "8:00 – 17:00"), or empty for closed.
    pub fn parse_day(input: &str) -> Result<Option<(u16, u16)>, Error> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let bad = || Error::invalid("office_hours", Reason::OfficeHoursFormat);
        let (a, b) = s.split_once(['-', '–', '—']).ok_or_else(bad)?;
        let minute = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once([':', '.'])?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (from, until) = (minute(a).ok_or_else(bad)?, minute(b).ok_or_else(bad)?);
        if from >= until {
            return Err(bad());
        }
        Ok(Some((from, until)))
    }

    /// A week typed as seven days (Monday first), each as `parse_day` takes it; the first day
    /// refused (0 is Monday) with why.
    pub fn parse_week(days: [&str; 7]) -> Result<Week, (usize, Error)> {
        let mut week = [None; 7];
        for (i, typed) in days.into_iter().enumerate() {
            week[i] = Self::parse_day(typed).map_err(|e| (i, e))?;
        }
        Ok(week)
    }

    /// Closed days, one date (yyyy-mm-dd) per line; empty lines are skipped.
    pub fn parse_closed_days(input: &str) -> Result<Vec<i64>, Error> {
        let bad = || Error::invalid("closed_days", Reason::ClosedDaysFormat);
        let mut days = Vec::new();
        for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split('-').collect();
            let [y, m, d] = parts.as_slice() else {
                return Err(bad());
            };
            let (y, m, d): (i64, u32, u32) = (
                y.parse().map_err(|_| bad())?,
                m.parse().map_err(|_| bad())?,
                d.parse().map_err(|_| bad())?,
            );
            let max_day = match m {
                2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                1..=12 => 31,
                _ => return Err(bad()),
            };
            if !(1900..=2200).contains(&y) || d == 0 || d > max_day {
                return Err(bad());
            }
            days.push(days_from_civil(y, m, d));
        }
        days.sort_unstable();
        days.dedup();
        Ok(days)
    }

    /// "08:00-17:00" for a weekday's hours (empty when closed).
    pub fn format_day(hours: Option<(u16, u16)>) -> String {
        hours
            .map(|(a, b)| format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60))
            .unwrap_or_default()
    }

    /// Closed days as typed on the practice page: one yyyy-mm-dd per line.
    pub fn format_closed_days(&self) -> String {
        self.closed_days
            .iter()
            .map(|d| {
                let (y, m, dd) = civil_from_days(*d);
                format!("{y:04}-{m:02}-{dd:02}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The stored form: the seven weekdays separated by `;`.
    pub fn encode_week(&self) -> String {
        self.week
            .iter()
            .map(|d| Self::format_day(*d))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The week from its stored form; anything unreadable counts as closed.
    pub fn decode_week(stored: &str) -> [Option<(u16, u16)>; 7] {
        let mut week = [None; 7];
        for (i, d) in stored.split(';').take(7).enumerate() {
            week[i] = Self::parse_day(d).ok().flatten();
        }
        week
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> OfficeHours {
        let mut week = [Some((8 * 60, 17 * 60)); 7];
        week[5] = None; // Saturday
        week[6] = None; // Sunday
        OfficeHours {
            week,
            closed_days: vec![days_from_civil(2026, 12, 25)],
        }
    }

    #[test]
    fn calendar_days_and_weekdays() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday(days_from_civil(2026, 11, 25)), 2, "a Wednesday");
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
        for day in [-1, 0, 59, 11_016, days_from_civil(2026, 12, 31)] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(
            civil_from_days(days_from_civil(2026, 2, 28) + 1),
            (2026, 3, 1)
        );
    }

    #[test]
    fn open_closed_and_the_next_opening() {
        let wed = days_from_civil(2026, 11, 25);
        let at = |day, h: u16, m: u16| LocalMoment {
            day,
            minute: h * 60 + m,
        };
        let h = hours();
        assert_eq!(h.availability(at(wed, 8, 0)), Availability::Open);
        assert_eq!(h.availability(at(wed, 16, 59)), Availability::Open);
        assert_eq!(
            h.availability(at(wed, 7, 30)),
            Availability::Closed {
                next: Some(at(wed, 8, 0))
            }
        );
        assert_eq!(
            h.availability(at(wed, 17, 0)),
            Availability::Closed {
                next: Some(at(wed + 1, 8, 0))
            }
        );
        // Friday evening: next Monday.
        let fri = wed + 2;
        assert_eq!(
            h.availability(at(fri, 18, 0)),
            Availability::Closed {
                next: Some(at(fri + 3, 8, 0))
            }
        );
        // Christmas (a Friday in 2026) is closed: Thursday evening waits until Monday.
        let xmas_eve = days_from_civil(2026, 12, 24);
        assert_eq!(
            h.availability(at(xmas_eve, 20, 0)),
            Availability::Closed {
                next: Some(at(xmas_eve + 4, 8, 0))
            }
        );
        assert_eq!(
            OfficeHours::default().availability(at(wed, 3, 0)),
            Availability::Open
        );
    }

    #[test]
    fn hours_and_days_as_typed() {
        assert_eq!(
            OfficeHours::parse_day(" 8:00 – 17:30 ").ok(),
            Some(Some((480, 1050)))
        );
        assert_eq!(OfficeHours::parse_day("").ok(), Some(None));
        for bad in ["17:00-08:00", "8-17", "25:00-26:00", "08:00"] {
            assert!(OfficeHours::parse_day(bad).is_err(), "{bad}");
        }
        assert_eq!(
            OfficeHours::parse_closed_days("2026-12-25\n\n2026-12-26\n2026-12-25").ok(),
            Some(vec![
                days_from_civil(2026, 12, 25),
                days_from_civil(2026, 12, 26)
            ])
        );
        for bad in ["2026-02-30", "25-12-2026", "2026-13-01", "morgen"] {
            assert!(OfficeHours::parse_closed_days(bad).is_err(), "{bad}");
        }
        let h = hours();
        assert_eq!(OfficeHours::decode_week(&h.encode_week()), h.week);
    }

    #[test]
    fn a_week_names_its_first_refused_day() {
        let week =
            OfficeHours::parse_week(["08:00-12:00", "", "", "", "13:00-17:00", "", ""]).unwrap();
        assert_eq!(week[0], Some((480, 720)));
        assert_eq!(week[4], Some((780, 1020)));
        assert_eq!(week.iter().filter(|d| d.is_some()).count(), 2);
        let (day, _) =
            OfficeHours::parse_week(["", "9 tot 5", "17:00-08:00", "", "", "", ""]).unwrap_err();
        assert_eq!(day, 1);
    }
}
