//! What a finding and its events may hold, whoever writes them: the bounds on texts, amounts
//! and times, checked once here and used on every path — the document's own operations (the
//! phone and the office web write through them) and the server's validation of what a device
//! sends through sync (which may come from anything that speaks the protocol).

use crate::event::EventKind;
use crate::time::{DAY_MS, Timestamp};
use crate::workflow::FINE_MINIMUM_FEN;

/// The most any one amount of a case may be: ten million yuan, far above any fine, claim or
/// repair of one defect; a larger figure is a typing slip or a forgery.
pub const MAX_AMOUNT_FEN: i64 = 1_000_000_000;

/// How long a phone may have been offline with work it records: a year and a month.
pub const MAX_OFFLINE_MS: i64 = 400 * DAY_MS;

/// How far ahead of the server a phone's clock may be for its work to count.
pub const MAX_AHEAD_MS: i64 = DAY_MS;

/// What is wrong with a piece of content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// A text longer than its field holds.
    #[error("{what} is {chars} characters long; at most {max} are allowed")]
    TooLong {
        /// Which text.
        what: String,
        /// Its length.
        chars: usize,
        /// The bound.
        max: usize,
    },
    /// A text with control characters: direction overrides that make a name read backwards
    /// on screen, or other invisible controls.
    #[error("{what} holds an invisible control character (U+{code:04X}); type it again without it")]
    ControlCharacter {
        /// Which text.
        what: String,
        /// The character's code point.
        code: u32,
    },
    /// An amount outside what the field allows.
    #[error("{what} of {fen} fen is outside {min}..={max} fen")]
    Amount {
        /// Which amount.
        what: &'static str,
        /// The amount.
        fen: i64,
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
    },
    /// A time that cannot be true for work arriving now.
    #[error("{what} ({at}) is not a plausible time for work arriving at {received}")]
    Time {
        /// Which time.
        what: &'static str,
        /// The time given.
        at: Timestamp,
        /// When it arrived.
        received: Timestamp,
    },
}

/// Whether `c` may appear in a text: anything printable, line breaks and tabs; no other
/// control character and no bidirectional override or isolate.
fn allowed(c: char) -> bool {
    !invisible_in_a_line(c) || matches!(c, '\n' | '\t' | '\r')
}

/// Whether `c` has no place in a one-line text such as a name: a control character (line
/// breaks included) or a bidirectional override or isolate, which can make `exe.jpg` read as
/// `gpj.exe` or reorder a name on screen.
pub fn invisible_in_a_line(c: char) -> bool {
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    bidi || c.is_control()
}

/// Checks a text: at most `max` characters, and no invisible controls.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<(), ContentError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(ContentError::TooLong {
            what: what.to_owned(),
            chars,
            max,
        });
    }
    if let Some(c) = text.chars().find(|c| !allowed(*c)) {
        return Err(ContentError::ControlCharacter {
            what: what.to_owned(),
            code: u32::from(c),
        });
    }
    Ok(())
}

fn amount(what: &'static str, fen: i64, min: i64) -> Result<(), ContentError> {
    if (min..=MAX_AMOUNT_FEN).contains(&fen) {
        Ok(())
    } else {
        Err(ContentError::Amount {
            what,
            fen,
            min,
            max: MAX_AMOUNT_FEN,
        })
    }
}

/// Checks what an event carries: its texts, its amounts.
pub fn check_event(kind: &EventKind) -> Result<(), ContentError> {
    let what = format!("the text of `{}`", kind.name());
    for text in kind.texts() {
        check_text(&what, text, crate::doc::MAX_EVENT_TEXT_CHARS)?;
    }
    match kind {
        EventKind::FieldEdited { from, to, .. } => {
            for text in [from, to] {
                check_text(
                    "an edited field's value",
                    text,
                    crate::doc::MAX_DESCRIPTION_CHARS,
                )?;
            }
            Ok(())
        }
        EventKind::FineDrafted { amount_fen, .. } => {
            amount("the fine", *amount_fen, FINE_MINIMUM_FEN)
        }
        EventKind::ClaimRecorded { claimed_fen, .. } => amount("the claim", *claimed_fen, 1),
        EventKind::ClaimAgreed { agreed_fen, .. } => amount("the agreed amount", *agreed_fen, 0),
        EventKind::ClaimPaid { paid_fen, .. } => amount("the payment", *paid_fen, 0),
        EventKind::EmergencyRepairFinished { cost_fen } => {
            amount("the emergency repair's cost", *cost_fen, 0)
        }
        _ => Ok(()),
    }
}

/// Checks the times of work that arrives at `received`: when it was done (`at`, by the
/// device's clock) lies within [`MAX_OFFLINE_MS`] before and [`MAX_AHEAD_MS`] after, and a
/// repair deadline it sets lies after it and within a year.
pub fn check_times(
    what: &'static str,
    at: Timestamp,
    kind: Option<&EventKind>,
    received: Timestamp,
) -> Result<(), ContentError> {
    let plausible = at.0 >= received.0.saturating_sub(MAX_OFFLINE_MS)
        && at.0 <= received.0.saturating_add(MAX_AHEAD_MS);
    if !plausible {
        return Err(ContentError::Time { what, at, received });
    }
    if let Some(
        EventKind::NoticeIssued {
            repair_deadline, ..
        }
        | EventKind::Reassigned {
            repair_deadline, ..
        },
    ) = kind
        && !(at.0..=at.0.saturating_add(366 * DAY_MS)).contains(&repair_deadline.0)
    {
        return Err(ContentError::Time {
            what: "the repair deadline",
            at: *repair_deadline,
            received,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FineApprovalStep;

    #[test]
    fn texts_are_bounded_and_free_of_invisible_controls() {
        check_text("the name", "王丽\n第二行\t", 10).unwrap();
        assert!(matches!(
            check_text("the name", "王丽", 1),
            Err(ContentError::TooLong { chars: 2, .. })
        ));
        for bad in ["\u{202E}gnp.exe", "a\u{2066}b", "a\u{0007}b"] {
            assert!(
                matches!(
                    check_text("the name", bad, 100),
                    Err(ContentError::ControlCharacter { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn amounts_are_bounded_by_kind() {
        let fine = |fen| EventKind::FineDrafted {
            fine: "fine-1".parse().unwrap(),
            contractor: "hengzhu-civil".parse().unwrap(),
            condition: crate::workflow::PenaltyCondition::NoResponse,
            amount_fen: fen,
        };
        check_event(&fine(500_000)).unwrap();
        for bad in [1, -500_000, MAX_AMOUNT_FEN + 1] {
            assert!(check_event(&fine(bad)).is_err(), "{bad}");
        }
        let paid = |fen| EventKind::ClaimPaid {
            claim: "claim-1".parse().unwrap(),
            paid_fen: fen,
        };
        check_event(&paid(0)).unwrap();
        assert!(check_event(&paid(-1)).is_err());
        check_event(&EventKind::FineApproved {
            fine: "fine-1".parse().unwrap(),
            step: FineApprovalStep::Leader,
        })
        .unwrap();
    }

    #[test]
    fn times_are_bounded_around_their_arrival() {
        let now = Timestamp(1_800_000_000_000);
        check_times("x", Timestamp(now.0 - 30 * DAY_MS), None, now).unwrap();
        assert!(check_times("x", Timestamp(now.0 + 2 * DAY_MS), None, now).is_err());
        assert!(check_times("x", Timestamp(0), None, now).is_err());
        let notice = |deadline| EventKind::NoticeIssued {
            notice_no: "ZG-2026-0001".into(),
            contractor: "hengzhu-civil".parse().unwrap(),
            repair_deadline: Timestamp(deadline),
        };
        check_times("x", now, Some(&notice(now.0 + 3 * DAY_MS)), now).unwrap();
        assert!(check_times("x", now, Some(&notice(0)), now).is_err());
    }
}
