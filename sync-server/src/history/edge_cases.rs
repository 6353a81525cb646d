//! The scripted edge cases.

use plumbline_shared::event::{Origin, ResponseMode, Satisfaction};
use plumbline_shared::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};
use plumbline_shared::workflow::PenaltyCondition;

use super::*;

/// The scripted edge cases: each figure's borders, so that they are there whatever the draw.
pub(crate) fn specials(b: &mut Builder<'_>) {
    let (m0, m1) = (b.month.start(), b.month.end());
    let limit = b.limit;
    let (c0, c1, c2, c3) = (0, 1, 2, 3);
    use Origin::*;
    use ResponseMode::*;
    use Satisfaction::*;
    pub(crate) const H: i64 = HOUR_MS;
    pub(crate) const D: i64 = DAY_MS;

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
