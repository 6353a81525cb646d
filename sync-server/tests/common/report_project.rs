//! A scripted project for the report tests (`tests/web_reports.rs`) and the report benchmark.
//!
//! [`generate`] builds a project of B buildings × F floors × P units ([`Params`]) with the
//! residential checklist template and six contractors, and a *script*: for every finding, when
//! it was recorded, how it came in, what it is, and what happened to it afterwards — notices,
//! answers, refusals, disputes and reassignments, repair reports, acceptances, emergency
//! repairs, fines, callbacks, merges, cancellations, closings — as [`Step`]s, together with the
//! plain facts those steps establish ([`Facts`]: when each notice was issued, answered, stopped,
//! accepted, …). It also starts pre-handover rounds on a known set of units. The *report month*
//! is the calendar month, in Beijing time, before the one [`Params::now`] falls in; the script
//! spreads findings over that month and the three before it, with some right at its borders.
//!
//! [`write`] stores the project and every unit document through the server's own write path
//! ([`unit_write::edit_unit`], the one the office actions use), so the receipts and the
//! projection are the real ones. [`Generated::expected`] counts every report figure from the
//! facts alone — not through the workflow, the projection or the reports module — so a report
//! page is checked against an independent count.
//!
//! The script only appends events the workflow accepts in the state the case is in
//! ([`Sim`] asserts it step by step), and it keeps away from the places where
//! `docs/reports.md` leaves the answer open (see "Readings" below): every finding's life is
//! drawn at random and drawn again while it is ambiguous ([`ambiguity`]).
//!
//! It is included by path from the tests and from a benchmark, so it uses only std, chrono,
//! the two crates' public APIs and the server's dependencies, and a PRNG of its own ([`Rng`]).
//!
//! # Readings of docs/reports.md
//!
//! Where the text leaves a choice, the expectations here take the reading below, and the script
//! avoids the situations in which another reasonable reading would give a different figure.
//!
//! 1. **"As of" and events after the month.** The month is over, so clock-dependent figures are
//!    judged at the month's end `E` (the next month's 1st, 00:00 Beijing). Whether an event
//!    dated after `E` (an answer, a repair report, an acceptance, a void, a finish) is taken
//!    into account is not said. The expectation counts with every event; a life is drawn again
//!    whenever counting only the events before `E` would change any figure, so both readings
//!    agree on every generated life.
//! 2. **Promises.** A response (or repair) is *met* when the answer (first repair report) came
//!    at or before its deadline, *missed* when it came later or never came and the deadline
//!    passed while the clock ran (`min(stop, now) > deadline`: docs/reports.md judges a
//!    month's notices with everything known when the report is made), *stopped* when it never
//!    came and the clock stopped before the deadline, *pending* otherwise. Deadlines within
//!    minutes of [`Params::now`] are avoided (the server's clock reads a little later). The
//!    clock of a notice stops at the first refusal, dispute, reassignment, emergency repair,
//!    acceptance, closing, cancellation or merge (the workflow's `clock_stopped_at`). A repair
//!    reported without an earlier check-in answers the notice (the workflow's rule). Unanswered
//!    notices are only ever stopped by a refusal or a dispute here (emergency repairs start
//!    only after an answer), as the doc's "(refused or disputed)" says; a repair clock may also
//!    stop by an emergency repair or a cancellation. A clock stopped exactly at a deadline, and
//!    deadlines within a second of `E`, are avoided.
//! 3. **Backlog age** is `E − recorded`; ages within a second of the bucket borders (7–8,
//!    30–31 and 90–91 days, where whole days counted down or up, or calendar days, differ) are
//!    avoided for backlog cases.
//! 4. **Closed** means `closed_at`: closed, or cancelled for another reason. A case is never
//!    closed twice, and a 不满意 callback is only scripted on an accepted case that is not
//!    closed, so "closed in the month" never meets a reopened case.
//! 5. **Responsible contractor** (suggestion contractors, satisfaction per contractor) is the
//!    contractor of the case's current notice; a case reopened after 不满意 gets its new notice
//!    from the same contractor, so the callback's contractor is unambiguous. A case without a
//!    notice has no responsible contractor and is in no `.contractor.{id}` figure (there is no
//!    "no contractor" key).
//! 6. **Mean time to repair** runs from the case's first notice to the acceptance of the
//!    notice that was accepted. Cases recorded in the report month are never reopened, so they
//!    have at most one accepted notice.
//! 7. **Candidates**: units affected ≥ `min_units`, or units affected × 100 ≥ P × units
//!    inspected with `min_share=P`; with both given, either makes a candidate ("reach" the
//!    threshold: equality is a candidate).
//!    **Stacks and floors**: `{building id}-{position}` / `{building id}-{floor}`, most units
//!    first, ties by that key in string order, the first three with 2 units or more.
//! 8. **Scorecard rows** exist for contractors with a notice issued, a fine drafted or an
//!    emergency repair started in the month (on counted cases); every row has all sixteen
//!    figures, zeros included. Fines and emergency repairs are charged to the fine's contractor
//!    and the emergency's `charged_to` (the current notice's contractor when it started).
//! 9. **Satisfaction per contractor** lists contractors with at least one callback in the month;
//!    per project lists every project the person can see (those without data show zeros).
//! 10. **Units inspected**: units with at least one pre-handover round or any finding; all
//!     rounds here start before the month's end. Handover-walk rounds alone do not count.
//! 11. **Cases behind a figure** (the list's row count): for counts of cases, those cases; for
//!     counts of notices, fines, callbacks and emergency repairs, their distinct cases; for
//!     sums, the cases summed (fines not voided, emergency repairs finished, answered notices);
//!     for a share, the group's cases; for a mean, the cases averaged; for the first-time
//!     acceptance rate, the cases of the notices with a decision (the denominator); for units,
//!     stacks and floors, the group's cases in them. "Units inspected" has no case list and is
//!     not in [`Expected::cases`].
#![allow(dead_code)] // the test and the benchmark use different parts

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::finding::OwnerContact;
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::{
    CallbackChannel, Event, EventKind, FineApprovalStep, Origin, ResponseMode, Satisfaction,
};
use plumbline_shared::ids::{
    BlobHash, BuildingId, ContractorId, DeviceId, EventId, FindingId, FineId, ItemId, ProjectId,
    UnitId, UserId,
};
use plumbline_shared::project::{Building, Contractor, Project, Trade, Unit};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::template::{ChecklistTemplate, residential};
use plumbline_shared::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, Timestamp};
use plumbline_shared::workflow::{PenaltyCondition, Status};
use plumbline_sync_server::error::ApiError;
use plumbline_sync_server::state::AppState;
use plumbline_sync_server::{setup, unit_write};

const RESPONSE_MS: i64 = 4 * HOUR_MS;

// ---------------------------------------------------------------------------------------------
// Randomness and months
// ---------------------------------------------------------------------------------------------

/// splitmix64: small, fast, and the same on every machine for the same seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(hi > lo, "empty range {lo}..{hi}");
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// An index below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// An index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.next_u64() % total;
        for (i, w) in weights.iter().enumerate() {
            if x < u64::from(*w) {
                return i;
            }
            x -= u64::from(*w);
        }
        weights.len() - 1
    }
}

/// A calendar month in Beijing time (UTC+8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// The month `t` falls in, in Beijing time.
    pub fn containing(t: i64) -> Self {
        let date = DateTime::from_timestamp_millis(t + 8 * HOUR_MS)
            .expect("a time within chrono's range")
            .date_naive();
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn minus(self, n: u32) -> Self {
        (0..n).fold(self, |m, _| m.previous())
    }

    /// The 1st, 00:00 Beijing time (the previous day, 16:00 UTC), in ms.
    pub fn start(self) -> i64 {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month");
        Timestamp::start_of_day_cst(first).0
    }

    /// The next month's start: the first instant not in this month.
    pub fn end(self) -> i64 {
        self.next().start()
    }

    pub fn contains(self, t: i64) -> bool {
        (self.start()..self.end()).contains(&t)
    }

    /// `YYYY-MM`, as the `month` parameter takes it.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The serde name of a satisfaction level (`very_satisfied`, …).
pub fn level_key(level: Satisfaction) -> &'static str {
    match level {
        Satisfaction::VerySatisfied => "very_satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::BasicallySatisfied => "basically_satisfied",
        Satisfaction::Dissatisfied => "dissatisfied",
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters and the generated script
// ---------------------------------------------------------------------------------------------

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    /// The project id; buildings, units and contractors are named after it.
    pub project: String,
    /// Buildings.
    pub buildings: u32,
    /// Floors per building. Keep it at 9 or fewer where stack and floor ties must sort the
    /// same as strings and as numbers (see reading 7).
    pub floors: u32,
    /// Units per floor.
    pub per_floor: u32,
    /// Findings in all, about 25 of them scripted edge cases (the rest random).
    pub findings: usize,
    /// Seed of the PRNG.
    pub seed: u64,
    /// The clock the script is drawn against: every event is before it, and the report month
    /// is the one before the month it falls in. Always an instant the test chose (the server
    /// it writes to runs on a clock set to it), never the machine's date.
    pub now: Timestamp,
}

impl Params {
    /// `buildings × floors × per_floor` units and `findings` findings, drawn against `now`.
    pub fn new(
        project: &str,
        (buildings, floors, per_floor): (u32, u32, u32),
        findings: usize,
        seed: u64,
        now: Timestamp,
    ) -> Self {
        Self {
            project: project.to_owned(),
            buildings,
            floors,
            per_floor,
            findings,
            seed,
            now,
        }
    }
}

/// One unit, where it is.
#[derive(Debug, Clone)]
pub struct UnitInfo {
    pub id: UnitId,
    pub building: BuildingId,
    /// Index of the building (0-based).
    pub building_index: u32,
    pub floor: u32,
    pub position: u32,
}

/// One rectification notice as the script made it go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    pub no: String,
    /// Index into [`Generated::contractors`].
    pub contractor: usize,
    pub issued: i64,
    pub response_deadline: i64,
    pub repair_deadline: i64,
    /// On site, a plan, or a repair report without either before it.
    pub answered: Option<i64>,
    pub refused: Option<i64>,
    /// When this contractor's clocks stopped (the first stop).
    pub stopped: Option<i64>,
    pub first_report: Option<i64>,
    pub failed: Vec<i64>,
    pub accepted: Option<i64>,
    pub returned: Option<i64>,
}

impl NoticeFacts {
    /// The notice as it stood before `cutoff` (every fact when `None`).
    fn known(&self, cutoff: Option<i64>) -> Self {
        let k = |t: Option<i64>| t.filter(|t| known(*t, cutoff));
        Self {
            answered: k(self.answered),
            refused: k(self.refused),
            stopped: k(self.stopped),
            first_report: k(self.first_report),
            failed: self
                .failed
                .iter()
                .copied()
                .filter(|t| known(*t, cutoff))
                .collect(),
            accepted: k(self.accepted),
            returned: k(self.returned),
            ..self.clone()
        }
    }
}

/// An emergency repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyFacts {
    pub started: i64,
    pub charged_to: usize,
    /// When it finished and its cost in fen.
    pub finished: Option<(i64, i64)>,
}

/// A fine slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FineFacts {
    pub id: String,
    pub contractor: usize,
    pub condition: PenaltyCondition,
    pub drafted: i64,
    pub amount: i64,
    /// Approvals given (leader, then manager).
    pub approvals: u8,
    pub voided: Option<i64>,
}

/// What a finding's steps established.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub notices: Vec<NoticeFacts>,
    /// Closed, or cancelled for another reason than "not a defect".
    pub closed: Option<i64>,
    /// Merged into another finding, or cancelled as "not a defect": from then on it does not
    /// count.
    pub uncounted: Option<i64>,
    pub emergencies: Vec<EmergencyFacts>,
    pub fines: Vec<FineFacts>,
    pub callbacks: Vec<(i64, Satisfaction)>,
}

/// One scripted event after the `recorded` one.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: i64,
    pub kind: StepKind,
    /// The contractor who answers, for the contractor's own steps.
    pub contractor: Option<usize>,
}

/// What a step does (contractors by index into [`Generated::contractors`]).
#[derive(Debug, Clone)]
pub enum StepKind {
    /// A photo (the n-th of the finding).
    Evidence(u32),
    Notice {
        no: String,
        contractor: usize,
        deadline: i64,
    },
    Reassign {
        no: String,
        contractor: usize,
        deadline: i64,
    },
    Refuse,
    Respond(ResponseMode),
    Dispute,
    Report,
    Fail,
    Pass,
    Return,
    EmergencyStart,
    EmergencyFinish(i64),
    FineDraft {
        fine: String,
        contractor: usize,
        condition: PenaltyCondition,
        amount: i64,
    },
    FineApprove {
        fine: String,
        step: FineApprovalStep,
    },
    FineVoid {
        fine: String,
    },
    Callback(Satisfaction),
    Close,
    Cancel {
        not_a_defect: bool,
    },
    /// Merged into the case with this index (same unit); it gets the `merged_from`.
    MergeInto(usize),
}

/// One finding of the script.
#[derive(Debug, Clone)]
pub struct ScriptCase {
    pub index: usize,
    /// Index into [`Generated::units`].
    pub unit: usize,
    pub origin: Origin,
    pub room: String,
    pub item: String,
    pub category: String,
    pub severity: Severity,
    pub recorded: i64,
    pub steps: Vec<Step>,
    pub facts: Facts,
    /// The status the script means the case to end in.
    pub status: Status,
    /// A name for the scripted edge cases.
    pub special: Option<&'static str>,
    /// The finding's id, once written.
    pub finding: Option<FindingId>,
}

impl ScriptCase {
    /// Whether the case counts now (not merged away, not "not a defect").
    pub fn counts(&self) -> bool {
        self.facts.uncounted.is_none()
    }

    /// The contractor of its current notice.
    pub fn contractor(&self) -> Option<usize> {
        self.facts.notices.last().map(|n| n.contractor)
    }
}

/// An inspection round the script starts.
#[derive(Debug, Clone)]
pub struct ScriptRound {
    pub unit: usize,
    pub at: i64,
    pub kind: RoundKind,
    /// Check items marked as passed.
    pub passed: Vec<ItemId>,
}

/// The project, the script and what the reports must say about it.
#[derive(Debug, Clone)]
pub struct Generated {
    pub params: Params,
    pub project: Project,
    /// The report month.
    pub month: Month,
    pub units: Vec<UnitInfo>,
    pub contractors: Vec<ContractorId>,
    pub cases: Vec<ScriptCase>,
    pub rounds: Vec<ScriptRound>,
    /// Units with a pre-handover round.
    pub inspected: BTreeSet<usize>,
}

/// How product-suggestion candidates are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// At least this many units affected (`min_units`).
    Units(u32),
    /// At least this percentage of the units inspected (`min_share`).
    Share(u32),
    /// Either: at least this many units, or at least this percentage (both given).
    Either(u32, u32),
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::Units(3)
    }
}

/// Every figure of the month's reports: key → exact value, and key → the cases behind it.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    pub figures: BTreeMap<String, String>,
    /// Indices into [`Generated::cases`].
    pub cases: BTreeMap<String, BTreeSet<usize>>,
}

impl Expected {
    /// How many rows the list behind `key` has (`None` for a figure without a case list).
    pub fn rows(&self, key: &str) -> Option<usize> {
        self.cases.get(key).map(BTreeSet::len)
    }

    fn put(&mut self, key: String, value: impl fmt::Display, cases: &BTreeSet<usize>) {
        self.figures.insert(key.clone(), value.to_string());
        self.cases.insert(key, cases.clone());
    }
}

// ---------------------------------------------------------------------------------------------
// The expectation: every figure counted from the facts
// ---------------------------------------------------------------------------------------------

fn known(t: i64, cutoff: Option<i64>) -> bool {
    cutoff.is_none_or(|c| t < c)
}

/// How a promise with a deadline stands at `as_of` (reading 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Promise {
    Met = 0,
    Missed = 1,
    Stopped = 2,
    Pending = 3,
}

fn promise(deadline: i64, done: Option<i64>, stopped: Option<i64>, as_of: i64) -> Promise {
    match done {
        Some(t) if t <= deadline => Promise::Met,
        Some(_) => Promise::Missed,
        None => {
            let stopped = stopped.filter(|s| *s <= as_of);
            let horizon = stopped.unwrap_or(as_of);
            if horizon > deadline {
                Promise::Missed
            } else if stopped.is_some() {
                Promise::Stopped
            } else {
                Promise::Pending
            }
        }
    }
}

const AGE_KEYS: [&str; 4] = ["0-7", "8-30", "31-90", "90+"];

fn age_bucket(age: i64) -> usize {
    if age < 7 * DAY_MS + DAY_MS / 2 {
        0
    } else if age < 30 * DAY_MS + DAY_MS / 2 {
        1
    } else if age < 90 * DAY_MS + DAY_MS / 2 {
        2
    } else {
        3
    }
}

/// Ages at which whole days counted down, counted up, or calendar days give different buckets.
fn forbidden_age(age: i64) -> bool {
    [7, 30, 90]
        .iter()
        .any(|d| (d * DAY_MS - SECOND_MS..=(d + 1) * DAY_MS + SECOND_MS).contains(&age))
}

/// A count or a sum, and the cases behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Tally {
    n: i64,
    cases: BTreeSet<usize>,
}

impl Tally {
    fn add(&mut self, case: usize, n: i64) {
        self.n += n;
        self.cases.insert(case);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GroupTally {
    cases: BTreeSet<usize>,
    /// Unit → the group's cases in it.
    units: BTreeMap<usize, BTreeSet<usize>>,
    /// Sum of ms from the first notice to the acceptance, over accepted cases.
    mttr: Tally,
    contractors: BTreeMap<usize, BTreeSet<usize>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ScoreTally {
    notices: Tally,
    /// By [`Promise`].
    response: [Tally; 4],
    repair: [Tally; 4],
    first_time: Tally,
    decided: Tally,
    fines: Tally,
    fines_total: Tally,
    fines_voided: Tally,
    emergency: Tally,
    emergency_cost: Tally,
    response_ms: Tally,
    answered: Tally,
}

/// Every figure's running count; comparable, so that one case's contribution can be compared
/// under two readings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Tallies {
    intake: BTreeSet<usize>,
    by_origin: BTreeMap<Origin, BTreeSet<usize>>,
    closures: BTreeSet<usize>,
    backlog: BTreeSet<usize>,
    ages: [BTreeSet<usize>; 4],
    groups: BTreeMap<(String, String), GroupTally>,
    scores: BTreeMap<usize, ScoreTally>,
    sat_month: BTreeMap<(Month, Satisfaction), Tally>,
    sat_project: BTreeMap<Satisfaction, Tally>,
    sat_contractor: BTreeMap<(usize, Satisfaction), Tally>,
    reopened: BTreeSet<usize>,
}

impl Tallies {
    /// Adds what `c` contributes to the figures of `month`, knowing only the events before
    /// `cutoff` (all of them when `None`).
    fn add(&mut self, c: &ScriptCase, month: Month, cutoff: Option<i64>, now: i64) {
        let end = month.end();
        if !known(c.recorded, cutoff) || c.facts.uncounted.is_some_and(|t| known(t, cutoff)) {
            return;
        }
        let i = c.index;
        if month.contains(c.recorded) {
            self.intake.insert(i);
            self.by_origin.entry(c.origin).or_default().insert(i);
        }
        let closed = c.facts.closed.filter(|t| known(*t, cutoff));
        if closed.is_some_and(|t| month.contains(t)) {
            self.closures.insert(i);
        }
        if c.recorded < end && closed.is_none_or(|t| t >= end) {
            self.backlog.insert(i);
            self.ages[age_bucket(end - c.recorded)].insert(i);
        }
        let notices: Vec<NoticeFacts> = c
            .facts
            .notices
            .iter()
            .filter(|n| known(n.issued, cutoff))
            .map(|n| n.known(cutoff))
            .collect();
        let contractor = notices.last().map(|n| n.contractor);

        if month.contains(c.recorded) {
            let g = self
                .groups
                .entry((c.item.clone(), c.category.clone()))
                .or_default();
            g.cases.insert(i);
            g.units.entry(c.unit).or_default().insert(i);
            let accepted = notices.iter().rev().find_map(|n| n.accepted);
            if let (Some(first), Some(accepted)) = (notices.first(), accepted) {
                g.mttr.add(i, accepted - first.issued);
            }
            if let Some(k) = contractor {
                g.contractors.entry(k).or_default().insert(i);
            }
        }

        for n in notices.iter().filter(|n| month.contains(n.issued)) {
            let s = self.scores.entry(n.contractor).or_default();
            s.notices.add(i, 1);
            let response = promise(n.response_deadline, n.answered, n.stopped, now);
            s.response[response as usize].add(i, 1);
            let repair = promise(n.repair_deadline, n.first_report, n.stopped, now);
            s.repair[repair as usize].add(i, 1);
            if n.accepted.is_some() || !n.failed.is_empty() {
                s.decided.add(i, 1);
                if n.accepted.is_some() && n.failed.is_empty() {
                    s.first_time.add(i, 1);
                }
            }
            if let Some(t) = n.answered {
                s.answered.add(i, 1);
                s.response_ms.add(i, t - n.issued);
            }
        }
        for f in &c.facts.fines {
            if !known(f.drafted, cutoff) || !month.contains(f.drafted) {
                continue;
            }
            let s = self.scores.entry(f.contractor).or_default();
            s.fines.add(i, 1);
            if f.voided.is_some_and(|t| known(t, cutoff)) {
                s.fines_voided.add(i, 1);
            } else {
                s.fines_total.add(i, f.amount);
            }
        }
        for e in &c.facts.emergencies {
            if !known(e.started, cutoff) || !month.contains(e.started) {
                continue;
            }
            let s = self.scores.entry(e.charged_to).or_default();
            s.emergency.add(i, 1);
            if let Some((_, cost)) = e.finished.filter(|(t, _)| known(*t, cutoff)) {
                s.emergency_cost.add(i, cost);
            }
        }

        let first = month.minus(11);
        for &(t, level) in &c.facts.callbacks {
            if !known(t, cutoff) {
                continue;
            }
            let m = Month::containing(t);
            if first <= m && m <= month {
                self.sat_month.entry((m, level)).or_default().add(i, 1);
            }
            if month.contains(t) {
                self.sat_project.entry(level).or_default().add(i, 1);
                if let Some(k) = contractor {
                    self.sat_contractor.entry((k, level)).or_default().add(i, 1);
                }
                if level == Satisfaction::Dissatisfied {
                    self.reopened.insert(i);
                }
            }
        }
    }
}

fn fraction(numerator: i64, denominator: i64) -> String {
    if denominator == 0 {
        "0/0".into()
    } else {
        format!("{numerator}/{denominator}")
    }
}

/// The three largest places with 2 units or more: most units first, then by key.
fn top_three(places: BTreeMap<String, (BTreeSet<usize>, BTreeSet<usize>)>) -> Vec<Place> {
    let mut v: Vec<Place> = places
        .into_iter()
        .filter(|(_, (units, _))| units.len() >= 2)
        .map(|(key, (units, cases))| Place { key, units, cases })
        .collect();
    v.sort_by(|a, b| b.units.len().cmp(&a.units.len()).then(a.key.cmp(&b.key)));
    v.truncate(3);
    v
}

struct Place {
    key: String,
    units: BTreeSet<usize>,
    cases: BTreeSet<usize>,
}

impl Generated {
    /// Every figure of the report month, for a person who sees `visible` projects (this one
    /// among them), with candidates chosen by `threshold`.
    pub fn expected(&self, threshold: Threshold, visible: &[ProjectId]) -> Expected {
        let month = self.month;
        let mut t = Tallies::default();
        for c in &self.cases {
            t.add(c, month, None, self.params.now.0);
        }
        let mut out = Expected::default();
        let none = BTreeSet::new();

        // The monthly report.
        out.put("intake".into(), t.intake.len(), &t.intake);
        for o in Origin::ALL {
            let set = t.by_origin.get(&o).unwrap_or(&none);
            out.put(format!("intake.origin.{}", o.as_str()), set.len(), set);
        }
        out.put("closures".into(), t.closures.len(), &t.closures);
        out.put("backlog".into(), t.backlog.len(), &t.backlog);
        for (k, set) in AGE_KEYS.iter().zip(&t.ages) {
            out.put(format!("backlog.age.{k}"), set.len(), set);
        }

        // Product suggestions.
        let inspected = self.inspected.len() as i64;
        out.figures
            .insert("suggest.inspected".into(), inspected.to_string());
        for ((item, category), g) in &t.groups {
            let p = format!("suggest.{item}.{category}");
            let units = g.units.len() as i64;
            out.put(format!("{p}.cases"), g.cases.len(), &g.cases);
            out.put(format!("{p}.units"), units, &g.cases);
            out.put(format!("{p}.share"), fraction(units, inspected), &g.cases);
            out.put(
                format!("{p}.mttr"),
                fraction(g.mttr.n, g.mttr.cases.len() as i64),
                &g.mttr.cases,
            );
            let by_units = |n: u32| units >= i64::from(n);
            let by_share = |pct: u32| inspected > 0 && units * 100 >= i64::from(pct) * inspected;
            let candidate = match threshold {
                Threshold::Units(n) => by_units(n),
                Threshold::Share(pct) => by_share(pct),
                Threshold::Either(n, pct) => by_units(n) || by_share(pct),
            };
            out.put(format!("{p}.candidate"), u8::from(candidate), &g.cases);
            let mut stacks: BTreeMap<String, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
            let mut floors: BTreeMap<String, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
            for (u, cases) in &g.units {
                let info = &self.units[*u];
                for (map, key) in [
                    (&mut stacks, format!("{}-{}", info.building, info.position)),
                    (&mut floors, format!("{}-{}", info.building, info.floor)),
                ] {
                    let e = map.entry(key).or_default();
                    e.0.insert(*u);
                    e.1.extend(cases);
                }
            }
            for (what, places) in [("stack", stacks), ("floor", floors)] {
                for place in top_three(places) {
                    out.put(
                        format!("{p}.{what}.{}", place.key),
                        place.units.len(),
                        &place.cases,
                    );
                }
            }
            for (k, cases) in &g.contractors {
                out.put(
                    format!("{p}.contractor.{}", self.contractors[*k]),
                    cases.len(),
                    cases,
                );
            }
        }

        // Contractor scorecards.
        for (k, s) in &t.scores {
            let p = format!("score.{}", self.contractors[*k]);
            out.put(format!("{p}.notices"), s.notices.n, &s.notices.cases);
            for (name, i) in [("met", 0), ("missed", 1), ("stopped", 2), ("pending", 3)] {
                let r = &s.response[i];
                out.put(format!("{p}.response_{name}"), r.n, &r.cases);
            }
            for (name, i) in [("on_time", 0), ("late", 1), ("stopped", 2), ("pending", 3)] {
                let r = &s.repair[i];
                out.put(format!("{p}.repair_{name}"), r.n, &r.cases);
            }
            out.put(
                format!("{p}.first_time"),
                fraction(s.first_time.n, s.decided.n),
                &s.decided.cases,
            );
            out.put(format!("{p}.fines"), s.fines.n, &s.fines.cases);
            out.put(
                format!("{p}.fines_total"),
                s.fines_total.n,
                &s.fines_total.cases,
            );
            out.put(
                format!("{p}.fines_voided"),
                s.fines_voided.n,
                &s.fines_voided.cases,
            );
            out.put(format!("{p}.emergency"), s.emergency.n, &s.emergency.cases);
            out.put(
                format!("{p}.emergency_cost"),
                s.emergency_cost.n,
                &s.emergency_cost.cases,
            );
            out.put(
                format!("{p}.response_time"),
                fraction(s.response_ms.n, s.answered.n),
                &s.answered.cases,
            );
        }

        // Satisfaction.
        let zero = Tally::default();
        let mut m = month.minus(11);
        loop {
            for level in Satisfaction::ALL {
                let tally = t.sat_month.get(&(m, level)).unwrap_or(&zero);
                out.put(
                    format!("sat.month.{}.{}", m.key(), level_key(level)),
                    tally.n,
                    &tally.cases,
                );
            }
            if m == month {
                break;
            }
            m = m.next();
        }
        for project in visible {
            for level in Satisfaction::ALL {
                let tally = if *project == self.project.id {
                    t.sat_project.get(&level).unwrap_or(&zero)
                } else {
                    &zero
                };
                out.put(
                    format!("sat.project.{project}.{}", level_key(level)),
                    tally.n,
                    &tally.cases,
                );
            }
        }
        let with_callbacks: BTreeSet<usize> = t.sat_contractor.keys().map(|(k, _)| *k).collect();
        for k in with_callbacks {
            for level in Satisfaction::ALL {
                let tally = t.sat_contractor.get(&(k, level)).unwrap_or(&zero);
                out.put(
                    format!(
                        "sat.contractor.{}.{}",
                        self.contractors[k],
                        level_key(level)
                    ),
                    tally.n,
                    &tally.cases,
                );
            }
        }
        out.put("sat.reopened".into(), t.reopened.len(), &t.reopened);
        out
    }

    /// The cases of one unit, in script order.
    pub fn cases_of(&self, unit: usize) -> Vec<&ScriptCase> {
        self.cases.iter().filter(|c| c.unit == unit).collect()
    }
}

/// Why a case's figures would depend on a reading of the doc (see the module docs), or `None`.
pub fn ambiguity(c: &ScriptCase, month: Month, now: i64) -> Option<&'static str> {
    let end = month.end();
    let mut all = Tallies::default();
    all.add(c, month, None, now);
    let mut before = Tallies::default();
    before.add(c, month, Some(end), now);
    if all != before {
        return Some("a figure depends on events after the month's end");
    }
    if all.backlog.contains(&c.index) && forbidden_age(end - c.recorded) {
        return Some("in the backlog at an age on a bucket border");
    }
    for n in c.facts.notices.iter().filter(|n| month.contains(n.issued)) {
        for d in [n.response_deadline, n.repair_deadline] {
            if (d - end).abs() <= SECOND_MS {
                return Some("a deadline at the month's end");
            }
            if n.stopped == Some(d) {
                return Some("a clock stopped exactly at a deadline");
            }
            if (d - now).abs() <= 10 * MINUTE_MS {
                return Some("a deadline within minutes of now, when the server judges it");
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// One finding's life, step by step
// ---------------------------------------------------------------------------------------------

/// Plays one finding's life forward: every action checks that the workflow accepts it in the
/// current state (a failed check is a bug in the script), records the step and the facts it
/// establishes, and ends the life quietly once its time would pass the limit (so the life is
/// always a valid prefix).
#[derive(Debug)]
pub struct Sim {
    case: usize,
    /// The time of the last step.
    pub t: i64,
    limit: i64,
    cut: bool,
    pub status: Status,
    callback_in_cycle: bool,
    photos: u32,
    pub steps: Vec<Step>,
    pub facts: Facts,
}

impl Sim {
    fn new(case: usize, recorded: i64, limit: i64) -> Self {
        Self {
            case,
            t: recorded,
            limit,
            cut: false,
            status: Status::Open,
            callback_in_cycle: false,
            photos: 0,
            steps: Vec::new(),
            facts: Facts::default(),
        }
    }

    /// `ms` after the last step.
    pub fn after(&self, ms: i64) -> i64 {
        self.t + ms
    }

    fn advance(&mut self, at: i64) -> Option<()> {
        if self.cut {
            return None;
        }
        assert!(
            at > self.t,
            "case {}: a step at {at} is not after the last one at {}",
            self.case,
            self.t
        );
        if at > self.limit {
            self.cut = true;
            return None;
        }
        self.t = at;
        Some(())
    }

    fn require(&self, ok: bool, what: &str) {
        assert!(
            ok,
            "case {}: `{what}` does not fit a case that is {:?}",
            self.case, self.status
        );
    }

    fn push(&mut self, kind: StepKind, by_contractor: bool) {
        let contractor = if by_contractor {
            self.contractor()
        } else {
            None
        };
        self.steps.push(Step {
            at: self.t,
            kind,
            contractor,
        });
    }

    fn notice(&self) -> Option<&NoticeFacts> {
        self.facts.notices.last()
    }

    fn notice_mut(&mut self) -> &mut NoticeFacts {
        let case = self.case;
        self.facts
            .notices
            .last_mut()
            .unwrap_or_else(|| panic!("case {case}: no notice"))
    }

    pub fn contractor(&self) -> Option<usize> {
        self.notice().map(|n| n.contractor)
    }

    fn stop_clock(&mut self) {
        let t = self.t;
        if let Some(n) = self.facts.notices.last_mut() {
            n.stopped.get_or_insert(t);
        }
    }

    fn is(&self, statuses: &[Status]) -> bool {
        statuses.contains(&self.status)
    }

    fn start_notice(&mut self, contractor: usize, repair_ms: i64, reassign: bool) {
        self.stop_clock();
        let t = self.t;
        let no = format!("ZG-{}-{}", self.case, self.facts.notices.len() + 1);
        let deadline = t + repair_ms;
        let kind = if reassign {
            StepKind::Reassign {
                no: no.clone(),
                contractor,
                deadline,
            }
        } else {
            StepKind::Notice {
                no: no.clone(),
                contractor,
                deadline,
            }
        };
        self.facts.notices.push(NoticeFacts {
            no,
            contractor,
            issued: t,
            response_deadline: t + RESPONSE_MS,
            repair_deadline: deadline,
            answered: None,
            refused: None,
            stopped: None,
            first_report: None,
            failed: Vec::new(),
            accepted: None,
            returned: None,
        });
        self.status = Status::Notified;
        self.push(kind, false);
    }

    pub fn evidence(&mut self, at: i64) -> Option<()> {
        self.advance(at)?;
        self.photos += 1;
        self.push(StepKind::Evidence(self.photos), false);
        Some(())
    }

    pub fn issue(&mut self, at: i64, contractor: usize, repair_ms: i64) -> Option<()> {
        self.require(self.is(&[Status::Open, Status::Reopened]), "notice_issued");
        self.advance(at)?;
        self.start_notice(contractor, repair_ms, false);
        Some(())
    }

    pub fn reassign(&mut self, at: i64, contractor: usize, repair_ms: i64) -> Option<()> {
        let refused = self.notice().is_some_and(|n| n.refused.is_some());
        self.require(
            self.status == Status::Disputed || (self.status == Status::Notified && refused),
            "reassigned",
        );
        self.advance(at)?;
        self.start_notice(contractor, repair_ms, true);
        Some(())
    }

    pub fn respond(&mut self, at: i64, mode: ResponseMode) -> Option<()> {
        let refused = self.notice().is_some_and(|n| n.refused.is_some());
        self.require(
            self.status == Status::Notified && !refused,
            "contractor_responded",
        );
        self.advance(at)?;
        let t = self.t;
        self.notice_mut().answered = Some(t);
        self.status = Status::InRepair;
        self.push(StepKind::Respond(mode), true);
        Some(())
    }

    pub fn refuse(&mut self, at: i64) -> Option<()> {
        let fresh = self
            .notice()
            .is_some_and(|n| n.answered.is_none() && n.refused.is_none());
        self.require(self.status == Status::Notified && fresh, "notice_refused");
        self.advance(at)?;
        let t = self.t;
        let n = self.notice_mut();
        n.refused = Some(t);
        n.stopped.get_or_insert(t);
        self.push(StepKind::Refuse, true);
        Some(())
    }

    pub fn dispute(&mut self, at: i64) -> Option<()> {
        self.require(self.is(&[Status::Notified, Status::InRepair]), "disputed");
        self.advance(at)?;
        self.stop_clock();
        self.status = Status::Disputed;
        self.push(StepKind::Dispute, true);
        Some(())
    }

    pub fn report(&mut self, at: i64) -> Option<()> {
        let refused = self.notice().is_some_and(|n| n.refused.is_some());
        self.require(
            (self.status == Status::Notified && !refused) || self.status == Status::InRepair,
            "repair_reported",
        );
        self.advance(at)?;
        let t = self.t;
        let n = self.notice_mut();
        n.answered.get_or_insert(t);
        n.first_report.get_or_insert(t);
        self.status = Status::RepairReported;
        self.push(StepKind::Report, true);
        Some(())
    }

    pub fn fail(&mut self, at: i64) -> Option<()> {
        self.require(self.status == Status::RepairReported, "acceptance_failed");
        self.advance(at)?;
        let t = self.t;
        self.notice_mut().failed.push(t);
        self.status = Status::InRepair;
        self.push(StepKind::Fail, false);
        Some(())
    }

    pub fn pass(&mut self, at: i64) -> Option<()> {
        self.require(self.status == Status::RepairReported, "acceptance_passed");
        self.advance(at)?;
        let t = self.t;
        let n = self.notice_mut();
        n.accepted = Some(t);
        n.stopped.get_or_insert(t);
        self.status = Status::Accepted;
        self.push(StepKind::Pass, false);
        Some(())
    }

    pub fn returned(&mut self, at: i64) -> Option<()> {
        let open = self.notice().is_some_and(|n| n.returned.is_none());
        self.require(
            open && self.is(&[Status::RepairReported, Status::Accepted, Status::Closed]),
            "notice_returned",
        );
        self.advance(at)?;
        let t = self.t;
        self.notice_mut().returned = Some(t);
        self.push(StepKind::Return, true);
        Some(())
    }

    /// Emergency repair, only after the contractor answered (reading 2).
    pub fn emergency_start(&mut self, at: i64) -> Option<()> {
        let charged_to = self.contractor();
        self.require(
            self.status == Status::InRepair && charged_to.is_some(),
            "emergency_repair_started",
        );
        self.advance(at)?;
        self.stop_clock();
        self.facts.emergencies.push(EmergencyFacts {
            started: self.t,
            charged_to: charged_to.expect("checked above"),
            finished: None,
        });
        self.status = Status::EmergencyRepair;
        self.push(StepKind::EmergencyStart, false);
        Some(())
    }

    pub fn emergency_finish(&mut self, at: i64, cost: i64) -> Option<()> {
        self.require(
            self.status == Status::EmergencyRepair,
            "emergency_repair_finished",
        );
        self.advance(at)?;
        let t = self.t;
        if let Some(e) = self.facts.emergencies.last_mut() {
            e.finished = Some((t, cost));
        }
        self.status = Status::RepairReported;
        self.push(StepKind::EmergencyFinish(cost), false);
        Some(())
    }

    /// Drafts a fine; returns its index among the case's fines.
    pub fn fine(
        &mut self,
        at: i64,
        contractor: usize,
        condition: PenaltyCondition,
        amount: i64,
    ) -> Option<usize> {
        self.require(!self.status.is_terminal(), "fine_drafted");
        self.advance(at)?;
        let id = format!("fine-{}-{}", self.case, self.facts.fines.len() + 1);
        self.facts.fines.push(FineFacts {
            id: id.clone(),
            contractor,
            condition,
            drafted: self.t,
            amount,
            approvals: 0,
            voided: None,
        });
        self.push(
            StepKind::FineDraft {
                fine: id,
                contractor,
                condition,
                amount,
            },
            false,
        );
        Some(self.facts.fines.len() - 1)
    }

    pub fn approve(&mut self, at: i64, fine: usize) -> Option<()> {
        let f = &self.facts.fines[fine];
        self.require(
            f.voided.is_none() && f.approvals < 2 && !self.status.is_terminal(),
            "fine_approved",
        );
        self.advance(at)?;
        let f = &mut self.facts.fines[fine];
        let step = if f.approvals == 0 {
            FineApprovalStep::Leader
        } else {
            FineApprovalStep::Manager
        };
        f.approvals += 1;
        let id = f.id.clone();
        self.push(StepKind::FineApprove { fine: id, step }, false);
        Some(())
    }

    pub fn void(&mut self, at: i64, fine: usize) -> Option<()> {
        self.require(self.facts.fines[fine].voided.is_none(), "fine_voided");
        self.advance(at)?;
        let t = self.t;
        let f = &mut self.facts.fines[fine];
        f.voided = Some(t);
        let id = f.id.clone();
        self.push(StepKind::FineVoid { fine: id }, false);
        Some(())
    }

    pub fn callback(&mut self, at: i64, level: Satisfaction) -> Option<()> {
        let on_closed = self.status == Status::Closed && !self.callback_in_cycle;
        self.require(self.status == Status::Accepted || on_closed, "callback");
        // Reading 4: 不满意 only on an accepted case that is not closed.
        self.require(
            level != Satisfaction::Dissatisfied || self.status == Status::Accepted,
            "callback 不满意",
        );
        self.advance(at)?;
        self.callback_in_cycle = true;
        let t = self.t;
        self.facts.callbacks.push((t, level));
        if level == Satisfaction::Dissatisfied {
            self.status = Status::Reopened;
            self.callback_in_cycle = false;
        }
        self.push(StepKind::Callback(level), false);
        Some(())
    }

    pub fn close(&mut self, at: i64) -> Option<()> {
        self.require(
            self.is(&[Status::Accepted, Status::Open, Status::Reopened])
                && self.facts.closed.is_none(),
            "closed",
        );
        self.advance(at)?;
        self.stop_clock();
        self.facts.closed = Some(self.t);
        self.status = Status::Closed;
        self.push(StepKind::Close, false);
        Some(())
    }

    pub fn cancel(&mut self, at: i64, not_a_defect: bool) -> Option<()> {
        self.require(
            !self.status.is_terminal() && self.facts.closed.is_none(),
            "cancelled",
        );
        self.advance(at)?;
        self.stop_clock();
        if not_a_defect {
            self.facts.uncounted = Some(self.t);
        } else {
            self.facts.closed = Some(self.t);
        }
        self.status = Status::Cancelled;
        self.push(StepKind::Cancel { not_a_defect }, false);
        Some(())
    }

    pub fn merge_into(&mut self, at: i64, survivor: usize) -> Option<()> {
        self.require(!self.status.is_terminal(), "merged_into");
        self.advance(at)?;
        self.stop_clock();
        self.facts.uncounted = Some(self.t);
        self.status = Status::Merged;
        self.push(StepKind::MergeInto(survivor), false);
        Some(())
    }
}

// ---------------------------------------------------------------------------------------------
// Random lives
// ---------------------------------------------------------------------------------------------

/// Contractors the random lives use (indices 0–3); 4 only has scripted work, 5 none at all.
const RANDOM_CONTRACTOR_WEIGHTS: [u32; 4] = [35, 25, 25, 15];
const X: usize = 4;

fn pick_contractor(rng: &mut Rng, except: Option<usize>) -> usize {
    loop {
        let c = rng.weighted(&RANDOM_CONTRACTOR_WEIGHTS);
        if Some(c) != except {
            return c;
        }
    }
}

fn mode(rng: &mut Rng) -> ResponseMode {
    if rng.chance(0.7) {
        ResponseMode::OnSite
    } else {
        ResponseMode::Plan
    }
}

fn level(rng: &mut Rng, dissatisfied: bool) -> Satisfaction {
    let i = rng.weighted(&[30, 35, 20, if dissatisfied { 15 } else { 0 }]);
    Satisfaction::ALL[i]
}

/// A fine against `c`, then maybe approvals and maybe a void.
fn fine(s: &mut Sim, rng: &mut Rng, at: i64, c: usize, condition: PenaltyCondition) -> Option<()> {
    let amount = 500_000 + 100_000 * rng.range(0, 16);
    let k = s.fine(at, c, condition, amount)?;
    if rng.chance(0.15) {
        return s.void(s.after(rng.range(HOUR_MS, 3 * DAY_MS)), k);
    }
    if rng.chance(0.6) {
        s.approve(s.after(rng.range(HOUR_MS, 2 * DAY_MS)), k)?;
        if rng.chance(0.6) {
            s.approve(s.after(rng.range(HOUR_MS, 2 * DAY_MS)), k)?;
        }
        if rng.chance(0.05) {
            s.void(s.after(rng.range(HOUR_MS, 3 * DAY_MS)), k)?;
        }
    }
    Some(())
}

/// Knobs of one random life.
#[derive(Debug, Clone, Copy)]
struct Life {
    repair_days: i64,
    /// 不满意 (and the reopen after it) is allowed: the case was recorded before the month
    /// (reading 6).
    dissatisfied: bool,
}

fn random_life(s: &mut Sim, rng: &mut Rng, life: Life) -> Option<()> {
    if rng.chance(0.55) {
        s.evidence(s.after(rng.range(SECOND_MS, 5 * MINUTE_MS)))?;
    }
    match rng.weighted(&[10, 4, 4, 3, 79]) {
        0 => Some(()),
        1 => s.close(s.after(rng.range(HOUR_MS, 5 * DAY_MS))),
        // Cancelled: 2 as "not a defect", 3 for another reason.
        fate @ (2 | 3) => {
            let not_a_defect = fate == 2;
            if rng.chance(0.4) {
                let c = pick_contractor(rng, None);
                s.issue(
                    s.after(rng.range(20 * MINUTE_MS, 2 * DAY_MS)),
                    c,
                    life.repair_days * DAY_MS,
                )?;
                s.respond(s.after(rng.range(MINUTE_MS, 3 * HOUR_MS)), mode(rng))?;
            }
            s.cancel(s.after(rng.range(HOUR_MS, 3 * DAY_MS)), not_a_defect)
        }
        _ => notice_flow(s, rng, life, None),
    }
}

/// A notice (or, after a refusal or dispute, a reassignment away from `previous`) and what
/// the contractor does with it.
fn notice_flow(s: &mut Sim, rng: &mut Rng, life: Life, previous: Option<usize>) -> Option<()> {
    let c = pick_contractor(rng, previous);
    let repair_ms = life.repair_days * DAY_MS + rng.range(0, 6 * HOUR_MS);
    if previous.is_none() {
        s.issue(s.after(rng.range(20 * MINUTE_MS, 2 * DAY_MS)), c, repair_ms)?;
    } else {
        s.reassign(s.after(rng.range(30 * MINUTE_MS, 2 * DAY_MS)), c, repair_ms)?;
    }
    let issued = s.t;
    match rng.weighted(&[45, 3, 2, 12, 8, 6, 6, 18]) {
        0 => s.respond(
            issued + rng.range(MINUTE_MS, RESPONSE_MS - MINUTE_MS),
            mode(rng),
        )?,
        // At the deadline itself is in time; a millisecond later is not.
        1 => s.respond(issued + RESPONSE_MS, mode(rng))?,
        2 => s.respond(issued + RESPONSE_MS + 1, mode(rng))?,
        3 => {
            s.respond(
                issued + rng.range(RESPONSE_MS + SECOND_MS, 2 * DAY_MS),
                mode(rng),
            )?;
            if rng.chance(0.3) {
                let at = s.after(rng.range(HOUR_MS, DAY_MS));
                fine(s, rng, at, c, PenaltyCondition::NoResponse)?;
            }
        }
        // A repair reported without a check-in answers the notice too.
        4 => {
            s.report(issued + rng.range(30 * MINUTE_MS, 6 * HOUR_MS))?;
            return acceptance_flow(s, rng, life);
        }
        r @ (5 | 6) => {
            let at = if rng.chance(0.8) {
                issued + rng.range(10 * MINUTE_MS, RESPONSE_MS - MINUTE_MS)
            } else {
                issued + rng.range(RESPONSE_MS + MINUTE_MS, DAY_MS)
            };
            if r == 5 {
                s.refuse(at)?;
                if rng.chance(0.5) {
                    let at = s.after(rng.range(HOUR_MS, DAY_MS));
                    fine(s, rng, at, c, PenaltyCondition::Refused)?;
                }
            } else {
                s.dispute(at)?;
            }
            if previous.is_none() && rng.chance(0.65) {
                return notice_flow(s, rng, life, Some(c));
            }
            if r == 5 && rng.chance(0.15) {
                s.cancel(s.after(rng.range(HOUR_MS, 2 * DAY_MS)), false)?;
            }
            return Some(());
        }
        // No answer at all.
        _ => {
            if rng.chance(0.3) {
                let at = issued + RESPONSE_MS + rng.range(HOUR_MS, 3 * DAY_MS);
                fine(s, rng, at, c, PenaltyCondition::NoResponse)?;
            }
            return Some(());
        }
    }
    repair_flow(s, rng, life, previous, c)
}

/// The contractor answered: the repair, on time or not, or another team's.
fn repair_flow(
    s: &mut Sim,
    rng: &mut Rng,
    life: Life,
    previous: Option<usize>,
    c: usize,
) -> Option<()> {
    let deadline = s.notice().map(|n| n.repair_deadline).expect("a notice");
    match rng.weighted(&[8, 52, 3, 15, 8, 14]) {
        0 => {
            s.dispute(s.after(rng.range(HOUR_MS, 2 * DAY_MS)))?;
            if previous.is_none() && rng.chance(0.7) {
                return notice_flow(s, rng, life, Some(c));
            }
            return Some(());
        }
        1 if deadline - s.t > 2 * HOUR_MS => {
            s.report(rng.range(s.t + HOUR_MS, deadline + 1))?;
        }
        2 if deadline > s.t => s.report(deadline)?,
        4 => {
            let latest = deadline.max(s.t + 2 * HOUR_MS) + 2 * DAY_MS;
            s.emergency_start(rng.range(s.t + HOUR_MS, latest))?;
            if !rng.chance(0.8) {
                return Some(());
            }
            let cost = 100 * rng.range(500, 30_000);
            s.emergency_finish(s.after(rng.range(6 * HOUR_MS, 4 * DAY_MS)), cost)?;
        }
        5 => {
            if rng.chance(0.2) {
                let at = deadline.max(s.t) + rng.range(HOUR_MS, 2 * DAY_MS);
                fine(s, rng, at, c, PenaltyCondition::RepairLateOrFailed)?;
            }
            return Some(());
        }
        // Late (also where "on time" had no room left before the deadline).
        _ => {
            s.report(deadline.max(s.t) + rng.range(SECOND_MS, 5 * DAY_MS))?;
            if rng.chance(0.3) {
                let at = s.after(rng.range(HOUR_MS, DAY_MS));
                fine(s, rng, at, c, PenaltyCondition::RepairLateOrFailed)?;
            }
        }
    }
    acceptance_flow(s, rng, life)
}

/// A repair awaits acceptance.
fn acceptance_flow(s: &mut Sim, rng: &mut Rng, life: Life) -> Option<()> {
    match rng.weighted(&[15, 68, 17]) {
        0 => return Some(()),
        1 => s.pass(s.after(rng.range(2 * HOUR_MS, 3 * DAY_MS)))?,
        _ => {
            s.fail(s.after(rng.range(2 * HOUR_MS, 3 * DAY_MS)))?;
            let c = s.contractor().expect("a failed repair has a contractor");
            if rng.chance(0.4) {
                let at = s.after(rng.range(HOUR_MS, DAY_MS));
                fine(s, rng, at, c, PenaltyCondition::RepairLateOrFailed)?;
            }
            if !rng.chance(0.8) {
                return Some(());
            }
            s.report(s.after(rng.range(DAY_MS, 4 * DAY_MS)))?;
            if !rng.chance(0.85) {
                return Some(());
            }
            s.pass(s.after(rng.range(2 * HOUR_MS, 2 * DAY_MS)))?;
        }
    }
    after_acceptance(s, rng, life)
}

/// Accepted: the notice comes back, the owner is called, the case is closed — or reopened.
fn after_acceptance(s: &mut Sim, rng: &mut Rng, life: Life) -> Option<()> {
    if rng.chance(0.7) {
        s.returned(s.after(rng.range(HOUR_MS, 72 * HOUR_MS)))?;
    }
    if rng.chance(0.65) {
        let level = level(rng, life.dissatisfied);
        s.callback(s.after(rng.range(DAY_MS, 10 * DAY_MS)), level)?;
        if level == Satisfaction::Dissatisfied {
            let c = s.contractor().expect("an accepted repair has a contractor");
            if rng.chance(0.6) {
                let at = s.after(rng.range(HOUR_MS, DAY_MS));
                fine(s, rng, at, c, PenaltyCondition::OwnerDissatisfied)?;
            }
            // Reading 5: the new notice goes to the same contractor.
            s.issue(s.after(rng.range(HOUR_MS, 2 * DAY_MS)), c, 3 * DAY_MS)?;
            s.respond(
                s.after(rng.range(MINUTE_MS, 3 * HOUR_MS)),
                ResponseMode::OnSite,
            )?;
            s.report(s.after(rng.range(HOUR_MS, 2 * DAY_MS)))?;
            s.pass(s.after(rng.range(2 * HOUR_MS, 2 * DAY_MS)))?;
            let again = Life {
                dissatisfied: false,
                ..life
            };
            return after_acceptance(s, rng, again);
        }
    }
    if rng.chance(0.6) {
        s.close(s.after(rng.range(HOUR_MS, 5 * DAY_MS)))?;
        if !s.callback_in_cycle && rng.chance(0.2) {
            let level = level(rng, false);
            s.callback(s.after(rng.range(HOUR_MS, 5 * DAY_MS)), level)?;
        }
    }
    Some(())
}

/// A duplicate complaint, merged into `survivor` (maybe after a notice of its own).
fn duplicate_life(s: &mut Sim, rng: &mut Rng, survivor: usize) -> Option<()> {
    if rng.chance(0.5) {
        s.evidence(s.after(rng.range(SECOND_MS, 5 * MINUTE_MS)))?;
    }
    if rng.chance(0.3) {
        let c = pick_contractor(rng, None);
        s.issue(s.after(rng.range(30 * MINUTE_MS, DAY_MS)), c, 7 * DAY_MS)?;
        s.respond(s.after(rng.range(MINUTE_MS, 3 * HOUR_MS)), mode(rng))?;
    }
    s.merge_into(s.after(rng.range(HOUR_MS, 2 * DAY_MS)), survivor)
}

// ---------------------------------------------------------------------------------------------
// What findings are about
// ---------------------------------------------------------------------------------------------

/// Where a recurring defect concentrates.
#[derive(Debug, Clone, Copy)]
enum Affinity {
    None,
    /// (building index, position): one stack.
    Stack(u32, u32),
    /// (building index, floor).
    Floor(u32, u32),
}

/// The recurring item + category groups (product-suggestion candidates); the rest of the
/// template's items come up rarely.
const HOT: [(&str, Option<&str>, u32, Affinity); 12] = [
    ("bathroom.ponding_test", None, 30, Affinity::Stack(0, 1)),
    ("bathroom.ceiling_stain", None, 24, Affinity::Stack(1, 2)),
    ("living.wall_hollow", None, 24, Affinity::Floor(0, 2)),
    ("kitchen.drain", None, 21, Affinity::None),
    ("bedroom.window_seal", None, 18, Affinity::Floor(2, 3)),
    ("entry.door_operation", None, 18, Affinity::None),
    ("balcony.railing_fixing", None, 12, Affinity::Stack(0, 3)),
    ("living.sockets", None, 12, Affinity::None),
    ("bathroom.floor_drain", None, 12, Affinity::None),
    ("general.structural_crack", None, 9, Affinity::None),
    // The same item in its own category and in another: two groups.
    ("bathroom.wall_tiles", Some("finishes"), 9, Affinity::None),
    ("bathroom.wall_tiles", None, 6, Affinity::None),
];

#[derive(Debug, Clone)]
struct Meta {
    origin: Origin,
    room: String,
    item: String,
    category: String,
    severity: Severity,
}

struct Builder<'a> {
    rng: Rng,
    month: Month,
    limit: i64,
    /// The clock the report is judged at (promises still open are judged against it).
    now: i64,
    units: &'a [UnitInfo],
    template: ChecklistTemplate,
    rare: Vec<String>,
    cases: Vec<ScriptCase>,
}

impl Builder<'_> {
    fn affine(&self, unit: usize, affinity: Affinity) -> bool {
        let u = &self.units[unit];
        let buildings = self.units.last().map_or(1, |l| l.building_index + 1);
        match affinity {
            Affinity::None => false,
            Affinity::Stack(b, p) => u.building_index == b % buildings && u.position == p,
            Affinity::Floor(b, f) => u.building_index == b % buildings && u.floor == f,
        }
    }

    fn meta(&mut self, unit: usize, origin: Option<Origin>) -> Meta {
        let mut weights: Vec<u32> = HOT
            .iter()
            .map(|(_, _, w, a)| if self.affine(unit, *a) { w * 8 } else { *w })
            .collect();
        weights.extend(std::iter::repeat_n(1, self.rare.len()));
        let pick = self.rng.weighted(&weights);
        let (item, category) = if pick < HOT.len() {
            (HOT[pick].0.to_owned(), HOT[pick].1.map(str::to_owned))
        } else {
            (self.rare[pick - HOT.len()].clone(), None)
        };
        let item_id: ItemId = item.parse().expect("template item ids are valid");
        let (room, check) = self
            .template
            .item(&item_id)
            .expect("an item of the template");
        let severity = if self.rng.chance(0.2) {
            Severity::ALL[self.rng.below(4)]
        } else {
            check.default_severity
        };
        let origin = origin.unwrap_or_else(|| Origin::ALL[self.rng.weighted(&[55, 15, 10, 12, 8])]);
        Meta {
            origin,
            room: room.id.to_string(),
            category: category.unwrap_or_else(|| check.category.to_string()),
            item,
            severity,
        }
    }

    fn case(&self, unit: usize, meta: &Meta, recorded: i64, sim: Sim) -> ScriptCase {
        ScriptCase {
            index: self.cases.len(),
            unit,
            origin: meta.origin,
            room: meta.room.clone(),
            item: meta.item.clone(),
            category: meta.category.clone(),
            severity: meta.severity,
            recorded,
            steps: sim.steps,
            facts: sim.facts,
            status: sim.status,
            special: None,
            finding: None,
        }
    }

    fn sim(&self, recorded: i64) -> Sim {
        Sim::new(self.cases.len(), recorded, self.limit)
    }

    /// A scripted edge case; panics when it is ambiguous (a mistake in the script).
    fn special(
        &mut self,
        name: &'static str,
        (unit, origin): (usize, Origin),
        recorded: i64,
        life: impl FnOnce(&mut Sim) -> Option<()>,
    ) -> usize {
        let unit = unit % self.units.len();
        let meta = self.meta(unit, Some(origin));
        let mut sim = self.sim(recorded);
        let _ = life(&mut sim);
        let mut case = self.case(unit, &meta, recorded, sim);
        case.special = Some(name);
        if let Some(why) = ambiguity(&case, self.month, self.now) {
            panic!("the scripted case `{name}` is ambiguous: {why}");
        }
        self.cases.push(case);
        self.cases.len() - 1
    }

    /// A random life for a finding recorded at `recorded`, drawn again while ambiguous.
    fn random(
        &mut self,
        unit: usize,
        meta: &Meta,
        recorded: i64,
        survivor: Option<usize>,
    ) -> usize {
        let life = Life {
            repair_days: i64::from(meta.severity.proposed_rectify_days()),
            dissatisfied: recorded < self.month.start(),
        };
        for _ in 0..60 {
            let mut sim = self.sim(recorded);
            let _ = match survivor {
                Some(s) => duplicate_life(&mut sim, &mut self.rng, s),
                None => random_life(&mut sim, &mut self.rng, life),
            };
            let case = self.case(unit, meta, recorded, sim);
            if ambiguity(&case, self.month, self.now).is_none() {
                self.cases.push(case);
                return self.cases.len() - 1;
            }
        }
        // Nothing happens to it; or, at an age on a bucket border, it is closed at once.
        let plain = self.case(unit, meta, recorded, self.sim(recorded));
        let case = if ambiguity(&plain, self.month, self.now).is_none() {
            plain
        } else {
            let mut sim = self.sim(recorded);
            let _ = sim.close(recorded + MINUTE_MS);
            self.case(unit, meta, recorded, sim)
        };
        if let Some(why) = ambiguity(&case, self.month, self.now) {
            panic!("no unambiguous life for a finding recorded at {recorded}: {why}");
        }
        self.cases.push(case);
        self.cases.len() - 1
    }

    /// When a random finding is recorded: mostly in the month, a third before it, a few after.
    fn record_time(&mut self, earliest: i64) -> i64 {
        let (m0, m1) = (self.month.start(), self.month.end());
        let after_ok = self.limit > m1 + MINUTE_MS;
        loop {
            let r = self.rng.range(0, 100);
            let t = if r < 60 {
                self.rng.range(m0, m1)
            } else if r < 95 || !after_ok {
                self.rng.range(earliest, m0)
            } else {
                self.rng.range(m1, self.limit)
            };
            if !forbidden_age(m1 - t) {
                return t;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The project and the whole script
// ---------------------------------------------------------------------------------------------

fn contractor_specs(project: &str) -> Vec<(String, &'static str, Trade)> {
    [
        ("civil", "恒筑土建工程有限公司", Trade::Civil),
        ("mep", "安达机电安装有限公司", Trade::Mep),
        ("fitout", "美居精装修工程有限公司", Trade::FitOut),
        ("windows", "明光门窗有限公司", Trade::DoorsWindows),
        ("landscape", "绿城园林有限公司", Trade::Landscape),
        ("civil-b", "宏基建设有限公司", Trade::Civil),
    ]
    .into_iter()
    .map(|(id, name, trade)| (format!("{project}-{id}"), name, trade))
    .collect()
}

fn build_project(p: &Params) -> (Project, Vec<UnitInfo>) {
    let today = DateTime::from_timestamp_millis(p.now.0 + 8 * HOUR_MS)
        .expect("now is within chrono's range")
        .date_naive();
    let handover = today + chrono::Days::new(45);
    let mut units = Vec::new();
    let mut buildings: Vec<Building> = Vec::new();
    for b in 1..=p.buildings {
        let building = BuildingId::new(format!("{}-b{b}", p.project)).expect("a valid id");
        let mut list = Vec::new();
        for floor in 1..=p.floors {
            for position in 1..=p.per_floor {
                let id =
                    UnitId::new(format!("{building}-{floor}{position:02}")).expect("a valid id");
                units.push(UnitInfo {
                    id: id.clone(),
                    building: building.clone(),
                    building_index: b - 1,
                    floor,
                    position,
                });
                list.push(Unit {
                    id,
                    label: format!("{b}-{floor}{position:02}"),
                    floor,
                    position,
                    handover,
                });
            }
        }
        buildings.push(Building {
            id: building,
            name: format!("{b}栋"),
            floors: p.floors,
            units: list,
        });
    }
    let contractors: Vec<Contractor> = contractor_specs(&p.project)
        .into_iter()
        .enumerate()
        .map(|(i, (id, name, trade))| Contractor {
            id: ContractorId::new(id).expect("a valid id"),
            name: name.to_owned(),
            trades: vec![trade],
            phone: format!("1380000{i:04}"),
        })
        .collect();
    // Through serde rather than a struct literal: fields the project gains later with a
    // default (assignments, notes…) need no change here.
    let id = ProjectId::new(p.project.as_str()).expect("a valid project id");
    let project: Project = serde_json::from_value(serde_json::json!({
        "id": id,
        "name_zh": "报表测试苑",
        "name_en": "Report Court",
        "template": "residential",
        "buildings": buildings,
        "contractors": contractors,
    }))
    .expect("a project with every required field");
    (project, units)
}

/// Builds the project and the script for `p`.
pub fn generate(p: &Params) -> Generated {
    let month = Month::containing(p.now.0).previous();
    let m1 = month.end();
    let earliest = month.minus(3).start();
    // Every event is before `now`; past the month, the limit is kept to a whole hour so that
    // the same seed draws the same script for an hour.
    let before_now = p.now.0 - SECOND_MS;
    let limit = if before_now - m1 > 2 * HOUR_MS {
        m1 + (before_now - m1) / HOUR_MS * HOUR_MS
    } else {
        before_now
    };
    let (project, units) = build_project(p);
    let contractors: Vec<ContractorId> = project.contractors.iter().map(|c| c.id.clone()).collect();
    let template = residential();
    let hot: BTreeSet<&str> = HOT.iter().map(|h| h.0).collect();
    let rare: Vec<String> = template
        .items()
        .map(|(_, i)| i.id.to_string())
        .filter(|id| !hot.contains(id.as_str()))
        .step_by(4)
        .collect();
    // Items no random finding is about: the threshold groups below own them alone.
    let reserved: Vec<String> = template
        .items()
        .map(|(_, i)| i.id.to_string())
        .filter(|id| !hot.contains(id.as_str()) && !rare.contains(id))
        .collect();
    let mut b = Builder {
        rng: Rng::new(p.seed),
        month,
        limit,
        now: p.now.0,
        units: &units,
        template,
        rare,
        cases: Vec::new(),
    };

    // Inspection rounds: three units in four have a pre-handover round (some two); a few of
    // the others only a handover walk, which does not count.
    let mut rounds = Vec::new();
    let mut inspected = BTreeSet::new();
    let items: Vec<ItemId> = b.template.items().map(|(_, i)| i.id.clone()).collect();
    for u in 0..units.len() {
        let at = b.rng.range(earliest - 30 * DAY_MS, m1 - 2 * DAY_MS);
        if b.rng.chance(0.75) {
            inspected.insert(u);
            let passed = items[..b.rng.below(6)].to_vec();
            rounds.push(ScriptRound {
                unit: u,
                at,
                kind: RoundKind::PreHandover,
                passed,
            });
            if b.rng.chance(0.1) {
                rounds.push(ScriptRound {
                    unit: u,
                    at: at + DAY_MS,
                    kind: RoundKind::PreHandover,
                    passed: Vec::new(),
                });
            }
        } else if b.rng.chance(0.2) {
            rounds.push(ScriptRound {
                unit: u,
                at,
                kind: RoundKind::HandoverWalk,
                passed: Vec::new(),
            });
        }
    }

    specials(&mut b);

    // Random findings, unit by unit; a few are duplicates of an earlier finding of their unit.
    let remaining = p.findings.saturating_sub(b.cases.len());
    let mut per_unit = vec![0usize; units.len()];
    for _ in 0..remaining {
        per_unit[b.rng.below(units.len())] += 1;
    }
    for (u, n) in per_unit.into_iter().enumerate() {
        let mut originals: Vec<usize> = Vec::new();
        for _ in 0..n {
            let dup_of = (!originals.is_empty() && b.rng.chance(0.06))
                .then(|| originals[b.rng.below(originals.len())])
                .filter(|s| b.cases[*s].recorded < limit - 10 * DAY_MS);
            match dup_of {
                Some(s) => {
                    let original = &b.cases[s];
                    let meta = Meta {
                        origin: Origin::OwnerCall,
                        room: original.room.clone(),
                        item: original.item.clone(),
                        category: original.category.clone(),
                        severity: original.severity,
                    };
                    let mut recorded = original.recorded + b.rng.range(HOUR_MS, 5 * DAY_MS);
                    while forbidden_age(m1 - recorded) {
                        recorded += DAY_MS + HOUR_MS;
                    }
                    if recorded < limit {
                        b.random(u, &meta, recorded, Some(s));
                    }
                }
                None => {
                    let meta = b.meta(u, None);
                    let recorded = b.record_time(earliest);
                    originals.push(b.random(u, &meta, recorded, None));
                }
            }
        }
    }
    // Units inspected: with a pre-handover round or any finding. The threshold groups go to
    // such units only, so they do not change the count their sizes are drawn from.
    inspected.extend(b.cases.iter().map(|c| c.unit));
    threshold_groups(&mut b, &reserved, &inspected);
    let cases = b.cases;
    Generated {
        params: p.clone(),
        project,
        month,
        units,
        contractors,
        cases,
        rounds,
        inspected,
    }
}

/// The groups of a product-suggestion threshold's borders, there by construction (not by the
/// draw): for `min_units` 3 (the default) and 5, a group of 4 units (a candidate at 3, not at 5)
/// and one of 5 (a candidate at both: reaching counts); for `min_share=4`, a group at exactly
/// 4 % of the units inspected and one a unit below it. Each group is about an item no random
/// finding is about, recorded in distinct units in the middle of the report month, with no
/// life after (open backlog). A project too small for a group goes without it.
pub const THRESHOLD_GROUPS: [&str; 4] = [
    "4 units: min_units 3 yes, 5 no",
    "5 units: min_units 5 yes",
    "min_share=4 reached",
    "min_share=4 a unit short",
];

fn threshold_groups(b: &mut Builder<'_>, reserved: &[String], inspected: &BTreeSet<usize>) {
    let at_share = (4 * inspected.len()).div_ceil(100);
    let sizes = [4, 5, at_share, at_share.saturating_sub(1)];
    let pool: Vec<usize> = inspected.iter().copied().collect();
    let n = pool.len();
    for (g, (name, size)) in THRESHOLD_GROUPS.into_iter().zip(sizes).enumerate() {
        let Some(item) = reserved.get(g) else {
            panic!("the template has too few items for the threshold groups")
        };
        if size == 0 || size > n {
            continue;
        }
        let item_id: ItemId = item.parse().expect("template item ids are valid");
        let (room, check) = b.template.item(&item_id).expect("an item of the template");
        let meta = Meta {
            origin: Origin::Inspection,
            room: room.id.to_string(),
            item: item.clone(),
            category: check.category.to_string(),
            severity: check.default_severity,
        };
        // Distinct units, spread over the project.
        let stride = (n / size).max(1);
        let units: BTreeSet<usize> = (0..size).map(|k| pool[(g + k * stride) % n]).collect();
        assert_eq!(
            units.len(),
            size,
            "the threshold group `{name}` has distinct units"
        );
        for (k, unit) in units.into_iter().enumerate() {
            let recorded = b.month.start() + 10 * DAY_MS + (g * 10 + k) as i64 * HOUR_MS;
            let sim = b.sim(recorded);
            let mut case = b.case(unit, &meta, recorded, sim);
            case.special = Some(name);
            if let Some(why) = ambiguity(&case, b.month, b.now) {
                panic!("the threshold group `{name}` is ambiguous: {why}");
            }
            b.cases.push(case);
        }
    }
}

/// The scripted edge cases: each figure's borders, so that they are there whatever the draw.
fn specials(b: &mut Builder<'_>) {
    let (m0, m1) = (b.month.start(), b.month.end());
    let limit = b.limit;
    let (c0, c1, c2, c3) = (0, 1, 2, 3);
    use Origin::*;
    use ResponseMode::*;
    use Satisfaction::*;
    const H: i64 = HOUR_MS;
    const D: i64 = DAY_MS;

    b.special(
        "answered at the deadline",
        (0, OwnerCall),
        m0 + 2 * D + H,
        |s| {
            s.issue(s.after(H), c0, 7 * D)?;
            s.respond(s.after(RESPONSE_MS), OnSite)?;
            s.report(s.after(2 * D))?;
            s.pass(s.after(D))?;
            s.callback(s.after(2 * D), VerySatisfied)?;
            s.close(s.after(D))
        },
    );
    b.special(
        "answered 1 ms late, repaired at the deadline",
        (1, OwnerVisit),
        m0 + 3 * D,
        |s| {
            s.issue(s.after(H), c1, 7 * D)?;
            let issued = s.t;
            s.respond(issued + RESPONSE_MS + 1, Plan)?;
            s.report(issued + 7 * D)?;
            s.pass(s.after(D))
        },
    );
    b.special(
        "repaired 1 ms late, failed, fined",
        (2, HandoverWalk),
        m0 + 4 * D,
        |s| {
            s.issue(s.after(H), c2, 3 * D)?;
            let issued = s.t;
            s.respond(s.after(H), OnSite)?;
            s.report(issued + 3 * D + 1)?;
            s.fail(s.after(D))?;
            let f = s.fine(
                s.after(H),
                c2,
                PenaltyCondition::RepairLateOrFailed,
                600_000,
            )?;
            s.approve(s.after(H), f)?;
            s.approve(s.after(H), f)?;
            s.report(s.after(2 * D))?;
            s.pass(s.after(D))?;
            s.returned(s.after(H))
        },
    );
    b.special(
        "refused, fined, reassigned",
        (3, PropertyCompany),
        m0 + 5 * D,
        |s| {
            s.issue(s.after(H), c0, 7 * D)?;
            s.refuse(s.after(2 * H))?;
            let f = s.fine(s.after(H), c0, PenaltyCondition::Refused, 800_000)?;
            s.approve(s.after(D), f)?;
            s.approve(s.after(D), f)?;
            s.reassign(s.after(H), c3, 7 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(3 * D))?;
            s.pass(s.after(D))
        },
    );
    b.special(
        "disputed, reassigned, late, fine voided",
        (4, Inspection),
        m0 + 6 * D,
        |s| {
            s.issue(s.after(30 * MINUTE_MS), c1, 7 * D)?;
            s.dispute(s.after(H))?;
            s.reassign(s.after(D), c2, 5 * D)?;
            let issued = s.t;
            s.respond(s.after(5 * H), OnSite)?;
            let f = s.fine(s.after(H), c2, PenaltyCondition::NoResponse, 500_000)?;
            s.void(s.after(D), f)?;
            s.report(issued + 6 * D)?;
            s.pass(s.after(D))
        },
    );
    b.special(
        "notice pending at the month's end",
        (5, Inspection),
        m1 - 3 * H,
        |s| s.issue(m1 - 2 * H, c0, 3 * D),
    );
    b.special(
        "answer missed at the month's end",
        (6, Inspection),
        m1 - 6 * H,
        |s| s.issue(m1 - 5 * H, c1, 3 * D),
    );
    b.special(
        "emergency repair, finished, no notice this month",
        (7, Inspection),
        m0 - 20 * D,
        |s| {
            s.issue(s.after(D), X, 3 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.emergency_start(m0 + 2 * D)?;
            let f = s.fine(s.after(H), X, PenaltyCondition::RepairLateOrFailed, 700_000)?;
            s.approve(s.after(D), f)?;
            s.emergency_finish(m0 + 4 * D, 1_234_500)?;
            s.pass(s.after(D))
        },
    );
    b.special(
        "emergency repair, unfinished",
        (8, Inspection),
        m0 - 10 * D,
        |s| {
            s.issue(s.after(D), X, 3 * D)?;
            s.respond(s.after(2 * H), Plan)?;
            s.emergency_start(m0 + 10 * D)
        },
    );
    let survivor = b.special(
        "a duplicate's survivor",
        (9, Inspection),
        m0 + 7 * D,
        |_| Some(()),
    );
    b.special(
        "a merged duplicate with a notice",
        (9, OwnerCall),
        m0 + 7 * D + H,
        |s| {
            s.issue(s.after(H), c0, 7 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.merge_into(s.after(D), survivor)
        },
    );
    b.special(
        "not a defect, after a notice and a fine",
        (10, Inspection),
        m0 + 8 * D,
        |s| {
            s.issue(s.after(H), c1, 7 * D)?;
            s.refuse(s.after(H))?;
            s.fine(s.after(H), c1, PenaltyCondition::Refused, 900_000)?;
            s.cancel(s.after(D), true)
        },
    );
    b.special(
        "不满意, reopened, repaired again",
        (11, OwnerCall),
        m0 - 40 * D,
        |s| {
            s.issue(s.after(D), c2, 7 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(2 * D))?;
            s.pass(s.after(D))?;
            s.callback(m0 + 9 * D, Dissatisfied)?;
            s.fine(
                s.after(2 * H),
                c2,
                PenaltyCondition::OwnerDissatisfied,
                500_000,
            )?;
            s.issue(s.after(D), c2, 3 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(2 * D))?;
            s.pass(s.after(D))?;
            s.callback(s.after(2 * D), Satisfied)?;
            s.close(s.after(D))
        },
    );
    let survivor = b.special(
        "a called-back duplicate's survivor",
        (12, Inspection),
        m0 + 2 * D + 5 * H,
        |_| Some(()),
    );
    b.special(
        "called back, then merged",
        (12, OwnerCall),
        m0 + 2 * D + 6 * H,
        |s| {
            s.issue(s.after(H), c3, 7 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(D))?;
            s.pass(s.after(D))?;
            s.callback(s.after(D), Satisfied)?;
            s.merge_into(s.after(D), survivor)
        },
    );
    b.special(
        "recorded before, closed in the month",
        (13, Inspection),
        m0 - 15 * D,
        |s| s.close(m0 + 3 * D),
    );
    b.special(
        "recorded in the month, closed after it",
        (14, OwnerVisit),
        m1 - 5 * D + 7 * H,
        |s| {
            if limit > m1 + 2 * SECOND_MS {
                s.close(m1 + (limit - m1) / 2)?;
            }
            Some(())
        },
    );
    b.special(
        "cancelled for another reason",
        (15, Inspection),
        m0 + 12 * D,
        |s| {
            s.issue(s.after(H), c3, 7 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.cancel(s.after(2 * D), false)
        },
    );
    b.special(
        "notice 1 ms before the month",
        (16, Inspection),
        m0 - 5 * D - 3 * H,
        |s| {
            s.issue(m0 - 1, c0, 7 * D)?;
            s.respond(s.after(H), OnSite)
        },
    );
    b.special(
        "notice at the month's first instant",
        (17, Inspection),
        m0 - 5 * D - 3 * H,
        |s| {
            s.issue(m0, c1, 7 * D)?;
            s.respond(s.after(H), OnSite)
        },
    );
    b.special(
        "a repair report answers the notice",
        (18, Inspection),
        m0 + 13 * D,
        |s| {
            s.issue(s.after(H), c0, 3 * D)?;
            s.report(s.after(3 * H))?;
            s.pass(s.after(D))
        },
    );
    b.special(
        "called back after closing",
        (19, Inspection),
        m0 + 14 * D,
        |s| {
            s.issue(s.after(H), c1, 7 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(D))?;
            s.pass(s.after(D))?;
            s.close(s.after(D))?;
            s.callback(s.after(D), BasicallySatisfied)
        },
    );
    b.special(
        "two notices this month to one contractor",
        (20, OwnerCall),
        m0 - 5 * D - 3 * H,
        |s| {
            s.issue(m0 + H, c0, 3 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(D))?;
            s.pass(s.after(D))?;
            s.callback(s.after(D), Dissatisfied)?;
            s.issue(s.after(H), c0, 3 * D)?;
            s.respond(s.after(H), OnSite)?;
            s.report(s.after(D))?;
            s.pass(s.after(D))?;
            s.callback(s.after(D), VerySatisfied)
        },
    );
    // A repair still pending when the report is made, whenever that is: the deadline is ten
    // days after `now`, however late in the next month `now` falls.
    let pending_ms = (b.now - m1) + 10 * D;
    b.special(
        "repair pending when the report is made",
        (26, Inspection),
        m1 - 2 * D,
        |s| {
            s.issue(s.after(H), c2, pending_ms)?;
            s.respond(s.after(H), OnSite)
        },
    );
    // Recorded right at the month's borders (the 1st 00:00 Beijing is 16:00 UTC the day
    // before), with random lives.
    let mut borders = vec![m0 - 1, m0, m0 + 1, m1 - 1];
    if limit > m1 + MINUTE_MS {
        borders.extend([m1, m1 + 1]);
    }
    for (k, t) in borders.into_iter().enumerate() {
        let unit = (21 + k) % b.units.len();
        let meta = b.meta(unit, None);
        b.random(unit, &meta, t, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Writing through the server
// ---------------------------------------------------------------------------------------------

/// Who writes which event.
struct Actors {
    inspector: Actor,
    front_desk: Actor,
    manager: Actor,
    coordinator: Actor,
    contractors: Vec<Actor>,
}

fn actor(user: &str, role: Role) -> Actor {
    Actor {
        user: UserId::new(user).expect("a valid user id"),
        role,
        device: DeviceId::new(format!("{user}-device")).expect("a valid device id"),
    }
}

impl Actors {
    fn new(project: &str, contractors: &[ContractorId]) -> Self {
        Self {
            inspector: actor(&format!("{project}-inspector"), Role::Inspector),
            front_desk: actor(&format!("{project}-desk"), Role::FrontDesk),
            manager: actor(&format!("{project}-manager"), Role::Manager),
            coordinator: actor(&format!("{project}-coordinator"), Role::Coordinator),
            contractors: contractors
                .iter()
                .map(|c| actor(&format!("{c}-foreman"), Role::Contractor))
                .collect(),
        }
    }
}

fn evidence_hash(project: &str, case: usize, n: u32) -> BlobHash {
    BlobHash::of(format!("{project}/{case}/{n}").as_bytes())
}

/// The workflow event of one step, and who appends it.
fn event_of(g: &Generated, actors: &Actors, step: &Step) -> (Actor, EventKind) {
    let contractor_actor = || {
        let k = step
            .contractor
            .expect("a contractor's step names the contractor");
        actors.contractors[k].clone()
    };
    let id = |k: usize| g.contractors[k].clone();
    let fine = |f: &str| FineId::new(f).expect("a valid fine id");
    match &step.kind {
        StepKind::Evidence(_) | StepKind::MergeInto(_) => {
            unreachable!("written separately")
        }
        StepKind::Notice {
            no,
            contractor,
            deadline,
        } => (
            actors.inspector.clone(),
            EventKind::NoticeIssued {
                notice_no: no.clone(),
                contractor: id(*contractor),
                repair_deadline: Timestamp(*deadline),
            },
        ),
        StepKind::Reassign {
            no,
            contractor,
            deadline,
        } => (
            actors.inspector.clone(),
            EventKind::Reassigned {
                notice_no: no.clone(),
                contractor: id(*contractor),
                repair_deadline: Timestamp(*deadline),
            },
        ),
        StepKind::Refuse => (
            contractor_actor(),
            EventKind::NoticeRefused {
                reason: "不属于我方施工范围".into(),
            },
        ),
        StepKind::Respond(mode) => (
            contractor_actor(),
            EventKind::ContractorResponded {
                mode: *mode,
                note: "已到场".into(),
            },
        ),
        StepKind::Dispute => (
            contractor_actor(),
            EventKind::Disputed {
                reason: "应由其他施工单位负责".into(),
            },
        ),
        StepKind::Report => (
            contractor_actor(),
            EventKind::RepairReported {
                note: "已整改".into(),
                evidence: Vec::new(),
            },
        ),
        StepKind::Fail => (
            actors.inspector.clone(),
            EventKind::AcceptanceFailed {
                reason: "仍有渗漏".into(),
            },
        ),
        StepKind::Pass => (
            actors.inspector.clone(),
            EventKind::AcceptancePassed {
                note: "合格".into(),
            },
        ),
        StepKind::Return => (
            contractor_actor(),
            EventKind::NoticeReturned {
                reply: "已按要求整改完毕".into(),
            },
        ),
        StepKind::EmergencyStart => (
            actors.manager.clone(),
            EventKind::EmergencyRepairStarted {
                team: "物业维修队".into(),
                reason: "施工单位逾期未修".into(),
            },
        ),
        StepKind::EmergencyFinish(cost) => (
            actors.manager.clone(),
            EventKind::EmergencyRepairFinished { cost_fen: *cost },
        ),
        StepKind::FineDraft {
            fine: f,
            contractor,
            condition,
            amount,
        } => (
            // Drafted by the inspector: the coordinator who approves first is a second person.
            actors.inspector.clone(),
            EventKind::FineDrafted {
                fine: fine(f),
                contractor: id(*contractor),
                condition: *condition,
                amount_fen: *amount,
            },
        ),
        StepKind::FineApprove { fine: f, step } => (
            match step {
                FineApprovalStep::Leader => actors.coordinator.clone(),
                FineApprovalStep::Manager => actors.manager.clone(),
            },
            EventKind::FineApproved {
                fine: fine(f),
                step: *step,
            },
        ),
        StepKind::FineVoid { fine: f } => (
            actors.coordinator.clone(),
            EventKind::FineVoided {
                fine: fine(f),
                reason: "条件不成立".into(),
            },
        ),
        StepKind::Callback(level) => (
            actors.front_desk.clone(),
            EventKind::Callback {
                channel: CallbackChannel::Phone,
                level: *level,
                note: String::new(),
            },
        ),
        StepKind::Close => (
            actors.inspector.clone(),
            EventKind::Closed {
                reason: "已完成".into(),
            },
        ),
        StepKind::Cancel { not_a_defect } => (
            actors.manager.clone(),
            EventKind::Cancelled {
                reason: if *not_a_defect {
                    "经核实不属于质量问题".into()
                } else {
                    "业主撤回投诉".into()
                },
                not_a_defect: *not_a_defect,
            },
        ),
    }
}

/// Writes one unit's rounds and findings into its document; returns the findings' ids in the
/// order of `cases`.
fn write_unit(
    doc: &mut UnitDoc,
    g: &Generated,
    actors: &Actors,
    unit: usize,
    cases: &[usize],
) -> anyhow::Result<Vec<FindingId>> {
    let mut pre_round = None;
    for r in g.rounds.iter().filter(|r| r.unit == unit) {
        let id = doc.start_round(&actors.inspector, Timestamp(r.at), r.kind)?;
        for (k, item) in r.passed.iter().enumerate() {
            let at = Timestamp(r.at + (k as i64 + 1) * MINUTE_MS);
            doc.record_result(&actors.inspector, at, &id, item, Outcome::Pass, None)?;
        }
        if r.kind == RoundKind::PreHandover && pre_round.is_none() {
            pre_round = Some(id);
        }
    }
    let mut ids = Vec::with_capacity(cases.len());
    for &i in cases {
        let c = &g.cases[i];
        let at = Timestamp(c.recorded);
        let new = NewFinding {
            origin: c.origin,
            round: (c.origin == Origin::Inspection)
                .then(|| pre_round.clone())
                .flatten(),
            room: c.room.parse()?,
            item: c.item.parse()?,
            category: c.category.parse()?,
            severity: c.severity,
            description: format!("{} #{}", c.item, c.index),
        };
        let id = match c.origin {
            Origin::OwnerCall | Origin::OwnerVisit => {
                let owner =
                    OwnerContact::new(&format!("业主{}", c.index), &format!("139{:08}", c.index))?;
                doc.record_complaint(&actors.front_desk, at, new, owner)?
            }
            Origin::Inspection | Origin::HandoverWalk => {
                doc.record_finding(&actors.inspector, at, new)?
            }
            Origin::PropertyCompany => doc.record_finding(&actors.front_desk, at, new)?,
        };
        ids.push(id);
    }
    let local: BTreeMap<usize, FindingId> =
        cases.iter().copied().zip(ids.iter().cloned()).collect();
    for (&i, id) in cases.iter().zip(&ids) {
        let c = &g.cases[i];
        for step in &c.steps {
            let at = Timestamp(step.at);
            match &step.kind {
                StepKind::Evidence(n) => {
                    let hash = evidence_hash(&g.params.project, i, *n);
                    let evidence = EvidenceRef {
                        hash,
                        kind: EvidenceKind::Photo,
                        bytes: 180_000 + u64::from(*n),
                        width: 2048,
                        height: 1536,
                        captured_at: at,
                        device: actors.inspector.device.clone(),
                        author: actors.inspector.user.clone(),
                        location: None,
                        pin: None,
                        thumbnail: None,
                    };
                    doc.attach_evidence(&actors.inspector, at, id, evidence)?;
                }
                StepKind::MergeInto(survivor) => {
                    let kept = local.get(survivor).ok_or_else(|| {
                        anyhow::anyhow!("case {i}: survivor {survivor} not in its unit")
                    })?;
                    let event = |kind| Event {
                        id: EventId::random(),
                        kind,
                        actor: actors.inspector.clone(),
                        at,
                    };
                    doc.append_together(vec![
                        (
                            id.clone(),
                            event(EventKind::MergedInto {
                                other: kept.clone(),
                            }),
                        ),
                        (
                            kept.clone(),
                            event(EventKind::MergedFrom { other: id.clone() }),
                        ),
                    ])?;
                }
                _ => {
                    let (who, kind) = event_of(g, actors, step);
                    doc.append_event(&who, at, id, kind)?;
                }
            }
        }
    }
    Ok(ids)
}

/// Stores the project and every unit document through the server's write path (receipts and
/// projection included), and notes each finding's id in the script.
pub async fn write(state: &AppState, g: &mut Generated) -> anyhow::Result<()> {
    setup::create_project(state, &g.project).await?;
    let actors = Actors::new(&g.params.project, &g.contractors);
    let mut by_unit: Vec<Vec<usize>> = vec![Vec::new(); g.units.len()];
    for c in &g.cases {
        by_unit[c.unit].push(c.index);
    }
    let with_rounds: BTreeSet<usize> = g.rounds.iter().map(|r| r.unit).collect();
    for (unit, cases) in by_unit.iter().enumerate() {
        if cases.is_empty() && !with_rounds.contains(&unit) {
            continue;
        }
        let doc_id = DocId::Unit(g.units[unit].id.clone());
        let generated: &Generated = g;
        let ids = unit_write::edit_unit(state, &doc_id, None, 0, |doc, _, _| {
            write_unit(doc, generated, &actors, unit, cases).map_err(ApiError::Internal)
        })
        .await
        .map_err(|e| anyhow::anyhow!("writing {doc_id}: {e:?}"))?;
        for (&i, id) in cases.iter().zip(ids) {
            g.cases[i].finding = Some(id);
        }
    }
    Ok(())
}
