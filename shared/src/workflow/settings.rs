//! The clock rules of the workflow, as a project's settings with the complaint center's
//! defaults.
//!
//! Each project keeps its own [`WorkflowSettings`] in its project document
//! ([`crate::project::Project::workflow`]), so the server, every replica and every phone of the
//! project derive the same deadlines from the same numbers. A document written before the
//! settings existed reads as holding the defaults. Whatever arrives from outside (the
//! administrator's form, an administrator's device through sync) passes [`WorkflowSettings::check`]
//! before it is stored.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};

/// The smallest fine the rules allow: 5,000 CNY, in fen.
pub const FINE_MINIMUM_FEN: i64 = 500_000;

/// Time windows and bounds the workflow applies to one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct WorkflowSettings {
    /// How long a contractor has after a notice to be on site or present a plan (4 h).
    pub response_window_ms: i64,
    /// How long after acceptance the notice must come back with the contractor's reply
    /// (penalty condition 5). The rules leave it to the center; 48 h by default.
    pub notice_return_window_ms: i64,
    /// A device clock within this much of the server's is trusted for deadlines (5 min).
    pub clock_skew_bound_ms: i64,
    /// How long before a response deadline the contractor and the notice's issuer are
    /// reminded (60 min).
    pub reminder_lead_ms: i64,
    /// How long after acceptance the owner must have been called back before the callback is
    /// escalated as overdue (2 days).
    pub callback_window_ms: i64,
    /// How long a request for more evidence may go unanswered before it is escalated (1 day).
    pub evidence_answer_ms: i64,
    /// Working days (Monday to Friday, Beijing) a fine slip may wait for its next approval
    /// before the approvers are reminded (1).
    pub fine_approval_working_days: u32,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            response_window_ms: 4 * HOUR_MS,
            notice_return_window_ms: 48 * HOUR_MS,
            clock_skew_bound_ms: 5 * MINUTE_MS,
            reminder_lead_ms: 60 * MINUTE_MS,
            callback_window_ms: 48 * HOUR_MS,
            evidence_answer_ms: 24 * HOUR_MS,
            fine_approval_working_days: 1,
        }
    }
}

/// One setting, to name it in a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// [`WorkflowSettings::response_window_ms`].
    ResponseWindow,
    /// [`WorkflowSettings::notice_return_window_ms`].
    NoticeReturnWindow,
    /// [`WorkflowSettings::clock_skew_bound_ms`].
    ClockSkewBound,
    /// [`WorkflowSettings::reminder_lead_ms`].
    ReminderLead,
    /// [`WorkflowSettings::callback_window_ms`].
    CallbackWindow,
    /// [`WorkflowSettings::evidence_answer_ms`].
    EvidenceAnswer,
    /// [`WorkflowSettings::fine_approval_working_days`].
    FineApprovalWorkingDays,
}

impl Setting {
    /// The smallest and largest value the setting may take, in its own unit (milliseconds,
    /// or working days). Wide enough for any department's practice, narrow enough that a
    /// deadline is never in the past at issue nor years away.
    pub const fn bounds(self) -> (i64, i64) {
        match self {
            Self::ResponseWindow => (30 * MINUTE_MS, 3 * DAY_MS),
            Self::NoticeReturnWindow | Self::CallbackWindow | Self::EvidenceAnswer => {
                (HOUR_MS, 30 * DAY_MS)
            }
            Self::ClockSkewBound => (MINUTE_MS, HOUR_MS),
            Self::ReminderLead => (5 * MINUTE_MS, 2 * DAY_MS),
            Self::FineApprovalWorkingDays => (1, 10),
        }
    }
}

/// Why a set of workflow settings was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A value lies outside [`Setting::bounds`].
    #[error("{setting:?} is {value}; it must lie between {min} and {max}")]
    OutOfBounds {
        /// Which setting.
        setting: Setting,
        /// The value given, in the setting's unit.
        value: i64,
        /// The smallest allowed.
        min: i64,
        /// The largest allowed.
        max: i64,
    },
    /// The reminder would come at or before the notice itself.
    #[error(
        "the reminder lead ({lead_ms} ms) must be shorter than the response window ({window_ms} ms)"
    )]
    LeadNotShorterThanWindow {
        /// The lead given.
        lead_ms: i64,
        /// The response window given.
        window_ms: i64,
    },
}

impl WorkflowSettings {
    /// Every value with the setting it is.
    fn values(&self) -> [(Setting, i64); 7] {
        [
            (Setting::ResponseWindow, self.response_window_ms),
            (Setting::NoticeReturnWindow, self.notice_return_window_ms),
            (Setting::ClockSkewBound, self.clock_skew_bound_ms),
            (Setting::ReminderLead, self.reminder_lead_ms),
            (Setting::CallbackWindow, self.callback_window_ms),
            (Setting::EvidenceAnswer, self.evidence_answer_ms),
            (
                Setting::FineApprovalWorkingDays,
                i64::from(self.fine_approval_working_days),
            ),
        ]
    }

    /// `Ok` when every value lies within its bounds and the reminder comes after the notice;
    /// the first problem otherwise.
    pub fn check(&self) -> Result<(), SettingsError> {
        for (setting, value) in self.values() {
            let (min, max) = setting.bounds();
            if !(min..=max).contains(&value) {
                return Err(SettingsError::OutOfBounds {
                    setting,
                    value,
                    min,
                    max,
                });
            }
        }
        if self.reminder_lead_ms >= self.response_window_ms {
            return Err(SettingsError::LeadNotShorterThanWindow {
                lead_ms: self.reminder_lead_ms,
                window_ms: self.response_window_ms,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass() {
        assert_eq!(WorkflowSettings::default().check(), Ok(()));
    }

    #[test]
    fn each_bound_is_inclusive_and_one_past_it_is_refused() {
        let base = WorkflowSettings::default();
        type Set = fn(&mut WorkflowSettings, i64);
        let fields: [(Setting, Set); 6] = [
            (Setting::ResponseWindow, |s, v| s.response_window_ms = v),
            (Setting::NoticeReturnWindow, |s, v| {
                s.notice_return_window_ms = v
            }),
            (Setting::ClockSkewBound, |s, v| s.clock_skew_bound_ms = v),
            (Setting::CallbackWindow, |s, v| s.callback_window_ms = v),
            (Setting::EvidenceAnswer, |s, v| s.evidence_answer_ms = v),
            (Setting::FineApprovalWorkingDays, |s, v| {
                s.fine_approval_working_days = u32::try_from(v).unwrap_or(u32::MAX)
            }),
        ];
        for (setting, set) in fields {
            let (min, max) = setting.bounds();
            for (value, ok) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
                let mut s = base;
                set(&mut s, value);
                // A longer response window keeps the default lead valid; a shorter one than the
                // lead is the other rule, tested below.
                if setting == Setting::ResponseWindow {
                    s.reminder_lead_ms = min / 2;
                }
                assert_eq!(s.check().is_ok(), ok, "{setting:?} = {value}");
            }
        }
    }

    #[test]
    fn a_lead_as_long_as_the_window_is_refused() {
        let mut s = WorkflowSettings::default();
        s.reminder_lead_ms = s.response_window_ms;
        assert!(matches!(
            s.check(),
            Err(SettingsError::LeadNotShorterThanWindow { .. })
        ));
        s.reminder_lead_ms = s.response_window_ms - MINUTE_MS;
        assert_eq!(s.check(), Ok(()));
    }
}
