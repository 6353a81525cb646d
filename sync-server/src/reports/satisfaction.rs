//! Satisfaction (满意度): callbacks (回访) by level, per month, per project and per
//! contractor, and the cases a 不满意 reopened.

use std::collections::{BTreeMap, BTreeSet};

use plumbline_shared::event::Satisfaction as Level;
use plumbline_shared::ids::{ContractorId, FindingId};
use plumbline_shared::projection::CallbackRow;

use super::{Figures, Index, Month, Value};

/// Callbacks by level (figure keys into the report's [`Figures`], levels in
/// [`Level::ALL`] order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Satisfaction {
    /// The twelve months ending with the report's: (month, a key per level).
    pub by_month: Vec<(Month, [String; 4])>,
    /// This project in the report's month: a key per level.
    pub project: [String; 4],
    /// Each contractor with a callback in the month.
    pub by_contractor: Vec<(ContractorId, [String; 4])>,
    /// Cases a 不满意 in the month reopened.
    pub reopened: String,
}

/// A key per level for `callbacks`, under `prefix.{level}`.
fn levels(figures: &mut Figures, prefix: &str, callbacks: &[&CallbackRow]) -> [String; 4] {
    Level::ALL.map(|level| {
        let hits: Vec<&&CallbackRow> = callbacks.iter().filter(|c| c.level == level).collect();
        figures.put(
            format!("{prefix}.{}", level.as_str()),
            Value::Count(hits.len() as u64),
            hits.iter().map(|c| c.finding.clone()),
        )
    })
}

pub(super) fn compute(index: &Index<'_>, month: Month, figures: &mut Figures) -> Satisfaction {
    let counted: Vec<&CallbackRow> = index
        .input
        .rows
        .callbacks
        .iter()
        .filter(|c| index.counts(&c.finding))
        .collect();
    let in_month = |m: Month| -> Vec<&CallbackRow> {
        let m = m.range();
        counted
            .iter()
            .copied()
            .filter(|c| m.contains(&c.at))
            .collect()
    };
    let by_month = month
        .trailing(12)
        .into_iter()
        .map(|m| (m, levels(figures, &format!("sat.month.{m}"), &in_month(m))))
        .collect();
    let this_month = in_month(month);
    let project = levels(
        figures,
        &format!("sat.project.{}", index.input.project.id),
        &this_month,
    );
    // A callback follows an accepted repair, so its case has a contractor; one without (an
    // emergency repair by another team on a case never noticed) is in no contractor's row.
    let mut by: BTreeMap<&ContractorId, Vec<&CallbackRow>> = BTreeMap::new();
    for c in &this_month {
        if let Some(contractor) = index
            .case(&c.finding)
            .and_then(|r| r.case.contractor.as_ref())
        {
            by.entry(contractor).or_default().push(c);
        }
    }
    let by_contractor = by
        .into_iter()
        .map(|(c, cbs)| {
            (
                c.clone(),
                levels(figures, &format!("sat.contractor.{c}"), &cbs),
            )
        })
        .collect();
    let reopened: BTreeSet<FindingId> = this_month
        .iter()
        .filter(|c| c.level == Level::Dissatisfied)
        .map(|c| c.finding.clone())
        .collect();
    let reopened = figures.count("sat.reopened", &reopened);
    Satisfaction {
        by_month,
        project,
        by_contractor,
        reopened,
    }
}
