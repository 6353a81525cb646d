//! What the reports must say about a scripted project, for the report tests
//! (`tests/web_reports.rs`) and the report benchmark.
//!
//! The project and its history come from the server's own generator
//! ([`plumbline_sync_server::history`], also what the demo starts from). This module adds the
//! test's side: [`Expectations::expected`] counts every report figure from the script's facts
//! alone — not through the workflow, the projection or the reports module — so a report page
//! is checked against an independent count; and [`generate`] draws lives again while they are
//! ambiguous ([`ambiguity`]), so that the script keeps away from the places where
//! `docs/reports.md` leaves the answer open (see "Readings" below). [`write`] stores it with
//! synthetic accounts and photos that are only referenced.
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

use plumbline_shared::event::{Origin, Satisfaction};
use plumbline_shared::ids::ProjectId;
use plumbline_shared::time::{DAY_MS, MINUTE_MS, SECOND_MS};
use plumbline_sync_server::history::{self, Cast, Photos};
use plumbline_sync_server::state::AppState;

#[allow(unused_imports)] // the benchmark uses fewer of them
pub use plumbline_sync_server::history::{
    Generated, Month, NoticeFacts, Params, ScriptCase, THRESHOLD_GROUPS, forbidden_age, known,
};

/// The generator with the report tests' redraw: every life is unambiguous under the readings.
pub fn generate(p: &Params) -> Generated {
    history::generate(&Params {
        redraw: ambiguity,
        ..p.clone()
    })
}

/// Stores `g` with synthetic accounts (one per role, one foreman per contractor) and photos
/// referenced by hash only: the reports count photos, they never open one.
pub async fn write(state: &AppState, g: &mut Generated) -> anyhow::Result<()> {
    let cast = Cast::synthetic(&g.params.project, &g.contractors);
    plumbline_sync_server::setup::create_project(state, &g.project).await?;
    history::write(state, g, &cast, Photos::Referenced).await
}

pub fn level_key(level: Satisfaction) -> &'static str {
    match level {
        Satisfaction::VerySatisfied => "very_satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::BasicallySatisfied => "basically_satisfied",
        Satisfaction::Dissatisfied => "dissatisfied",
    }
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
    /// The settlement ledger by contractor: fines approved, fines in approval, emergency
    /// costs, emergency repairs without a cost.
    ledger: BTreeMap<usize, [Tally; 4]>,
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
        // The ledger: a slip fully approved (leader and manager) or still in approval, voided
        // ones left out; a repair charged with its cost (known when it finished) or without.
        for f in &c.facts.fines {
            if !known(f.drafted, cutoff)
                || !month.contains(f.drafted)
                || f.voided.is_some_and(|t| known(t, cutoff))
            {
                continue;
            }
            let line = self.ledger.entry(f.contractor).or_default();
            line[usize::from(f.approvals < 2)].add(i, f.amount);
        }
        for e in &c.facts.emergencies {
            if !known(e.started, cutoff) || !month.contains(e.started) {
                continue;
            }
            let line = self.ledger.entry(e.charged_to).or_default();
            match e.finished.filter(|(t, _)| known(*t, cutoff)) {
                Some((_, cost)) => line[2].add(i, cost),
                None => line[3].add(i, 1),
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

/// The report figures a generated project must show.
pub trait Expectations {
    /// Every figure of the report month, for a person who sees `visible` projects (this one
    /// among them), with candidates chosen by `threshold`.
    fn expected(&self, threshold: Threshold, visible: &[ProjectId]) -> Expected;
}

/// One line of the settlement ledger: its four columns and their total (approved fines and
/// costs).
fn put_ledger(out: &mut Expected, prefix: &str, line: &[Tally; 4]) {
    for (name, tally) in [
        "fines_approved",
        "fines_pending",
        "emergency_cost",
        "emergency_uncosted",
    ]
    .into_iter()
    .zip(line)
    {
        out.put(format!("{prefix}.{name}"), tally.n, &tally.cases);
    }
    let cases: BTreeSet<usize> = line[0].cases.union(&line[2].cases).copied().collect();
    out.put(format!("{prefix}.total"), line[0].n + line[2].n, &cases);
}

impl Expectations for Generated {
    fn expected(&self, threshold: Threshold, visible: &[ProjectId]) -> Expected {
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

        // The settlement ledger, each contractor's line and the total line.
        let mut all: [Tally; 4] = Default::default();
        for (k, line) in &t.ledger {
            put_ledger(
                &mut out,
                &format!("settle.contractor.{}", self.contractors[*k]),
                line,
            );
            for (sum, part) in all.iter_mut().zip(line) {
                sum.n += part.n;
                sum.cases.extend(&part.cases);
            }
        }
        if !t.ledger.is_empty() {
            put_ledger(&mut out, "settle.total", &all);
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
