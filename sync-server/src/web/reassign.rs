//! `POST /cases/{unit}/{finding}/reassign`: after a contractor disputed a notice or refused it,
//! a coordinator or a manager (the roles of [`EventKind::Reassigned`]) gives the finding to
//! another contractor with a fresh notice: a new number of the notices' yearly series
//! (`ZG-YYYY-NNNN`), a repair deadline, and four new hours to answer.
//!
//! Refused, with nothing written and no number used: a case that is neither disputed nor
//! refused, the contractor it already has, a contractor not on the project, a deadline that is
//! not in the future (or more than a year away). The case's state is checked again under the
//! document's lock when the event is appended, so two people reassigning at once cannot both
//! pass.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Datelike;
use dioxus::prelude::*;
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::ContractorId;
use plumbline_shared::project::Contractor;
use plumbline_shared::time::{DAY_MS, Timestamp};
use plumbline_shared::workflow::{CaseState, Status};
use serde::Deserialize;

use super::case_detail::{
    append_checked, bad_request, checked_post, context, load, not_found, role_refusal,
};
use super::i18n::{Lang, Msg};
use super::layout::internal;
use super::session::Staff;
use crate::state::AppState;

/// The furthest a repair deadline may be set, from now.
const MAX_AHEAD_MS: i64 = 365 * DAY_MS;

/// Whether the case may go to another contractor: disputed, or its notice refused.
pub fn may_reassign(state: &CaseState) -> bool {
    state.status == Status::Disputed
        || (state.status == Status::Notified
            && state
                .notice
                .as_ref()
                .is_some_and(|n| n.refused_at.is_some()))
}

/// The case's side of the rule, in the person's language: where it stands and who has it.
fn case_refusal(state: &CaseState, to: &ContractorId, lang: Lang) -> Option<String> {
    if !may_reassign(state) {
        return Some(
            lang.pick(
                "只有施工单位提出异议或拒收通知单后才能改派。",
                "A case is reassigned only after its contractor disputed or refused the notice.",
            )
            .to_owned(),
        );
    }
    if state.contractor.as_ref() == Some(to) {
        return Some(
            lang.pick(
                "该案件已由这家施工单位负责，请选择另一家施工单位。",
                "The case is already with that contractor; choose another one.",
            )
            .to_owned(),
        );
    }
    None
}

fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is valid")
}

/// A deadline as the form sends it: `YYYY-MM-DDTHH:MM` (a `datetime-local` field) or a day
/// alone, which means the end of that day; Beijing time.
fn parse_deadline(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(23, 59, 0))
        })?;
    let at = local.and_local_timezone(beijing()).single()?;
    Some(Timestamp(at.timestamp_millis()))
}

/// A time as a `datetime-local` value, Beijing time.
fn field_value(t: Timestamp) -> String {
    t.to_datetime()
        .map(|d| {
            d.with_timezone(&beijing())
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The reassignment form's fields.
#[derive(Debug, Deserialize)]
pub struct ReassignForm {
    csrf: String,
    #[serde(default)]
    contractor: String,
    #[serde(default)]
    deadline: String,
}

/// `POST /cases/{unit}/{finding}/reassign`.
pub async fn reassign(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
    Form(form): Form<ReassignForm>,
) -> Response {
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let Ok(contractor) = ContractorId::new(form.contractor.trim()) else {
        let m = lang.pick("请选择新的施工单位。", "Choose the new contractor.");
        return bad_request(&staff, m);
    };
    let at = state.now();
    let deadline = match parse_deadline(&form.deadline) {
        Some(d) if d > at && d.0 - at.0 <= MAX_AHEAD_MS => d,
        Some(_) => {
            let m = lang.pick(
                "整改期限须在现在之后、一年之内。",
                "The repair deadline must be after now and within a year.",
            );
            return bad_request(&staff, m);
        }
        None => {
            let m = lang.pick(
                "请填写整改期限（日期和时间）。",
                "Enter the repair deadline (a date and a time).",
            );
            return bad_request(&staff, m);
        }
    };
    let (project, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    if !project.contractors.iter().any(|c| c.id == contractor) {
        let m = lang.pick(
            "该施工单位不属于本项目。",
            "That contractor is not on this project.",
        );
        return bad_request(&staff, m);
    }
    let probe = EventKind::Reassigned {
        notice_no: String::new(),
        contractor: contractor.clone(),
        repair_deadline: deadline,
    };
    if let Some(refused) = role_refusal(&staff, role, &probe) {
        return refused;
    }
    // Checked before a number is taken, so that a refused attempt leaves no gap in the series;
    // checked again under the lock below.
    match load(&state, &unit, &finding).await {
        Ok(Some(loaded)) => {
            if let Some(m) = case_refusal(&loaded.state, &contractor, lang) {
                return bad_request(&staff, &m);
            }
        }
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    }
    let year = at.to_datetime().map_or(2026, |d| d.year());
    let number = match state.store.next_notice_number(year).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let kind = EventKind::Reassigned {
        notice_no: format!("ZG-{year}-{number:04}"),
        contractor: contractor.clone(),
        repair_deadline: deadline,
    };
    append_checked(&state, &staff, &unit, &finding, role, kind, move |s| {
        case_refusal(s, &contractor, lang).map_or(Ok(()), Err)
    })
    .await
}

/// The reassignment form on the case page.
#[derive(Props, Debug, Clone, PartialEq)]
pub struct ReassignSectionProps {
    lang: Lang,
    /// The case's address.
    base: String,
    csrf: String,
    /// The project's contractors other than the case's.
    choices: Vec<Contractor>,
    /// The deadline the form proposes.
    proposed: String,
}

impl ReassignSectionProps {
    /// The form for a case in `state`, or `None` when the case cannot be reassigned now.
    pub fn new(
        lang: Lang,
        base: String,
        csrf: String,
        state: &CaseState,
        contractors: &[Contractor],
        now: Timestamp,
    ) -> Option<Self> {
        if !may_reassign(state) {
            return None;
        }
        let choices: Vec<Contractor> = contractors
            .iter()
            .filter(|c| state.contractor.as_ref() != Some(&c.id))
            .cloned()
            .collect();
        Some(Self {
            lang,
            base,
            csrf,
            choices,
            proposed: field_value(now.plus_ms(3 * DAY_MS)),
        })
    }
}

/// 改派施工单位: the new contractor and repair deadline.
#[allow(non_snake_case)] // a component
pub fn ReassignSection(p: ReassignSectionProps) -> Element {
    let lang = p.lang;
    rsx! {
        section { class: "noprint", id: "reassign",
            h2 { {Msg::Reassign.text(lang)} }
            form { method: "post", action: "{p.base}/reassign",
                input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                label { {Msg::NewContractor.text(lang)} " "
                    select { name: "contractor", required: true,
                        for c in p.choices.iter() {
                            option { value: "{c.id}", "{c.name}" }
                        }
                    }
                }
                " "
                label { {Msg::Deadline.text(lang)} " "
                    input { r#type: "datetime-local", name: "deadline", value: "{p.proposed}", required: true }
                }
                " "
                button { r#type: "submit", {Msg::Reassign.text(lang)} }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn deadlines_are_read_as_beijing_time_and_a_day_means_its_end() {
        let at = parse_deadline("2026-12-01T09:30").unwrap();
        assert_eq!(field_value(at), "2026-12-01T09:30");
        assert_eq!(parse_deadline("2026-12-01 09:30"), Some(at));
        assert_eq!(
            field_value(parse_deadline("2026-12-01").unwrap()),
            "2026-12-01T23:59"
        );
        for bad in ["", "tomorrow", "2026-13-01", "2026-12-01T25:00"] {
            assert_eq!(parse_deadline(bad), None, "{bad}");
        }
    }
}
