//! One finding: where and what, its photos (and the pin on the floor plan, when one was placed
//! and the plan is on the phone), the derived status and deadlines, conflicting
//! values, what the office asks for, the timeline — and, when the contractor reported the
//! repair done, the re-inspection: accept, or reject with a reason, with photos either way.

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::findings::FindingRow;
use crate::ui::screens::finding_editor::DraftPhoto;
use crate::ui::screens::floor_plan::{FloorPlanPin, PlanView};
use crate::ui::screens::photo_picker::PhotoPicker;

/// A photo of the finding: its thumbnail when it is on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoThumb {
    /// A stable key (the hash).
    pub key: String,
    /// The thumbnail as a `data:` URI, `None` while it is not downloaded.
    pub thumb: Option<String>,
}

/// The re-inspection form, shown while a repair awaits acceptance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReinspectView {
    /// The reason or note so far.
    pub text: String,
    /// Photos taken on site.
    pub photos: Vec<DraftPhoto>,
    /// Photos still being processed.
    pub processing: usize,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// The finding's page.
#[component]
pub fn FindingScreen(
    lang: Lang,
    row: FindingRow,
    photos: Vec<PhotoThumb>,
    /// The floor plan with the finding's pin, when its photos carry one.
    plan: Option<PlanView>,
    reinspect: Option<ReinspectView>,
    on_text: EventHandler<String>,
    on_files: EventHandler<FormEvent>,
    on_remove: EventHandler<u32>,
    on_decide: EventHandler<bool>,
) -> Element {
    rsx! {
        div { class: "card",
            div { class: "row",
                strong { class: "grow", "{row.room} · {row.item}" }
                span { class: "status", "{row.status_label}" }
            }
            p { "{row.description}" }
            dl {
                dt { "{Msg::Category.text(lang)}" }
                dd { "{row.category}" }
                dt { "{Msg::Severity.text(lang)}" }
                dd { "{row.severity} {row.severity_label}" }
                if let Some(contractor) = &row.contractor {
                    dt { "{Msg::Contractor.text(lang)}" }
                    dd { "{contractor}" }
                }
                if let Some(deadline) = &row.deadline {
                    dt { "{Msg::Deadline.text(lang)}" }
                    dd { "{deadline}" }
                }
            }
            if row.response_overdue {
                p { class: "error", "{Msg::ResponseOverdue.text(lang)}" }
            } else if row.overdue {
                p { class: "error", "{Msg::Overdue.text(lang)}" }
            }
            for request in &row.evidence_requests {
                p { class: "notice", "{Msg::EvidenceRequested.text(lang)}: {request}" }
            }
            for conflict in &row.conflicts {
                div { class: "notice",
                    strong { "{conflict.field} — {Msg::ConflictingValues.text(lang)}" }
                    ul {
                        for value in &conflict.values {
                            li { "{value}" }
                        }
                    }
                }
            }
            if let Some(plan) = plan {
                FloorPlanPin { lang, plan }
            }
            div { class: "thumbs",
                for photo in photos {
                    div { class: "thumb", key: "{photo.key}",
                        if let Some(src) = photo.thumb {
                            img { src: "{src}", alt: "" }
                        } else {
                            "{Msg::PhotoNotHere.text(lang)}"
                        }
                    }
                }
            }
        }
        if let Some(form) = reinspect {
            div { class: "card", id: "reinspection",
                h2 { "{Msg::Reinspection.text(lang)}" }
                p { class: "muted", "{Msg::ReinspectHint.text(lang)}" }
                label { r#for: "reinspect-text", "{Msg::Reason.text(lang)}" }
                textarea {
                    id: "reinspect-text",
                    initial_value: "{form.text}",
                    oninput: move |evt| on_text.call(evt.value()),
                }
                PhotoPicker {
                    lang,
                    photos: form.photos,
                    processing: form.processing,
                    on_files,
                    on_remove,
                }
                if let Some(error) = form.error {
                    p { class: "error", role: "alert", "{error}" }
                }
                div { class: "row",
                    button {
                        id: "reject",
                        class: "danger grow",
                        disabled: form.processing > 0,
                        onclick: move |_| on_decide.call(false),
                        "{Msg::RejectRepair.text(lang)}"
                    }
                    button {
                        id: "accept",
                        class: "primary grow",
                        style: "margin-top:0",
                        disabled: form.processing > 0,
                        onclick: move |_| on_decide.call(true),
                        "{Msg::AcceptRepair.text(lang)}"
                    }
                }
            }
        }
        div { class: "card",
            h2 { "{Msg::Timeline.text(lang)}" }
            dl {
                for event in row.timeline {
                    dt { "{event.at}" }
                    dd { "{event.what} · {event.who}" }
                }
            }
        }
    }
}
