//! The one clock: the only place in Plumbline that reads the operating system's time.
//!
//! Time is an input. The server's state and the device engine each own a [`Clock`] and pass
//! the instant it gives down to the pure rules (`CaseState::derive(timeline, now, settings)`),
//! so every verdict that depends on time — overdue, due, penalty — is computed for the instant
//! it is read, and a test sets that instant instead of sleeping or faking the system's date.
//!
//! Three kinds, one type (cheap to clone; clones share the same source, so a test that moves
//! its handle moves the server's and the engine's time with it):
//!
//! - [`Clock::system`]: the wall clock, in production.
//! - [`Clock::manual`]: stands still at the instant it was given until [`Clock::set`] or
//!   [`Clock::advance`] moves it — for tests that judge a deadline to the millisecond.
//! - [`Clock::flowing_from`]: starts at a given instant and runs at real speed from there (on
//!   the monotonic clock), for tests and demos that need a fixed date but time that passes
//!   (events written one after another get increasing times).
//!
//! `shared` is otherwise pure; this module is its one exception, kept here so that the app and
//! the server share the one type and a lint can forbid every other read of the wall clock
//! (`clippy.toml`: `disallowed-methods`).
//!
//! ```
//! use plumbline_shared::clock::Clock;
//! use plumbline_shared::time::{HOUR_MS, Timestamp};
//!
//! let clock = Clock::manual(Timestamp(1_000));
//! let server_side = clock.clone();
//! clock.advance(HOUR_MS);
//! assert_eq!(server_side.now(), Timestamp(1_000 + HOUR_MS));
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use crate::time::Timestamp;

/// A source of "now". See the module docs.
#[derive(Clone)]
pub struct Clock {
    source: Arc<Source>,
}

enum Source {
    System,
    /// `base` is the instant at `started` (or for ever, when `started` is `None`).
    Manual {
        base: AtomicI64,
        started: Option<Instant>,
    },
}

impl Clock {
    /// The operating system's wall clock.
    pub fn system() -> Self {
        Self {
            source: Arc::new(Source::System),
        }
    }

    /// A clock standing still at `at` until it is set or advanced.
    pub fn manual(at: Timestamp) -> Self {
        Self {
            source: Arc::new(Source::Manual {
                base: AtomicI64::new(at.0),
                started: None,
            }),
        }
    }

    /// A clock that reads `at` now and runs at real speed from there.
    pub fn flowing_from(at: Timestamp) -> Self {
        Self {
            source: Arc::new(Source::Manual {
                base: AtomicI64::new(at.0),
                started: Some(Instant::now()),
            }),
        }
    }

    /// Whether this is the wall clock (a set or advance would be refused).
    pub fn is_system(&self) -> bool {
        matches!(*self.source, Source::System)
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match &*self.source {
            Source::System => Timestamp(wall_clock_millis()),
            Source::Manual { base, started } => {
                let elapsed = started.map_or(0, |s| {
                    i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX)
                });
                Timestamp(base.load(Ordering::SeqCst).saturating_add(elapsed))
            }
        }
    }

    /// Moves a test clock so that it reads `at` now (a flowing clock keeps running from there).
    ///
    /// # Panics
    /// On the system clock: production time cannot be moved, and a test that tries has a bug.
    pub fn set(&self, at: Timestamp) {
        match &*self.source {
            Source::System => panic!("the system clock cannot be set; use Clock::manual in tests"),
            Source::Manual { base, started } => {
                let elapsed = started.map_or(0, |s| {
                    i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX)
                });
                base.store(at.0.saturating_sub(elapsed), Ordering::SeqCst);
            }
        }
    }

    /// Moves a test clock forward by `ms` milliseconds (backward when negative).
    ///
    /// # Panics
    /// On the system clock, as [`Clock::set`].
    pub fn advance(&self, ms: i64) {
        match &*self.source {
            Source::System => {
                panic!("the system clock cannot be advanced; use Clock::manual in tests")
            }
            Source::Manual { base, .. } => {
                base.fetch_add(ms, Ordering::SeqCst);
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.source {
            Source::System => f.write_str("Clock::system"),
            Source::Manual { started: None, .. } => write!(f, "Clock::manual({})", self.now()),
            Source::Manual { .. } => write!(f, "Clock::flowing_from(now {})", self.now()),
        }
    }
}

/// The one read of the operating system's time in the whole code base.
#[allow(clippy::disallowed_methods)] // this is the function the lint points everyone else to
fn wall_clock_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::HOUR_MS;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_clones_share_it() {
        let clock = Clock::manual(Timestamp(5_000));
        let other = clock.clone();
        assert_eq!(clock.now(), Timestamp(5_000));
        assert_eq!(clock.now(), Timestamp(5_000));
        other.advance(HOUR_MS);
        assert_eq!(clock.now(), Timestamp(5_000 + HOUR_MS));
        clock.set(Timestamp(42));
        assert_eq!(other.now(), Timestamp(42));
        other.advance(-2);
        assert_eq!(clock.now(), Timestamp(40));
    }

    #[test]
    fn a_flowing_clock_starts_where_told_and_never_goes_back() {
        let clock = Clock::flowing_from(Timestamp(1_000_000));
        let first = clock.now();
        assert!(first >= Timestamp(1_000_000) && first < Timestamp(1_000_000 + HOUR_MS));
        let second = clock.now();
        assert!(second >= first);
        clock.set(Timestamp(7));
        let moved = clock.now();
        assert!(
            moved >= Timestamp(7) && moved < Timestamp(7 + HOUR_MS),
            "{moved:?}"
        );
    }

    #[test]
    fn the_system_clock_reads_a_plausible_date_and_refuses_to_move() {
        let clock = Clock::system();
        assert!(clock.is_system());
        // After 2020-01-01 and before 2200: the machine's clock is in this century.
        let now = clock.now().0;
        assert!(now > 1_577_836_800_000 && now < 7_258_118_400_000, "{now}");
        let moved = std::panic::catch_unwind(|| clock.advance(1));
        assert!(moved.is_err());
    }
}
