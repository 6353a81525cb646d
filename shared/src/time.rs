//! Time as the documents store it.
//!
//! Every instant is a [`Timestamp`]: milliseconds since the Unix epoch, UTC, as an `i64`
//! (automerge stores integers compactly, and milliseconds are what device clocks give). Dates
//! without a time of day, such as a unit's handover date, are [`chrono::NaiveDate`] written as
//! `YYYY-MM-DD`.
//!
//! `shared` never reads the clock: whoever calls in passes "now".

use std::fmt;

use autosurgeon::{Hydrate, Reconcile};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// One second in milliseconds.
pub const SECOND_MS: i64 = 1_000;
/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

impl Timestamp {
    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved by `ms` milliseconds (saturating, never panics).
    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// The instant as a UTC date-time, when it is within chrono's range.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp_millis(self.0)
    }

    /// The instant at midnight UTC+8 (China Standard Time) that starts `date`.
    ///
    /// Deadlines in days ("repair within 7 days") are counted in the developer's time zone,
    /// which is China Standard Time all year round (no daylight saving).
    pub fn start_of_day_cst(date: NaiveDate) -> Self {
        let midnight = date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists on every date");
        Self(midnight.and_utc().timestamp_millis() - 8 * HOUR_MS)
    }

    /// The calendar date this instant falls on in China Standard Time (UTC+8), the date the
    /// developer's staff and owners speak of ("today" in Beijing).
    pub fn date_cst(self) -> NaiveDate {
        let shifted = self.0.saturating_add(8 * HOUR_MS);
        DateTime::<Utc>::from_timestamp_millis(shifted).map_or(NaiveDate::MIN, |dt| dt.date_naive())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
            None => write!(f, "{}ms", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_beijing_date_turns_at_16_utc() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let midnight = Timestamp::start_of_day_cst(d);
        assert_eq!(midnight.date_cst(), d);
        assert_eq!(midnight.plus_ms(-1).date_cst(), d.pred_opt().unwrap());
        assert_eq!(midnight.to_string(), "2026-12-31T16:00:00.000Z");
    }

    #[test]
    fn displays_as_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(i64::MAX).to_string(), format!("{}ms", i64::MAX));
    }

    #[test]
    fn start_of_day_is_cst_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert_eq!(
            Timestamp::start_of_day_cst(d).to_string(),
            "2026-01-01T16:00:00.000Z"
        );
    }

    #[test]
    fn plus_saturates() {
        assert_eq!(Timestamp(i64::MAX).plus_ms(1), Timestamp(i64::MAX));
    }
}
