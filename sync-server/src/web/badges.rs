//! Coloured badges a clerk reads at a glance: a case's status, its severity, and the clock it
//! waits on. The colours are the stylesheet's (`layout::STYLE`, classes `st-*`, `sev-*`,
//! `clock`); the words are the workflow's labels, so a badge says what the status filter says.

use dioxus::prelude::*;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{RunningClock, Status};

use super::i18n::Lang;
use super::when::{beijing, duration_text};

/// A case's status as a coloured badge; `id` names it for tests and links (empty: none).
#[component]
pub fn StatusBadge(lang: Lang, status: Status, #[props(default)] id: String) -> Element {
    let label = lang.pick(status.label_zh(), status.label_en());
    let class = format!("pill st-{}", status.as_str());
    rsx! {
        if id.is_empty() {
            span { class: "{class}", "{label}" }
        } else {
            span { class: "{class}", id: "{id}", "{label}" }
        }
    }
}

/// A severity as a badge: `S1 严重`.
#[component]
pub fn SeverityBadge(lang: Lang, severity: Severity) -> Element {
    let label = lang.pick(severity.label_zh(), severity.label_en());
    rsx! {
        span { class: "pill sev-{severity.as_str()}", "{severity.as_str()} {label}" }
    }
}

/// The clock a case waits on, read at `now`: "响应时限 12-07 14:00 · 还剩 1 小时 20 分", red
/// once it has passed ("超时 35 分钟").
#[component]
pub fn ClockBadge(lang: Lang, clock: RunningClock, now: Timestamp) -> Element {
    let late = clock.overdue(now);
    let left = clock.remaining_ms(now);
    let how = if late {
        match lang {
            Lang::Zh => format!("超时 {}", duration_text(lang, -left)),
            Lang::En => format!("overdue by {}", duration_text(lang, -left)),
        }
    } else {
        match lang {
            Lang::Zh => format!("还剩 {}", duration_text(lang, left)),
            Lang::En => format!("due in {}", duration_text(lang, left)),
        }
    };
    let kind = lang.pick(clock.kind.label_zh(), clock.kind.label_en());
    rsx! {
        span { class: if late { "pill clock late" } else { "pill clock" }, id: "clock",
            "data-deadline": "{clock.deadline.0}",
            "{kind} {beijing(clock.deadline)} · {how}"
        }
    }
}
