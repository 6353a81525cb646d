//! `POST /cases/{unit}/{finding}/reassign`: after a contractor disputed a notice or refused it,
//! a coordinator or a manager (the roles of [`EventKind::Reassigned`]) gives the finding to
//! another contractor with a fresh notice: a new number of the notices' yearly series
//! (`ZG-YYYY-NNNN`), a repair deadline, and four new hours to answer.
//!
//! Refused, with nothing written and no number used: a case that is neither disputed nor
//! refused or the contractor it already has (the workflow's precondition, checked under the
//! document's lock, so two people reassigning at once cannot both pass), a contractor not on
//! the project, a deadline that is not in the future (or more than a year away).

use axum::extract::State;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::ContractorId;
use plumbline_shared::project::Contractor;
use plumbline_shared::time::{DAY_MS, Timestamp, china};
use plumbline_shared::workflow::CaseState;
use plumbline_shared::workflow::may::{Person, may};
use serde::Deserialize;

use super::case_kit::{CaseForm, WebError};
use super::date_field::{DateInput, Toward, parse_day_time};
use super::i18n::{Lang, Msg};
use super::posted::posted_with_csrf_field;
use crate::state::AppState;
use crate::store::Series;

/// The furthest a repair deadline may be set, from now.
const MAX_AHEAD_MS: i64 = 365 * DAY_MS;

/// A deadline as typed in the form ([`super::date_field`]: `2026-12-01 09:30`,
/// `2026年12月1日 9时30分`, …) or a day alone, which means the end of that day; Beijing time.
fn parse_deadline(text: &str) -> Option<Timestamp> {
    let (day, time) = parse_day_time(text)?;
    let local = match time {
        Some(t) => day.and_time(t),
        None => day.and_hms_opt(23, 59, 0)?,
    };
    let at = local.and_local_timezone(china()).single()?;
    Some(Timestamp(at.timestamp_millis()))
}

/// A time as the deadline field shows it, Beijing time.
fn field_value(t: Timestamp) -> String {
    t.china_minute()
}

/// The reassignment form's fields.
#[derive(Debug, Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    contractor: String,
    #[serde(default)]
    deadline: String,
}

posted_with_csrf_field!(ReassignForm);

/// `POST /cases/{unit}/{finding}/reassign`.
pub async fn reassign(
    State(state): State<AppState>,
    action: CaseForm<ReassignForm>,
) -> Result<Response, WebError> {
    let at = state.now();
    let repair_deadline = match parse_deadline(&action.form.deadline) {
        Some(d) if d > at && d.0 - at.0 <= MAX_AHEAD_MS => d,
        Some(_) => {
            return Err(action.bad_pick(
                "整改期限须在现在之后、一年之内。",
                "The repair deadline must be after now and within a year.",
            ));
        }
        None => {
            return Err(action.bad_pick(
                "请填写整改期限（日期和时间）。",
                "Enter the repair deadline (a date and a time).",
            ));
        }
    };
    let contractor = action.project_contractor(&action.form.contractor)?;
    let make = move |notice_no: String| EventKind::Reassigned {
        notice_no,
        contractor: contractor.clone(),
        repair_deadline,
    };
    action.append_numbered(&state, Series::Notice, make).await
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
    /// Today in Beijing, for the deadline's suggestions.
    today: chrono::NaiveDate,
}

impl ReassignSectionProps {
    /// The form for a case in `state`, or `None` when `person` may not reassign it now.
    pub fn new(
        lang: Lang,
        base: String,
        csrf: String,
        (state, person): (&CaseState, Person<'_>),
        contractors: &[Contractor],
        now: Timestamp,
    ) -> Option<Self> {
        let probe = EventKind::Reassigned {
            notice_no: String::new(),
            contractor: ContractorId::new("probe").expect("a valid id"),
            repair_deadline: now,
        };
        if may(&probe, person, state).is_err() {
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
            today: now.date_cst(),
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
                    DateInput { lang, name: "deadline", value: p.proposed.clone(), today: p.today,
                        toward: Toward::Future, required: true, at: "18:00" }
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
        assert_eq!(field_value(at), "2026-12-01 09:30");
        assert_eq!(parse_deadline("2026-12-01 09:30"), Some(at));
        assert_eq!(parse_deadline("2026年12月1日 9时30分"), Some(at));
        assert_eq!(
            field_value(parse_deadline("2026-12-01").unwrap()),
            "2026-12-01 23:59"
        );
        for bad in ["", "tomorrow", "2026-13-01", "2026-12-01T25:00"] {
            assert_eq!(parse_deadline(bad), None, "{bad}");
        }
    }
}
