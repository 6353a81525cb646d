//! The monthly report's own figures: the month's intake and closures, the open backlog and its
//! age, the twelve-month trend and the month's intake by category (the Pareto chart).

use std::collections::{BTreeMap, BTreeSet};

use plumbline_shared::event::Origin;
use plumbline_shared::ids::FindingId;
use plumbline_shared::time::{DAY_MS, Timestamp};

use super::{Figures, Index, Month};

/// The backlog's age bands, in whole days at the "as of" time: (key, first day, last day).
pub const AGE_BANDS: [(&str, i64, i64); 4] = [
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("90+", 91, i64::MAX),
];

/// The open backlog at the month's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// The time it is counted at: the month's end, or now while the month runs.
    pub as_of: Timestamp,
    /// The figure key of the whole backlog.
    pub total: String,
    /// The figure key of each age band, in [`AGE_BANDS`] order.
    pub ages: Vec<String>,
}

/// The monthly report's own figures (keys into the report's [`Figures`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monthly {
    /// The month's intake.
    pub intake: String,
    /// The intake by origin, every origin in order.
    pub intake_by_origin: Vec<(Origin, String)>,
    /// The month's closures.
    pub closures: String,
    /// The open backlog.
    pub backlog: Backlog,
    /// The twelve months ending with this one: (month, intake key, closures key).
    pub trend: Vec<(Month, String, String)>,
    /// The month's intake by category id, largest first (ties by id).
    pub by_category: Vec<(String, String)>,
}

/// The monthly report's figures that do not depend on the time they are read at: everything
/// but the backlog ([`backlog`]), which is counted at "now" while the month runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settled {
    intake: String,
    intake_by_origin: Vec<(Origin, String)>,
    closures: String,
    trend: Vec<(Month, String, String)>,
    by_category: Vec<(String, String)>,
}

impl Settled {
    /// The monthly report with `backlog`.
    pub(super) fn with(&self, backlog: Backlog) -> Monthly {
        Monthly {
            intake: self.intake.clone(),
            intake_by_origin: self.intake_by_origin.clone(),
            closures: self.closures.clone(),
            backlog,
            trend: self.trend.clone(),
            by_category: self.by_category.clone(),
        }
    }
}

/// The month's intake, closures, trend and categories: counted from when cases were recorded
/// and closed, which no later instant changes.
pub(super) fn settle(index: &Index<'_>, month: Month, figures: &mut Figures) -> Settled {
    let recorded_in = |m: Month| -> BTreeSet<FindingId> {
        let m = m.range();
        index
            .counted()
            .filter(|c| m.contains(&c.case.created_at))
            .map(|c| c.case.finding.clone())
            .collect()
    };
    let closed_in = |m: Month| -> BTreeSet<FindingId> {
        let m = m.range();
        index
            .counted()
            .filter(|c| c.case.closed_at.is_some_and(|t| m.contains(&t)))
            .map(|c| c.case.finding.clone())
            .collect()
    };

    let intake_cases = recorded_in(month);
    let intake = figures.count("intake", &intake_cases);
    let intake_by_origin = Origin::ALL
        .iter()
        .map(|&origin| {
            let of_origin: BTreeSet<FindingId> = intake_cases
                .iter()
                .filter(|f| index.case(f).is_some_and(|c| c.case.origin == origin))
                .cloned()
                .collect();
            (
                origin,
                figures.count(format!("intake.origin.{}", origin.as_str()), &of_origin),
            )
        })
        .collect();
    let closures = figures.count("closures", &closed_in(month));

    let trend = month
        .trailing(12)
        .into_iter()
        .map(|m| {
            let i = figures.count(format!("trend.{m}.intake"), &recorded_in(m));
            let c = figures.count(format!("trend.{m}.closures"), &closed_in(m));
            (m, i, c)
        })
        .collect();

    let mut categories: BTreeMap<&str, BTreeSet<FindingId>> = BTreeMap::new();
    for f in &intake_cases {
        if let Some(c) = index.case(f) {
            categories
                .entry(c.case.category.as_str())
                .or_default()
                .insert(f.clone());
        }
    }
    let mut by_category: Vec<(&str, BTreeSet<FindingId>)> = categories.into_iter().collect();
    by_category.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let by_category = by_category
        .into_iter()
        .map(|(category, cases)| {
            (
                category.to_owned(),
                figures.count(format!("category.{category}"), &cases),
            )
        })
        .collect();

    Settled {
        intake,
        intake_by_origin,
        closures,
        trend,
        by_category,
    }
}

/// The open backlog and its ages at the month's end, or at `now` while the month runs.
pub(super) fn backlog(
    index: &Index<'_>,
    month: Month,
    now: Timestamp,
    figures: &mut Figures,
) -> Backlog {
    let as_of = month.end().min(now);
    let open: Vec<(FindingId, i64)> = index
        .counted()
        .filter(|c| c.case.created_at < as_of && c.case.closed_at.is_none_or(|t| t >= as_of))
        .map(|c| {
            let age_days = (as_of.0 - c.case.created_at.0) / DAY_MS;
            (c.case.finding.clone(), age_days)
        })
        .collect();
    let total = figures.count("backlog", &open.iter().map(|(f, _)| f.clone()).collect());
    let ages = AGE_BANDS
        .iter()
        .map(|(key, first, last)| {
            let band: BTreeSet<FindingId> = open
                .iter()
                .filter(|(_, age)| (*first..=*last).contains(age))
                .map(|(f, _)| f.clone())
                .collect();
            figures.count(format!("backlog.age.{key}"), &band)
        })
        .collect();
    Backlog { as_of, total, ages }
}
