//! `GET /cases/{unit}/{finding}/notice`: the printable 工程整改通知单 of a case's current
//! notice.
//!
//! Office staff of the project print any notice; a contractor's foreman prints only the notices
//! addressed to their own company, and another company's is answered as if it did not exist.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::role::Role;

use super::case_load::{load_for_page, not_found};
use super::i18n::Msg;
use super::labels;
use super::layout::render;
use super::session::Staff;
use super::when::beijing;
use crate::state::AppState;

/// `GET /cases/{unit}/{finding}/notice`: the printable 工程整改通知单 of the current notice.
pub async fn print_notice(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
) -> Response {
    let (unit, _, loaded) = match load_for_page(&state, &staff, &unit, &finding).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(membership) = staff
        .memberships
        .iter()
        .find(|m| m.project == loaded.project.id)
    else {
        return not_found(&staff);
    };
    let Some(notice) = loaded.state.notice.clone() else {
        return not_found(&staff);
    };
    // A foreman prints his own company's notices, and learns nothing of the others'.
    if membership.role == Role::Contractor
        && membership.contractor.as_ref() != Some(&notice.contractor)
    {
        tracing::warn!(user = %staff.user, notice = %notice.notice_no, "another company's notice refused");
        return not_found(&staff);
    }
    let lang = staff.lang;
    let contractor = loaded
        .project
        .contractors
        .iter()
        .find(|c| c.id == notice.contractor)
        .map_or_else(|| notice.contractor.to_string(), |c| c.name.clone());
    let f = &loaded.finding;
    let project_name = loaded.project.name_zh.clone();
    let body = rsx! {
        article { class: "notice",
            h1 { style: "text-align:center", {Msg::NoticeTitle.text(lang)} }
            p { {Msg::NoticeNo.text(lang)} "：" span { id: "notice-no", "{notice.notice_no}" } }
            table {
                tr { th { {Msg::Project.text(lang)} } td { "{project_name}" } }
                tr { th { {Msg::Unit.text(lang)} } td { "{unit}" } }
                tr { th { {Msg::Contractor.text(lang)} } td { "{contractor}" } }
                tr { th { {Msg::Room.text(lang)} } td { {labels::room(lang, f.room.as_str())} " / " {labels::item(lang, f.item.as_str())} } }
                tr { th { {Msg::Description.text(lang)} } td { "{f.description}" } }
                tr { th { {Msg::Issued.text(lang)} } td { {beijing(notice.issued_at)} } }
                tr { th { {Msg::ResponseDue.text(lang)} } td { {beijing(notice.response_deadline)} } }
                tr { th { {Msg::Deadline.text(lang)} } td { {beijing(notice.repair_deadline)} } }
            }
            p { style: "margin-top:3rem", {Msg::ReplyLine.text(lang)} }
        }
    };
    render(
        lang,
        Msg::NoticeTitle.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}
