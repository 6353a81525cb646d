//! Whether a promise with a deadline was kept: the contractor's four-hour answer, the repair by
//! its deadline.
//!
//! One rule, used twice: the workflow turns a missed promise into penalty condition 2 or 3,
//! and the contractor scorecards count kept and missed promises. Sharing the function is what
//! makes a scorecard's "missed" equal the penalties the office saw on the cases.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// How a promise with a deadline stands at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    /// Done by the deadline (at the deadline itself is in time).
    Met,
    /// Done after the deadline, or not done with the deadline passed while the clock ran.
    Missed,
    /// Not done, and the clock stopped (refusal, dispute, reassignment, emergency repair…)
    /// before the deadline: the promise no longer applies.
    Stopped,
    /// Not done, the deadline still ahead.
    Pending,
}

/// How a promise due at `deadline` stands at `now`: done at `done_at`, its clock stopped at
/// `stopped_at`. A clock stopped after `now` has not stopped yet.
pub fn kept(
    deadline: Timestamp,
    done_at: Option<Timestamp>,
    stopped_at: Option<Timestamp>,
    now: Timestamp,
) -> Kept {
    match done_at {
        Some(done) if done <= deadline => Kept::Met,
        Some(_) => Kept::Missed,
        None => {
            let stopped = stopped_at.filter(|s| *s <= now);
            let horizon = stopped.unwrap_or(now);
            if horizon > deadline {
                Kept::Missed
            } else if stopped.is_some() {
                Kept::Stopped
            } else {
                Kept::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINE: Timestamp = Timestamp(1_000);

    #[test]
    fn done_at_the_deadline_is_in_time_and_a_millisecond_later_is_not() {
        assert_eq!(
            kept(DEADLINE, Some(Timestamp(1_000)), None, Timestamp(5_000)),
            Kept::Met
        );
        assert_eq!(
            kept(DEADLINE, Some(Timestamp(1_001)), None, Timestamp(5_000)),
            Kept::Missed
        );
    }

    #[test]
    fn undone_promises_depend_on_the_clock() {
        assert_eq!(kept(DEADLINE, None, None, Timestamp(999)), Kept::Pending);
        assert_eq!(kept(DEADLINE, None, None, Timestamp(1_000)), Kept::Pending);
        assert_eq!(kept(DEADLINE, None, None, Timestamp(1_001)), Kept::Missed);
        // Stopped before the deadline: neither kept nor missed, however late it is now.
        assert_eq!(
            kept(DEADLINE, None, Some(Timestamp(500)), Timestamp(9_000)),
            Kept::Stopped
        );
        // Stopped after the deadline had passed: missed all the same.
        assert_eq!(
            kept(DEADLINE, None, Some(Timestamp(2_000)), Timestamp(9_000)),
            Kept::Missed
        );
        // A stop recorded for later than now has not happened yet.
        assert_eq!(
            kept(DEADLINE, None, Some(Timestamp(800)), Timestamp(700)),
            Kept::Pending
        );
    }
}
