//! A unit's findings: open ones first, each with the status the workflow derives, an overdue
//! mark, a conflict mark and the office's requests for evidence.

use dioxus::prelude::*;

use plumbline_shared::ids::FindingId;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::findings::FindingRow;

/// The list.
#[component]
pub fn FindingsScreen(
    lang: Lang,
    rows: Vec<FindingRow>,
    on_open: EventHandler<FindingId>,
) -> Element {
    rsx! {
        if rows.is_empty() {
            p { class: "muted", "{Msg::NoFindings.text(lang)}" }
        }
        div { class: "list",
            for row in rows {
                button {
                    class: "entry",
                    id: "finding-{row.id}",
                    onclick: {
                        let id = row.id.clone();
                        move |_| on_open.call(id.clone())
                    },
                    div { class: "row",
                        strong { class: "grow", "{row.room} · {row.item}" }
                        span { class: "status", "{row.status_label}" }
                    }
                    div { class: "muted", "{row.severity} {row.severity_label} · {row.category} · {row.recorded}" }
                    div { "{row.description}" }
                    div { class: "row",
                        if row.overdue {
                            span { class: "status overdue", "{Msg::Overdue.text(lang)}" }
                        }
                        if !row.conflicts.is_empty() {
                            span { class: "status conflict", "{Msg::Conflict.text(lang)}" }
                        }
                        if !row.evidence_requests.is_empty() {
                            span { class: "status conflict", "{Msg::EvidenceRequested.text(lang)}" }
                        }
                        span { class: "muted", "{Msg::Photos.text(lang)} {row.photos.len()}" }
                    }
                }
            }
        }
    }
}
