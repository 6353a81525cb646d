//! The person's reminders and escalations as the home screen lists them.

use plumbline_shared::api::NotificationItem;
use plumbline_shared::ids::UnitId;

use crate::ui::i18n::Lang;

/// Notifications the home screen lists (the newest); the office inbox has them all.
pub const SHOWN: usize = 10;

/// One notification, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeLine {
    /// The unit it concerns (opened with a tap where the phone holds it).
    pub unit: UnitId,
    /// What: "响应超时 · ZG-2026-0001".
    pub what: String,
    /// When the rule's instant came, Beijing time.
    pub when: String,
    /// An escalation rather than a reminder (shown in red).
    pub escalation: bool,
    /// Not marked read in the office yet.
    pub unread: bool,
}

/// The newest [`SHOWN`] of `items` (newest first, as the server sends them), in `lang`.
pub fn notice_lines(items: &[NotificationItem], lang: Lang) -> Vec<NoticeLine> {
    items
        .iter()
        .take(SHOWN)
        .map(|n| {
            let label = lang.pick(n.kind.label_zh(), n.kind.label_en());
            let what = match &n.notice_no {
                Some(no) => format!("{label} · {no}"),
                None => label.to_owned(),
            };
            NoticeLine {
                unit: n.unit.clone(),
                what,
                when: n.due_at.china_minute(),
                escalation: n.kind.is_escalation(),
                unread: n.read_at.is_none(),
            }
        })
        .collect()
}
