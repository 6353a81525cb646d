//! The contractor foreman's view: the findings assigned to the company, newest first, each
//! with its deadlines; open one to answer it — on site now, a plan, repair done (with photos)
//! or a dispute (with a reason). Answers are recorded at once and sent at the next sync.

use dioxus::prelude::*;

use plumbline_shared::ids::FindingId;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::screens::finding_editor::DraftPhoto;
use crate::ui::screens::photo_picker::PhotoPicker;

/// One assigned case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// The finding.
    pub finding: FindingId,
    /// The unit's label.
    pub unit: String,
    /// Room and item, in words.
    pub place: String,
    /// What is wrong.
    pub description: String,
    /// The derived status, in words.
    pub status: String,
    /// The notice number.
    pub notice: Option<String>,
    /// Respond by (while the response window runs).
    pub respond_by: Option<String>,
    /// Repair by.
    pub repair_by: Option<String>,
    /// A deadline has passed.
    pub overdue: bool,
}

/// The answer being written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskForm {
    /// Note or reason so far.
    pub text: String,
    /// Photos of the repair.
    pub photos: Vec<DraftPhoto>,
    /// Photos being processed.
    pub processing: usize,
    /// Why the last answer was not taken.
    pub error: Option<String>,
}

/// What the foreman can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// On site now.
    OnSite,
    /// A plan was presented.
    Plan,
    /// Repair done.
    RepairDone,
    /// Dispute.
    Dispute,
}

/// The task list.
#[component]
pub fn TasksScreen(
    lang: Lang,
    rows: Vec<TaskRow>,
    /// "Tasks as of …", or that there is no list yet.
    fetched: Option<String>,
    /// Answers waiting to be sent.
    queued: usize,
    open: Option<FindingId>,
    form: TaskForm,
    on_refresh: EventHandler<()>,
    on_open: EventHandler<FindingId>,
    on_text: EventHandler<String>,
    on_files: EventHandler<FormEvent>,
    on_remove: EventHandler<u32>,
    on_answer: EventHandler<Answer>,
) -> Element {
    rsx! {
        div { class: "row",
            p { class: "muted grow",
                match &fetched {
                    Some(at) => rsx! { "{Msg::TasksFetched.text(lang)} {at}" },
                    None => rsx! { "{Msg::TasksNever.text(lang)}" },
                }
            }
            button { id: "refresh-tasks", onclick: move |_| on_refresh.call(()), "{Msg::Refresh.text(lang)}" }
        }
        if queued > 0 {
            p { class: "notice", "{Msg::QueuedActions.text(lang)}: {queued}" }
        }
        if rows.is_empty() && fetched.is_some() {
            p { class: "muted", "{Msg::NoTasks.text(lang)}" }
        }
        for row in rows {
            div { class: "card", key: "{row.finding}",
                button {
                    class: "entry",
                    id: "task-{row.finding}",
                    style: "width:100%;box-shadow:none;padding:0",
                    onclick: {
                        let id = row.finding.clone();
                        move |_| on_open.call(id.clone())
                    },
                    div { class: "row",
                        strong { class: "grow", "{row.unit} · {row.place}" }
                        span { class: "status", "{row.status}" }
                    }
                    div { "{row.description}" }
                    div { class: "muted",
                        if let Some(no) = &row.notice { "{no} " }
                        if let Some(at) = &row.respond_by { "{Msg::RespondBy.text(lang)} {at} " }
                        if let Some(at) = &row.repair_by { "{Msg::Deadline.text(lang)} {at}" }
                    }
                    if row.overdue {
                        span { class: "status overdue", "{Msg::Overdue.text(lang)}" }
                    }
                }
                if open.as_ref() == Some(&row.finding) {
                    label { r#for: "task-text", "{Msg::Note.text(lang)} / {Msg::Reason.text(lang)}" }
                    textarea {
                        id: "task-text",
                        initial_value: "{form.text}",
                        oninput: move |evt| on_text.call(evt.value()),
                    }
                    PhotoPicker {
                        lang,
                        photos: form.photos.clone(),
                        processing: form.processing,
                        on_files,
                        on_remove,
                    }
                    if let Some(error) = &form.error {
                        p { class: "error", role: "alert", "{error}" }
                    }
                    div { class: "chips", style: "margin-top:8px",
                        button { id: "on-site", class: "on", onclick: move |_| on_answer.call(Answer::OnSite), "{Msg::OnSiteNow.text(lang)}" }
                        button { id: "plan", onclick: move |_| on_answer.call(Answer::Plan), "{Msg::Plan.text(lang)}" }
                        button { id: "repair-done", disabled: form.processing > 0, onclick: move |_| on_answer.call(Answer::RepairDone), "{Msg::RepairDone.text(lang)}" }
                        button { id: "dispute", class: "danger", onclick: move |_| on_answer.call(Answer::Dispute), "{Msg::Dispute.text(lang)}" }
                    }
                }
            }
        }
    }
}
