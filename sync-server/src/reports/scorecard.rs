//! Contractor scorecards (施工单位考评): how each contractor kept the promises of the notices
//! it received in the month — the four-hour answer, the repair deadline, the first acceptance
//! — and what it cost them in fines and emergency repairs.

use std::collections::{BTreeMap, BTreeSet};

use plumbline_shared::ids::{ContractorId, FindingId};
use plumbline_shared::projection::NoticeRow;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{FineStatus, Kept, kept};

use super::{Figures, Index, Month, Value};

/// The kept/missed figures of one promise, in the order the page shows them.
const KEPT: [(Kept, &str, &str); 4] = [
    (Kept::Met, "response_met", "repair_on_time"),
    (Kept::Missed, "response_missed", "repair_late"),
    (Kept::Stopped, "response_stopped", "repair_stopped"),
    (Kept::Pending, "response_pending", "repair_pending"),
];

/// One contractor's month (figure keys into the report's [`Figures`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    /// The contractor.
    pub contractor: ContractorId,
    /// Notices received.
    pub notices: String,
    /// Response met, missed, stopped, pending.
    pub response: [String; 4],
    /// Repairs on time, late, stopped, pending.
    pub repair: [String; 4],
    /// First-time acceptance rate.
    pub first_time: String,
    /// Fine slips drafted.
    pub fines: String,
    /// Their total, voided ones left out.
    pub fines_total: String,
    /// Voided fine slips.
    pub fines_voided: String,
    /// Emergency repairs charged to the contractor.
    pub emergency: String,
    /// Their cost.
    pub emergency_cost: String,
    /// Mean time to answer a notice.
    pub response_time: String,
}

pub(super) fn compute(
    index: &Index<'_>,
    month: Month,
    now: Timestamp,
    figures: &mut Figures,
) -> Vec<Scorecard> {
    let rows = index.input.rows;
    let in_month = month.range();
    let mut notices: BTreeMap<&ContractorId, Vec<&NoticeRow>> = BTreeMap::new();
    for n in rows
        .notices
        .iter()
        .filter(|n| in_month.contains(&n.issued_at) && index.counts(&n.finding))
    {
        notices.entry(&n.contractor).or_default().push(n);
    }
    let mut fines: BTreeMap<&ContractorId, Vec<_>> = BTreeMap::new();
    for f in rows
        .fines
        .iter()
        .filter(|f| in_month.contains(&f.drafted_at) && index.counts(&f.finding))
    {
        fines.entry(&f.contractor).or_default().push(f);
    }
    let mut emergencies: BTreeMap<&ContractorId, Vec<_>> = BTreeMap::new();
    for e in rows
        .emergencies
        .iter()
        .filter(|e| in_month.contains(&e.started_at) && index.counts(&e.finding))
    {
        if let Some(c) = &e.charged_to {
            emergencies.entry(c).or_default().push(e);
        }
    }
    let mut contractors: BTreeSet<&ContractorId> = notices.keys().copied().collect();
    contractors.extend(fines.keys().copied());
    contractors.extend(emergencies.keys().copied());
    let mut contractors: Vec<&ContractorId> = contractors.into_iter().collect();
    let order = index.contractor_order();
    contractors.sort_by_key(|c| order(c));

    let findings =
        |it: &mut dyn Iterator<Item = &FindingId>| -> BTreeSet<FindingId> { it.cloned().collect() };
    contractors
        .into_iter()
        .map(|c| {
            let p = format!("score.{c}");
            let ns = notices.get(c).map(Vec::as_slice).unwrap_or_default();
            let notices_key = figures.put(
                format!("{p}.notices"),
                Value::Count(ns.len() as u64),
                findings(&mut ns.iter().map(|n| &n.finding)),
            );
            let response_of =
                |n: &NoticeRow| kept(n.response_deadline, n.responded_at, n.stopped_at, now);
            let repair_of =
                |n: &NoticeRow| kept(n.repair_deadline, n.first_reported_at, n.stopped_at, now);
            let mut promise = |name: &str, of: &dyn Fn(&NoticeRow) -> Kept, outcome: Kept| {
                let hit: Vec<&&NoticeRow> = ns.iter().filter(|n| of(n) == outcome).collect();
                figures.put(
                    format!("{p}.{name}"),
                    Value::Count(hit.len() as u64),
                    findings(&mut hit.iter().map(|n| &n.finding)),
                )
            };
            let response = KEPT.map(|(outcome, name, _)| promise(name, &response_of, outcome));
            let repair = KEPT.map(|(outcome, _, name)| promise(name, &repair_of, outcome));
            let decided: Vec<&&NoticeRow> = ns
                .iter()
                .filter(|n| n.accepted_at.is_some() || n.failed_acceptances > 0)
                .collect();
            let first = decided
                .iter()
                .filter(|n| n.accepted_at.is_some() && n.failed_acceptances == 0)
                .count();
            let first_time = figures.put(
                format!("{p}.first_time"),
                Value::Share {
                    part: first as u64,
                    whole: decided.len() as u64,
                },
                findings(&mut decided.iter().map(|n| &n.finding)),
            );
            let answered: Vec<(&FindingId, i64)> = ns
                .iter()
                .filter_map(|n| n.responded_at.map(|t| (&n.finding, t.0 - n.issued_at.0)))
                .collect();
            let response_time = figures.put(
                format!("{p}.response_time"),
                Value::Mean {
                    total_ms: answered.iter().map(|(_, ms)| ms).sum(),
                    n: answered.len() as u64,
                    days: false,
                },
                findings(&mut answered.iter().map(|(f, _)| *f)),
            );

            let fs = fines.get(c).map(Vec::as_slice).unwrap_or_default();
            let all_fines = findings(&mut fs.iter().map(|f| &f.finding));
            let fines_key = figures.put(
                format!("{p}.fines"),
                Value::Count(fs.len() as u64),
                all_fines,
            );
            let standing: Vec<_> = fs
                .iter()
                .filter(|f| f.status != FineStatus::Voided)
                .collect();
            let fines_total = figures.put(
                format!("{p}.fines_total"),
                Value::Money(standing.iter().map(|f| f.amount_fen).sum()),
                findings(&mut standing.iter().map(|f| &f.finding)),
            );
            let voided: Vec<_> = fs
                .iter()
                .filter(|f| f.status == FineStatus::Voided)
                .collect();
            let fines_voided = figures.put(
                format!("{p}.fines_voided"),
                Value::Count(voided.len() as u64),
                findings(&mut voided.iter().map(|f| &f.finding)),
            );

            let es = emergencies.get(c).map(Vec::as_slice).unwrap_or_default();
            let emergency = figures.put(
                format!("{p}.emergency"),
                Value::Count(es.len() as u64),
                findings(&mut es.iter().map(|e| &e.finding)),
            );
            let costed: Vec<_> = es.iter().filter(|e| e.cost_fen.is_some()).collect();
            let emergency_cost = figures.put(
                format!("{p}.emergency_cost"),
                Value::Money(costed.iter().filter_map(|e| e.cost_fen).sum()),
                findings(&mut costed.iter().map(|e| &e.finding)),
            );

            Scorecard {
                contractor: c.clone(),
                notices: notices_key,
                response,
                repair,
                first_time,
                fines: fines_key,
                fines_total,
                fines_voided,
                emergency,
                emergency_cost,
                response_time,
            }
        })
        .collect()
}
