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
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
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

/// China Standard Time's distance from UTC in milliseconds: eight hours, all year round (China
/// has no daylight saving). The developer's projects, staff and owners all live on it, so every
/// date and time a person reads or types is in it, whatever the server's or phone's zone.
pub const CHINA_OFFSET_MS: i64 = 8 * HOUR_MS;

/// China Standard Time as a chrono offset, for formatting and for reading typed local times.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt((CHINA_OFFSET_MS / SECOND_MS) as i32).expect("UTC+8 is a valid offset")
}

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

    /// The instant in China Standard Time, when it is within chrono's range.
    pub fn to_china(self) -> Option<DateTime<FixedOffset>> {
        self.to_datetime().map(|d| d.with_timezone(&china()))
    }

    /// The instant as people read it on pages and on the phone: Beijing time to the minute,
    /// `2026-12-01 09:30`; empty when it is outside chrono's range.
    pub fn china_minute(self) -> String {
        self.to_china()
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }

    /// The instant at midnight UTC+8 (China Standard Time) that starts `date`.
    ///
    /// Deadlines in days ("repair within 7 days") are counted in the developer's time zone,
    /// which is China Standard Time all year round (no daylight saving).
    pub fn start_of_day_cst(date: NaiveDate) -> Self {
        let midnight = date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists on every date");
        Self(midnight.and_utc().timestamp_millis() - CHINA_OFFSET_MS)
    }

    /// The calendar date this instant falls on in China Standard Time (UTC+8), the date the
    /// developer's staff and owners speak of ("today" in Beijing).
    pub fn date_cst(self) -> NaiveDate {
        let shifted = self.0.saturating_add(CHINA_OFFSET_MS);
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
    fn people_read_beijing_time_to_the_minute() {
        // 2026-11-30T16:05:59Z is 00:05 on 1 December in Beijing.
        let t = Timestamp(1_796_054_759_000);
        assert_eq!(t.china_minute(), "2026-12-01 00:05");
        assert_eq!(t.to_china().unwrap().date_naive(), t.date_cst());
        assert_eq!(Timestamp(i64::MAX).china_minute(), "");
    }

    #[test]
    fn plus_saturates() {
        assert_eq!(Timestamp(i64::MAX).plus_ms(1), Timestamp(i64::MAX));
    }
}
