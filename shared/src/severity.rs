//! Defect severity (严重程度): four levels, S1 the most serious.

use std::fmt;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// How serious a defect is. The checklist template gives each item a default; the inspector
/// may change it per finding.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
pub enum Severity {
    /// 严重 — safety, structure, active leakage; blocks handover.
    S1,
    /// 重要 — function impaired or rework needed.
    S2,
    /// 一般 — noticeable defect, function intact.
    S3,
    /// 轻微 — cosmetic.
    S4,
}

impl Severity {
    /// All four, most serious first.
    pub const ALL: [Severity; 4] = [Severity::S1, Severity::S2, Severity::S3, Severity::S4];

    /// `S1` … `S4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::S1 => "S1",
            Severity::S2 => "S2",
            Severity::S3 => "S3",
            Severity::S4 => "S4",
        }
    }

    /// Parses `S1` … `S4`.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::S1 => "严重",
            Severity::S2 => "重要",
            Severity::S3 => "一般",
            Severity::S4 => "轻微/观感",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Severity::S1 => "Critical",
            Severity::S2 => "Major",
            Severity::S3 => "Minor",
            Severity::S4 => "Cosmetic / observation",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Severity {
    /// Days the complaint center proposes for the repair deadline of a defect this serious
    /// (from the residential checklist's severity table).
    pub fn proposed_rectify_days(self) -> u32 {
        match self {
            Severity::S1 => 3,
            Severity::S2 => 7,
            Severity::S3 => 15,
            Severity::S4 => 30,
        }
    }
}
