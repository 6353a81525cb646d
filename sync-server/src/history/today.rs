//! Open work on the morning the demo starts: one case, at least, in every queue of the
//! dashboard, timed against `now` so that each is due or overdue when the office first looks.
//!
//! The random lives of [`super::generate`] fill the months before; they leave queues such as
//! "an emergency nobody is on yet" to chance. These cases are scripted so that a newcomer sees
//! every queue with work in it and can follow each one to its case.

use plumbline_shared::event::{Origin, ResponseMode, Satisfaction};
use plumbline_shared::ids::ItemId;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use plumbline_shared::workflow::PenaltyCondition;

use super::{Builder, Meta, Sim};

/// The names of the scripted cases, one per queue they are there for.
pub const OPEN_WORK: [&str; 10] = [
    "today: an emergency nobody is on yet",
    "today: no answer within four hours",
    "today: repair overdue, emergency repair due, a fine to approve",
    "today: emergency repair under way",
    "today: accepted, the notice not returned",
    "today: the office asked for a new photo",
    "today: a photo after the acceptance",
    "today: an owner's call about what an inspector found",
    "today: the inspector's finding the owner called about",
    "today: a repair report after the case was closed",
];

/// What a scripted case is about: a template item with its room and category.
fn about(b: &Builder<'_>, item: &str, origin: Origin, severity: Option<Severity>) -> Meta {
    let id: ItemId = item.parse().expect("template item ids are valid");
    let (room, check) = b.template.item(&id).expect("an item of the template");
    Meta {
        origin,
        room: room.id.to_string(),
        item: item.to_owned(),
        category: check.category.to_string(),
        severity: severity.unwrap_or(check.default_severity),
    }
}

/// Scripts one case whose life must play out whole before `now`.
fn scripted(
    b: &mut Builder<'_>,
    name: &'static str,
    unit: usize,
    meta: &Meta,
    recorded: i64,
    life: impl FnOnce(&mut Sim) -> Option<()>,
) {
    let unit = unit % b.units.len();
    let mut sim = b.sim(recorded);
    let played = life(&mut sim);
    assert!(
        played.is_some(),
        "the open-work case `{name}` ends before now"
    );
    let mut case = b.case(unit, meta, recorded, sim);
    case.special = Some(name);
    b.cases.push(case);
}

/// Adds the open work, every step before `b.limit` (the script's "now").
pub(crate) fn open_work(b: &mut Builder<'_>) {
    use Origin::*;
    const H: i64 = HOUR_MS;
    const D: i64 = DAY_MS;
    let now = b.limit;
    let n = b.units.len();
    // Units spread over the project, a different one for each case.
    let unit = |k: usize| (k * 37 + 11) % n;
    let [
        urgent,
        silent,
        overdue,
        emergency,
        unreturned,
        reshoot,
        late_photo,
        call,
        found,
        late,
    ] = OPEN_WORK;

    let m = about(b, "bathroom.ponding_test", OwnerCall, Some(Severity::S1));
    scripted(b, urgent, unit(0), &m, now - 2 * H, |s| {
        s.evidence(s.after(5 * MINUTE_MS))
    });

    let m = about(b, "kitchen.drain", Inspection, None);
    scripted(b, silent, unit(1), &m, now - 9 * H, |s| {
        s.evidence(s.after(3 * MINUTE_MS))?;
        s.issue(s.after(H), 1, 3 * D)
    });

    let m = about(b, "living.wall_hollow", Inspection, Some(Severity::S2));
    scripted(b, overdue, unit(2), &m, now - 6 * D, |s| {
        s.evidence(s.after(2 * MINUTE_MS))?;
        s.issue(s.after(2 * H), 0, 3 * D)?;
        s.respond(s.after(2 * H), ResponseMode::OnSite)?;
        s.fine(
            now - 20 * H,
            0,
            PenaltyCondition::RepairLateOrFailed,
            500_000,
        )
        .map(|_| ())
    });

    let m = about(b, "bathroom.ceiling_stain", OwnerCall, Some(Severity::S2));
    scripted(b, emergency, unit(3), &m, now - 8 * D, |s| {
        s.issue(s.after(H), 2, 2 * D)?;
        s.respond(s.after(3 * H), ResponseMode::Plan)?;
        // Started at 22:00 the evening before, Beijing time, give or take the hour.
        s.emergency_start(now - (now + 8 * H) % D - 2 * H)
    });

    let m = about(b, "entry.door_operation", Inspection, None);
    scripted(b, unreturned, unit(4), &m, now - 9 * D, |s| {
        s.issue(s.after(H), 3, 5 * D)?;
        s.respond(s.after(H), ResponseMode::OnSite)?;
        s.report(s.after(3 * D))?;
        s.pass(now - 3 * D)
    });

    let m = about(b, "bedroom.window_seal", HandoverWalk, None);
    scripted(b, reshoot, unit(5), &m, now - 30 * H, |s| {
        s.evidence(s.after(MINUTE_MS))?;
        s.request_evidence(s.after(5 * H))
    });

    let m = about(b, "balcony.railing_fixing", Inspection, None);
    scripted(b, late_photo, unit(6), &m, now - 12 * D, |s| {
        s.issue(s.after(H), 0, 4 * D)?;
        s.respond(s.after(2 * H), ResponseMode::OnSite)?;
        s.report(s.after(2 * D))?;
        s.pass(s.after(D))?;
        s.returned(s.after(D))?;
        s.callback(s.after(D), Satisfaction::Satisfied)?;
        s.evidence(now - 20 * H)
    });

    // The same defect twice on one morning: probable duplicates for the office to merge.
    let m = about(b, "kitchen.sink", Inspection, None);
    scripted(b, found, unit(7), &m, now - 5 * H, |s| {
        s.evidence(s.after(2 * MINUTE_MS))
    });
    let m = Meta {
        origin: OwnerCall,
        ..m
    };
    scripted(b, call, unit(7), &m, now - 3 * H, |_| Some(()));

    let m = about(b, "living.sockets", Inspection, None);
    scripted(b, late, unit(8), &m, now - 10 * D, |s| {
        s.issue(s.after(H), 1, 3 * D)?;
        s.respond(s.after(H), ResponseMode::OnSite)?;
        s.report(s.after(D))?;
        s.pass(s.after(D))?;
        s.returned(s.after(H))?;
        s.callback(s.after(D), Satisfaction::VerySatisfied)?;
        s.close(now - 2 * D)?;
        s.late_report(now - D)
    });
}
