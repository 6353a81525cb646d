//! `GET /dashboard`: where a project's cases stand, and the queues that need a person now.
//!
//! Every figure is a count of the case list under one filter, and links to that list, so a
//! number on the dashboard and the rows behind it can never disagree.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::workflow::Status;

use super::cases::{ListQuery, filter_for, parsed, refusal};
use super::i18n::{Lang, Msg};
use super::layout::{internal, render};
use super::session::Staff;
use crate::state::AppState;
use crate::store::{CaseFilter, Queue};

/// One figure: its label, its count and the list behind it.
#[derive(Clone, PartialEq)]
struct Figure {
    label: String,
    count: u64,
    link: String,
}

#[derive(Props, Clone, PartialEq)]
struct DashboardProps {
    lang: Lang,
    /// The project's name.
    project: String,
    by_status: Vec<Figure>,
    queues: Vec<Figure>,
    photos_missing: u64,
}

#[allow(non_snake_case)] // a component
fn Dashboard(p: DashboardProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::Dashboard.text(lang)} " · {p.project}" }
        h2 { {Msg::Queues.text(lang)} }
        table { id: "queues",
            tbody {
                for f in p.queues.iter() {
                    tr { class: if f.count > 0 { "due" } else { "" },
                        th { "{f.label}" }
                        td { a { href: "{f.link}", "{f.count}" } }
                    }
                }
                tr {
                    th { {Msg::PhotosMissing.text(lang)} }
                    td { "{p.photos_missing}" }
                }
            }
        }
        h2 { {Msg::ByStatus.text(lang)} }
        table { id: "by-status",
            tbody {
                for f in p.by_status.iter() {
                    tr {
                        th { "{f.label}" }
                        td { a { href: "{f.link}", "{f.count}" } }
                    }
                }
            }
        }
    }
}

/// `GET /dashboard` (`?project=` picks the project; the person's first by default).
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let at = state.now();
    let (asked, _, _) = match parsed(&staff, query, at) {
        Ok(p) => p,
        Err(message) => return refusal(&staff, &message),
    };
    // Only the project is taken from the query: every figure is its own filter, and the link
    // under it must list exactly what it counts.
    let query = ListQuery {
        project: asked.project,
        ..ListQuery::default()
    };
    let (project, base) = match filter_for(&staff, &query, at) {
        Ok(f) => f,
        Err(message) => return refusal(&staff, &message),
    };
    let query = ListQuery {
        project: project.to_string(),
        ..ListQuery::default()
    };
    let link = |change: &dyn Fn(&mut ListQuery)| {
        let mut q = query.clone();
        change(&mut q);
        q.link(1)
    };
    let status_code = |s: Status| s.as_str().to_owned();
    let queues: Vec<(Msg, CaseFilter, String)> = vec![
        // First: an emergency an owner just reported has nobody on it yet.
        (
            Msg::QueueUrgent,
            CaseFilter {
                queue: Some(Queue::UrgentAwaitingNotice),
                ..base.clone()
            },
            link(&|q| q.queue = "urgent".into()),
        ),
        // Two queues, not one, so the office sees which promise was broken: the four-hour
        // response (penalty condition 2) or the repair deadline (condition 3). Both are read
        // against the clock now, so a deadline that passed after the case was last projected
        // counts too. The case list's `overdue=1` still lists the two together.
        (
            Msg::QueueResponseOverdue,
            CaseFilter {
                queue: Some(Queue::ResponseOverdue(at)),
                ..base.clone()
            },
            link(&|q| q.queue = "response_overdue".into()),
        ),
        (
            Msg::QueueRepairOverdue,
            CaseFilter {
                queue: Some(Queue::RepairOverdue(at)),
                ..base.clone()
            },
            link(&|q| q.queue = "repair_overdue".into()),
        ),
        (
            Msg::QueueEmergencyRequired,
            CaseFilter {
                queue: Some(Queue::EmergencyRequired),
                ..base.clone()
            },
            link(&|q| q.queue = "emergency".into()),
        ),
        (
            Msg::QueueEmergencyRunning,
            CaseFilter {
                status: Some(Status::EmergencyRepair),
                ..base.clone()
            },
            link(&|q| q.status = status_code(Status::EmergencyRepair)),
        ),
        // Penalty condition 5, read against the clock now: a notice that fell due after the
        // case was last projected counts too.
        (
            Msg::QueueNoticeNotReturned,
            CaseFilter {
                queue: Some(Queue::NoticeNotReturned(at)),
                ..base.clone()
            },
            link(&|q| q.queue = "unreturned".into()),
        ),
        // Not "every accepted case": a satisfied callback leaves a case accepted.
        (
            Msg::QueueCallbacksDue,
            CaseFilter {
                queue: Some(Queue::CallbacksDue),
                ..base.clone()
            },
            link(&|q| q.queue = "callbacks".into()),
        ),
        (
            Msg::QueueReview,
            CaseFilter {
                queue: Some(Queue::Review),
                ..base.clone()
            },
            link(&|q| q.queue = "review".into()),
        ),
        (
            Msg::QueueEvidence,
            CaseFilter {
                queue: Some(Queue::EvidenceRequested),
                ..base.clone()
            },
            link(&|q| q.queue = "evidence".into()),
        ),
        (
            Msg::QueueNewEvidence,
            CaseFilter {
                queue: Some(Queue::EvidenceAfterAcceptance),
                ..base.clone()
            },
            link(&|q| q.queue = "new_evidence".into()),
        ),
        (
            Msg::QueueDuplicates,
            CaseFilter {
                queue: Some(Queue::ProbableDuplicates),
                ..base.clone()
            },
            link(&|q| q.queue = "duplicates".into()),
        ),
        (
            Msg::QueueFines,
            CaseFilter {
                queue: Some(Queue::FinesAwaitingApproval),
                ..base.clone()
            },
            link(&|q| q.queue = "fines".into()),
        ),
    ];
    let mut figures = Vec::new();
    for (label, filter, link) in queues {
        match state.store.case_count(&filter).await {
            Ok(count) => figures.push(Figure {
                label: label.text(lang).to_owned(),
                count,
                link,
            }),
            Err(e) => return internal(e),
        }
    }
    let mut by_status = Vec::new();
    // A merged case counts at the case it was merged into; a row of merged cases would count
    // the pair twice in this table. They stay listed under their status on the case list.
    for s in Status::ALL.into_iter().filter(|s| *s != Status::Merged) {
        let filter = CaseFilter {
            status: Some(s),
            ..base.clone()
        };
        match state.store.case_count(&filter).await {
            Ok(0) => {}
            Ok(count) => by_status.push(Figure {
                label: lang.pick(s.label_zh(), s.label_en()).to_owned(),
                count,
                link: link(&|q| q.status = status_code(s)),
            }),
            Err(e) => return internal(e),
        }
    }
    let photos_missing = match state
        .store
        .evidence_status(std::slice::from_ref(&project), None)
        .await
    {
        Ok(e) => e.referenced.saturating_sub(e.arrived),
        Err(e) => return internal(e),
    };
    let named = match super::readiness::load(&state, &staff, &project).await {
        Ok(p) => super::labels::project(&p, lang).to_owned(),
        Err(refused) => return refused,
    };
    let props = DashboardProps {
        lang,
        project: named,
        by_status,
        queues: figures,
        photos_missing,
    };
    let body = rsx! { Dashboard { ..props } };
    render(lang, Msg::Dashboard.text(lang), Some(staff.top_bar()), body).into_response()
}
