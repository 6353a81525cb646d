//! The report period: a calendar month in Beijing time.
//!
//! The complaint center reports by calendar month in China Standard Time (UTC+8 all year), so
//! a case recorded at 23:30 on the 31st in Beijing (15:30 UTC) belongs to that month, and one at
//! 00:10 on the 1st (16:10 UTC the day before) to the next.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use plumbline_shared::time::Timestamp;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

/// Why a month parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month; write it as YYYY-MM, e.g. 2026-11")]
pub struct BadMonth(pub String);

impl Month {
    /// The earliest and latest years a report may ask for: enough for any building's life,
    /// and small enough that every month's bounds are valid timestamps.
    const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

    /// Parses `YYYY-MM` (exactly: four digits, a dash, two digits).
    pub fn parse(text: &str) -> Result<Month, BadMonth> {
        let bad = || BadMonth(text.chars().take(40).collect());
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.chars().chain(m.chars())).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !Self::YEARS.contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month an instant falls in, in Beijing.
    pub fn of(at: Timestamp) -> Month {
        let date = at.date_cst();
        Month {
            year: date.year().clamp(*Self::YEARS.start(), *Self::YEARS.end()),
            month: date.month(),
        }
    }

    /// The first instant of the month (the 1st, 00:00 in Beijing).
    pub fn start(self) -> Timestamp {
        let first =
            NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a parsed month has a 1st");
        Timestamp::start_of_day_cst(first)
    }

    /// The first instant after the month (the next month's start): the month is
    /// `start() <= t < end()`.
    pub fn end(self) -> Timestamp {
        self.next().start()
    }

    /// Whether `t` falls in the month.
    pub fn contains(self, t: Timestamp) -> bool {
        self.range().contains(&t)
    }

    /// The month's instants, `start()..end()`: computed once where many instants are tested
    /// (each bound is a calendar computation).
    pub fn range(self) -> std::ops::Range<Timestamp> {
        self.start()..self.end()
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The `n` months ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<Month> {
        let mut out = Vec::with_capacity(n);
        let mut m = self;
        for _ in 0..n {
            out.push(m);
            m = m.prev();
        }
        out.reverse();
        out
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plumbline_shared::time::HOUR_MS;

    #[test]
    fn months_parse_strictly() {
        assert_eq!(
            Month::parse("2026-11").map(|m| m.to_string()),
            Ok("2026-11".into())
        );
        for bad in [
            "2026-13", "2026-00", "abc", "2026-1", "26-11", "2026/11", "", "1999-12",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_starts_at_midnight_in_beijing() {
        let nov = Month::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
        // 2026-11-01T00:00+08:00 is 2026-10-31T16:00Z.
        let start = nov.start();
        assert_eq!(
            start.to_datetime().map(|d| d.to_rfc3339()),
            Some("2026-10-31T16:00:00+00:00".into())
        );
        assert!(nov.contains(start));
        assert!(!nov.contains(start.plus_ms(-1)));
        assert_eq!(Month::of(start.plus_ms(-1)).to_string(), "2026-10");
        assert_eq!(Month::of(start).to_string(), "2026-11");
        assert_eq!(
            nov.end(),
            Month::parse("2026-12")
                .unwrap_or_else(|e| panic!("{e}"))
                .start()
        );
        assert_eq!(nov.end().0 - nov.start().0, 30 * 24 * HOUR_MS);
    }

    #[test]
    fn trailing_months_cross_the_year() {
        let jan = Month::parse("2027-01").unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = jan.trailing(3).iter().map(Month::to_string).collect();
        assert_eq!(names, ["2026-11", "2026-12", "2027-01"]);
        assert_eq!(jan.trailing(12).len(), 12);
    }
}
