//! The reports: the monthly report, the product suggestion table, contractor scorecards and
//! satisfaction — pure functions from one project's projected rows to [`Figure`]s.
//!
//! `docs/reports.md` defines every figure; this module is that document in code. The store
//! loads the rows ([`ReportRows`]), [`compute`] does the rest in memory: a project of 20,000
//! cases is a few megabytes of rows, and one pass over them is cheaper and easier to check than
//! a dozen SQL aggregates that would each restate the counting rules.
//!
//! The rules every report shares:
//! - only cases that count (not merged into another, not cancelled as "not a defect") are in
//!   any figure, and so are their notices, fines, callbacks and emergency repairs;
//! - a month is a calendar month in Beijing ([`Month`]);
//! - deadlines are judged by [`plumbline_shared::workflow::kept`], the rule the workflow uses
//!   for penalty conditions 2 and 3, with everything known now.
//!
//! Only the backlog and the scorecards' deadlines depend on the instant a report is read;
//! [`settle`] computes the rest once, and [`Settled::at`] finishes it for an instant.

pub mod chart;
mod figure;
mod month;
mod monthly;
mod satisfaction;
mod scorecard;
mod settlement;
mod suggestions;

use std::collections::{BTreeSet, HashMap};

use plumbline_shared::ids::{BuildingId, ContractorId, FindingId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::time::Timestamp;

pub use figure::{Figure, Figures, Value};
pub use month::{BadMonth, Month};
pub use monthly::{Backlog, Monthly};
pub use satisfaction::Satisfaction;
pub use scorecard::Scorecard;
pub use settlement::{Ledger, LedgerLine};
pub use suggestions::{Cluster, Suggestion, Threshold};

use crate::store::{CaseRecord, ReportRows};

/// What the reports of one project are computed from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The project document (units, buildings, contractors, suggestion notes).
    pub project: &'a Project,
    /// Its projected rows.
    pub rows: &'a ReportRows,
    /// Its units whose pre-handover inspection has started.
    pub inspected: &'a BTreeSet<UnitId>,
    /// The time the report is made.
    pub now: Timestamp,
}

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportParams {
    /// The month.
    pub month: Month,
    /// When a product-suggestion group becomes a candidate.
    pub threshold: Threshold,
}

/// Every report of one project and month.
#[derive(Debug, Clone)]
pub struct Report {
    /// The month reported on.
    pub month: Month,
    /// Every figure, by key.
    pub figures: Figures,
    /// The monthly report's own figures (intake, closures, backlog, trends).
    pub monthly: Monthly,
    /// The product suggestion table, largest groups first.
    pub suggestions: Vec<Suggestion>,
    /// One scorecard per contractor with something in the month.
    pub scorecards: Vec<Scorecard>,
    /// Callbacks by level.
    pub satisfaction: Satisfaction,
    /// The settlement ledger.
    pub ledger: Ledger,
}

/// Computes every report of `input`'s project for `params`, at `input.now`.
pub fn compute(input: &ReportInput<'_>, params: &ReportParams) -> Report {
    settle(input, params).at(input)
}

/// The part of every report of one project and month that no later instant changes: all but
/// the figures counted at "now" (the backlog while the month runs; the scorecards' deadlines
/// kept, missed or still pending). The office's pages keep it for as long as the project's
/// rows do not change ([`crate::report_cache`]) and finish it for the instant of each read
/// with [`Settled::at`], so that a page costs that part only.
#[derive(Debug, Clone)]
pub struct Settled {
    params: ReportParams,
    figures: Figures,
    monthly: monthly::Settled,
    suggestions: Vec<Suggestion>,
    satisfaction: Satisfaction,
    ledger: Ledger,
}

/// Computes the settled part of every report of `input`'s project for `params` (`input.now`
/// is not read).
pub fn settle(input: &ReportInput<'_>, params: &ReportParams) -> Settled {
    let index = Index::new(input);
    let mut figures = Figures::default();
    let monthly = monthly::settle(&index, params.month, &mut figures);
    let suggestions = suggestions::compute(&index, params, &mut figures);
    let satisfaction = satisfaction::compute(&index, params.month, &mut figures);
    let ledger = settlement::compute(&index, params.month, &mut figures);
    Settled {
        params: *params,
        figures,
        monthly,
        suggestions,
        satisfaction,
        ledger,
    }
}

impl Settled {
    /// The whole report at `input.now`. `input` must hold the rows and project this was
    /// settled from (the cache keeps them together).
    pub fn at(&self, input: &ReportInput<'_>) -> Report {
        let index = Index::new(input);
        let month = self.params.month;
        let mut figures = self.figures.clone();
        let backlog = monthly::backlog(&index, month, input.now, &mut figures);
        let scorecards = scorecard::compute(&index, month, input.now, &mut figures);
        Report {
            month,
            figures,
            monthly: self.monthly.with(backlog),
            suggestions: self.suggestions.clone(),
            scorecards,
            satisfaction: self.satisfaction.clone(),
            ledger: self.ledger.clone(),
        }
    }
}

/// Where a unit is: what clusters are made of.
#[derive(Debug, Clone)]
struct Place {
    building: BuildingId,
    floor: u32,
    position: u32,
}

/// The rows arranged for the reports: counted cases by id, units by id.
struct Index<'a> {
    input: &'a ReportInput<'a>,
    /// Cases that count, by id (hashed: the reports look cases up row by row).
    cases: HashMap<&'a FindingId, &'a CaseRecord>,
    /// The same cases in id order, for every count that walks them.
    ordered: Vec<&'a CaseRecord>,
    places: HashMap<&'a UnitId, Place>,
}

impl<'a> Index<'a> {
    fn new(input: &'a ReportInput<'a>) -> Self {
        let mut ordered: Vec<&CaseRecord> =
            input.rows.cases.iter().filter(|c| c.case.counts).collect();
        // A finding has one case row (the `cases` table's key), so the two agree.
        ordered.sort_by(|a, b| a.case.finding.as_str().cmp(b.case.finding.as_str()));
        let cases = ordered.iter().map(|c| (&c.case.finding, *c)).collect();
        let places = input
            .project
            .buildings
            .iter()
            .flat_map(|b| {
                b.units.iter().map(|u| {
                    (
                        &u.id,
                        Place {
                            building: b.id.clone(),
                            floor: u.floor,
                            position: u.position,
                        },
                    )
                })
            })
            .collect();
        Index {
            input,
            cases,
            ordered,
            places,
        }
    }

    /// The counted case `finding`, if it counts.
    fn case(&self, finding: &FindingId) -> Option<&'a CaseRecord> {
        self.cases.get(finding).copied()
    }

    /// Whether `finding` counts.
    fn counts(&self, finding: &FindingId) -> bool {
        self.cases.contains_key(finding)
    }

    /// The order contractors are listed in by the reports: the project's own order (the order
    /// people know them in), then any no longer listed, by id. A sort key for each contractor.
    fn contractor_order(&self) -> impl Fn(&ContractorId) -> (usize, String) + 'a {
        let order: HashMap<&'a ContractorId, usize> = self
            .input
            .project
            .contractors
            .iter()
            .enumerate()
            .map(|(i, c)| (&c.id, i))
            .collect();
        move |c| {
            (
                order.get(c).copied().unwrap_or(usize::MAX),
                c.as_str().to_owned(),
            )
        }
    }

    /// Counted cases, in id order.
    fn counted(&self) -> impl Iterator<Item = &'a CaseRecord> + '_ {
        self.ordered.iter().copied()
    }
}
