//! The clock rules of the workflow, as settings with the complaint center's defaults.

use serde::{Deserialize, Serialize};

use crate::time::{HOUR_MS, MINUTE_MS};

/// The smallest fine the rules allow: 5,000 CNY, in fen.
pub const FINE_MINIMUM_FEN: i64 = 500_000;

/// Time windows and bounds the workflow applies. Every replica must use the same settings for
/// the same project, or their derived states differ; the project document is where a
/// non-default value will live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
