//! The settlement ledger (结算台账): what each contractor owes for the month, as the center
//! hands it to 成本控制部、经济处、财务部 and 合约部 — the fine slips drafted in the month by where
//! their approval stands, and the emergency repairs started in the month and charged to the
//! contractor, costed or still waiting for their cost (审算 follows the cost).
//!
//! Months are the scorecards' (a fine by when it was drafted, an emergency repair by when it
//! started), so the ledger's fines and costs add up to the scorecards' of the same month. A
//! slip's approval and a repair's cost are what the rows say when the ledger is read: a slip
//! drafted in November and approved in December moves into November's amount to settle, so a
//! month's ledger is always "as of" its reading (the page and the workbook say when).
//!
//! Figure keys: `settle.contractor.<id>.<column>` for a contractor's line, `settle.total.<column>`
//! for the total line (kept apart, so no contractor id can stand for the total).

use std::collections::{BTreeMap, BTreeSet};

use plumbline_shared::ids::{ContractorId, FindingId};
use plumbline_shared::workflow::FineStatus;

use super::{Figures, Index, Month, Value};

/// One contractor's line of the ledger, or the project's total line (figure keys into the
/// report's [`Figures`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLine {
    /// Fully approved fine slips: their total (the amount to settle).
    pub fines_approved: String,
    /// Slips still waiting for an approval: their total.
    pub fines_pending: String,
    /// Emergency repairs with their cost recorded: the cost charged.
    pub emergency_cost: String,
    /// Emergency repairs still without a cost (the audit cannot start).
    pub emergency_uncosted: String,
    /// Approved fines and recorded costs together: what the month settles.
    pub total: String,
}

/// The month's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ledger {
    /// One line per contractor with a fine slip (not voided) or a charged emergency repair in
    /// the month, in the scorecards' order.
    pub lines: Vec<(ContractorId, LedgerLine)>,
    /// The project's total line, when there is any line.
    pub total: Option<LedgerLine>,
}

/// Sums of one line, with the cases behind each.
#[derive(Default)]
struct Sums {
    fines_approved: (i64, BTreeSet<FindingId>),
    fines_pending: (i64, BTreeSet<FindingId>),
    emergency_cost: (i64, BTreeSet<FindingId>),
    emergency_uncosted: (u64, BTreeSet<FindingId>),
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        fn join<T: Copy + std::ops::AddAssign>(
            a: &mut (T, BTreeSet<FindingId>),
            b: &(T, BTreeSet<FindingId>),
        ) {
            a.0 += b.0;
            a.1.extend(b.1.iter().cloned());
        }
        join(&mut self.fines_approved, &other.fines_approved);
        join(&mut self.fines_pending, &other.fines_pending);
        join(&mut self.emergency_cost, &other.emergency_cost);
        join(&mut self.emergency_uncosted, &other.emergency_uncosted);
    }

    fn put(self, prefix: &str, figures: &mut Figures) -> LedgerLine {
        let total_cases: BTreeSet<FindingId> = self
            .fines_approved
            .1
            .iter()
            .chain(self.emergency_cost.1.iter())
            .cloned()
            .collect();
        let total = self.fines_approved.0 + self.emergency_cost.0;
        LedgerLine {
            fines_approved: figures.put(
                format!("{prefix}.fines_approved"),
                Value::Money(self.fines_approved.0),
                self.fines_approved.1,
            ),
            fines_pending: figures.put(
                format!("{prefix}.fines_pending"),
                Value::Money(self.fines_pending.0),
                self.fines_pending.1,
            ),
            emergency_cost: figures.put(
                format!("{prefix}.emergency_cost"),
                Value::Money(self.emergency_cost.0),
                self.emergency_cost.1,
            ),
            emergency_uncosted: figures.put(
                format!("{prefix}.emergency_uncosted"),
                Value::Count(self.emergency_uncosted.0),
                self.emergency_uncosted.1,
            ),
            total: figures.put(format!("{prefix}.total"), Value::Money(total), total_cases),
        }
    }
}

pub(super) fn compute(index: &Index<'_>, month: Month, figures: &mut Figures) -> Ledger {
    let rows = index.input.rows;
    let in_month = month.range();
    let mut by: BTreeMap<&ContractorId, Sums> = BTreeMap::new();
    for f in rows.fines.iter().filter(|f| {
        in_month.contains(&f.drafted_at)
            && f.status != FineStatus::Voided
            && index.counts(&f.finding)
    }) {
        let sums = by.entry(&f.contractor).or_default();
        let column = if f.status == FineStatus::Approved {
            &mut sums.fines_approved
        } else {
            &mut sums.fines_pending
        };
        column.0 += f.amount_fen;
        column.1.insert(f.finding.clone());
    }
    for e in rows
        .emergencies
        .iter()
        .filter(|e| in_month.contains(&e.started_at) && index.counts(&e.finding))
    {
        let Some(contractor) = &e.charged_to else {
            continue;
        };
        let sums = by.entry(contractor).or_default();
        match e.cost_fen {
            Some(cost) => {
                sums.emergency_cost.0 += cost;
                sums.emergency_cost.1.insert(e.finding.clone());
            }
            None => {
                sums.emergency_uncosted.0 += 1;
                sums.emergency_uncosted.1.insert(e.finding.clone());
            }
        }
    }
    if by.is_empty() {
        return Ledger::default();
    }
    // The scorecards' order.
    let mut by: Vec<(&ContractorId, Sums)> = by.into_iter().collect();
    let order = index.contractor_order();
    by.sort_by_key(|(c, _)| order(c));
    let mut all = Sums::default();
    let mut lines = Vec::new();
    for (contractor, sums) in by {
        all.add(&sums);
        lines.push((
            contractor.clone(),
            sums.put(&format!("settle.contractor.{contractor}"), figures),
        ));
    }
    Ledger {
        lines,
        total: Some(all.put("settle.total", figures)),
    }
}
