//! Random lives: what usually happens to a finding.

use plumbline_shared::event::{ResponseMode, Satisfaction};
use plumbline_shared::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};
use plumbline_shared::workflow::PenaltyCondition;

use super::*;

// ---------------------------------------------------------------------------------------------
// Random lives
// ---------------------------------------------------------------------------------------------

/// Contractors the random lives use (indices 0–3); 4 only has scripted work, 5 none at all.
pub(crate) const RANDOM_CONTRACTOR_WEIGHTS: [u32; 4] = [35, 25, 25, 15];
pub(crate) const X: usize = 4;

pub(crate) fn pick_contractor(rng: &mut Rng, except: Option<usize>) -> usize {
    loop {
        let c = rng.weighted(&RANDOM_CONTRACTOR_WEIGHTS);
        if Some(c) != except {
            return c;
        }
    }
}

pub(crate) fn mode(rng: &mut Rng) -> ResponseMode {
    if rng.chance(0.7) {
        ResponseMode::OnSite
    } else {
        ResponseMode::Plan
    }
}

pub(crate) fn level(rng: &mut Rng, dissatisfied: bool) -> Satisfaction {
    let i = rng.weighted(&[30, 35, 20, if dissatisfied { 15 } else { 0 }]);
    Satisfaction::ALL[i]
}

/// A fine against `c`, then maybe approvals and maybe a void.
pub(crate) fn fine(
    s: &mut Sim,
    rng: &mut Rng,
    at: i64,
    c: usize,
    condition: PenaltyCondition,
) -> Option<()> {
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
pub(crate) struct Life {
    pub(crate) repair_days: i64,
    /// 不满意 (and the reopen after it) is allowed: the case was recorded before the month
    /// (reading 6).
    pub(crate) dissatisfied: bool,
}

pub(crate) fn random_life(s: &mut Sim, rng: &mut Rng, life: Life) -> Option<()> {
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
pub(crate) fn notice_flow(
    s: &mut Sim,
    rng: &mut Rng,
    life: Life,
    previous: Option<usize>,
) -> Option<()> {
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
pub(crate) fn repair_flow(
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
pub(crate) fn acceptance_flow(s: &mut Sim, rng: &mut Rng, life: Life) -> Option<()> {
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
pub(crate) fn after_acceptance(s: &mut Sim, rng: &mut Rng, life: Life) -> Option<()> {
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
pub(crate) fn duplicate_life(s: &mut Sim, rng: &mut Rng, survivor: usize) -> Option<()> {
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
