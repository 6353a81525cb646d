//! Inspection planning on the readiness page: managers and coordinators give an inspector a
//! building, or a range of its floors, for a range of dates; list, change and remove those
//! assignments.
//!
//! Assignments live in the project document ([`plumbline_shared::inspection_plan::Assignment`]), written
//! through [`crate::project_write::edit_project`], so every device of the project receives them
//! with its next sync and the app shows each inspector theirs
//! ([`Project::assignments_for`](plumbline_shared::project::Project::assignments_for)).
//!
//! Who may plan is checked here, on the server, for every form ([`may_plan`]); the page shows
//! the forms only to those people, but hiding a button is not the check. A form that does not
//! check out — an inspector without the inspector role in the project, floors outside the
//! building, dates out of order, an assignment someone else just removed — is answered with
//! the page and a sentence in the person's language, and changes nothing.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use dioxus::prelude::*;
use plumbline_shared::ids::{AssignmentId, BuildingId, ProjectId, UserId};
use plumbline_shared::inspection_plan::{Assignment, FloorRange, FloorRangeError, PlanError};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use serde::Deserialize;

use super::date_field::{DateInput, Toward, parse_day};
use super::i18n::{Lang, Msg};
use super::layout::{internal, message_page};
use super::posted::{StaffForm, posted_with_csrf_field};
use super::readiness::{chosen, page};
use super::session::Staff;
use crate::project_write::{ProjectEditError, edit_project};
use crate::state::AppState;

/// Whether a role may assign inspections: the center manager (经理, "assigns work") and the
/// coordinator / team leader (总协调员 / 组长).
pub fn may_plan(role: Role) -> bool {
    matches!(role, Role::Manager | Role::Coordinator)
}

/// One assignment as the page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentLine {
    /// The assignment.
    pub assignment: Assignment,
    /// The inspector's name.
    pub inspector_name: String,
    /// The building's name.
    pub building_name: String,
    /// Units it covers.
    pub units: usize,
}

/// The planning part of the readiness page.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanningView {
    /// The project.
    pub project: ProjectId,
    /// The session's form token.
    pub csrf: String,
    /// Whether the forms are shown.
    pub may_plan: bool,
    /// The project's assignments, by first day.
    pub lines: Vec<AssignmentLine>,
    /// The project's inspectors: (login, name).
    pub inspectors: Vec<(UserId, String)>,
    /// The project's buildings: (id, name, floors).
    pub buildings: Vec<(BuildingId, String, u32)>,
    /// Today in Beijing, for the date fields' suggestions.
    pub today: NaiveDate,
}

/// What the planning part shows to `staff` for `project`.
pub(super) async fn planning_view(
    state: &AppState,
    staff: &Staff,
    project: &Project,
) -> Result<PlanningView, Response> {
    let users = state.store.users().await.map_err(internal)?;
    let inspectors: Vec<(UserId, String)> = users
        .iter()
        .filter(|u| {
            u.memberships
                .iter()
                .any(|m| m.project == project.id && m.role == Role::Inspector)
        })
        .map(|u| (u.user.clone(), u.display_name.clone()))
        .collect();
    let name_of = |user: &UserId| {
        users
            .iter()
            .find(|u| &u.user == user)
            .map_or_else(|| user.to_string(), |u| u.display_name.clone())
    };
    let mut lines: Vec<AssignmentLine> = project
        .assignments
        .iter()
        .map(|a| AssignmentLine {
            assignment: a.clone(),
            inspector_name: name_of(&a.inspector),
            building_name: project
                .building(&a.building)
                .map_or_else(|| a.building.to_string(), |b| b.name.clone()),
            units: project.assigned_units(a).len(),
        })
        .collect();
    lines.sort_by(|x, y| {
        (
            x.assignment.from,
            &x.building_name,
            x.assignment.id.as_str(),
        )
            .cmp(&(
                y.assignment.from,
                &y.building_name,
                y.assignment.id.as_str(),
            ))
    });
    Ok(PlanningView {
        project: project.id.clone(),
        csrf: staff.csrf.clone(),
        may_plan: staff.role_in(&project.id).is_some_and(may_plan),
        lines,
        inspectors,
        buildings: project
            .buildings
            .iter()
            .map(|b| (b.id.clone(), b.name.clone(), b.floors))
            .collect(),
        today: state.now().date_cst(),
    })
}

fn floors_text(lang: Lang, floors: Option<FloorRange>) -> String {
    match floors {
        None => Msg::WholeBuilding.text(lang).to_owned(),
        Some(r) if r.first == r.last => lang
            .pick(&format!("{} 层", r.first), &format!("floor {}", r.first))
            .to_owned(),
        Some(r) => lang
            .pick(
                &format!("{}–{} 层", r.first, r.last),
                &format!("floors {}–{}", r.first, r.last),
            )
            .to_owned(),
    }
}

/// The fields of an assignment form, filled in with `a` when it changes one.
#[component]
fn AssignmentFields(lang: Lang, view: PlanningView, a: Option<Assignment>) -> Element {
    let first = a
        .as_ref()
        .and_then(|a| a.floors)
        .map(|r| r.first.to_string())
        .unwrap_or_default();
    let last = a
        .as_ref()
        .and_then(|a| a.floors)
        .map(|r| r.last.to_string())
        .unwrap_or_default();
    let from = a
        .as_ref()
        .map(|a| a.from.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let to = a
        .as_ref()
        .map(|a| a.to.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    rsx! {
        input { r#type: "hidden", name: "csrf", value: "{view.csrf}" }
        input { r#type: "hidden", name: "project", value: "{view.project}" }
        label { {Msg::Inspector.text(lang)}
            select { name: "inspector", required: true,
                for (id, name) in view.inspectors.iter() {
                    option { value: "{id}", selected: a.as_ref().is_some_and(|a| &a.inspector == id), "{name}" }
                }
            }
        }
        label { {Msg::Building.text(lang)}
            select { name: "building", required: true,
                for (id, name, floors) in view.buildings.iter() {
                    option { value: "{id}", selected: a.as_ref().is_some_and(|a| &a.building == id), "{name} (1–{floors})" }
                }
            }
        }
        label { {Msg::FloorsFromTo.text(lang)}
            span {
                input { name: "first_floor", value: "{first}", size: 3, inputmode: "numeric" }
                "–"
                input { name: "last_floor", value: "{last}", size: 3, inputmode: "numeric" }
            }
        }
        label { {Msg::DateFrom.text(lang)} DateInput { lang, name: "from", value: from, today: view.today, toward: Toward::Future, required: true } }
        label { {Msg::DateTo.text(lang)} DateInput { lang, name: "to", value: to, today: view.today, toward: Toward::Future, required: true } }
    }
}

/// The planning section of the readiness page.
#[component]
pub fn AssignmentsView(lang: Lang, view: PlanningView) -> Element {
    rsx! {
        section { id: "planning",
            h2 { {Msg::Planning.text(lang)} }
            if view.lines.is_empty() {
                p { {Msg::NoAssignments.text(lang)} }
            } else {
                table { id: "assignments",
                    thead { tr {
                        th { {Msg::Inspector.text(lang)} }
                        th { {Msg::Building.text(lang)} }
                        th { {Msg::Floor.text(lang)} }
                        th { {Msg::DateFrom.text(lang)} }
                        th { {Msg::DateTo.text(lang)} }
                        th { {Msg::Units.text(lang)} }
                        if view.may_plan { th { } }
                    } }
                    tbody {
                        for line in view.lines.iter() {
                            tr { id: "assignment-{line.assignment.id}", class: "assignment",
                                td { "{line.inspector_name}" }
                                td { "{line.building_name}" }
                                td { {floors_text(lang, line.assignment.floors)} }
                                td { {line.assignment.from.format("%Y-%m-%d").to_string()} }
                                td { {line.assignment.to.format("%Y-%m-%d").to_string()} }
                                td { "{line.units}" }
                                if view.may_plan {
                                    td { class: "noprint",
                                        form { class: "filters", method: "post", action: "/readiness/assignments",
                                            input { r#type: "hidden", name: "id", value: "{line.assignment.id}" }
                                            AssignmentFields { lang, view: view.clone(), a: Some(line.assignment.clone()) }
                                            button { r#type: "submit", {Msg::Save.text(lang)} }
                                        }
                                        form { method: "post", action: "/readiness/assignments/remove",
                                            input { r#type: "hidden", name: "csrf", value: "{view.csrf}" }
                                            input { r#type: "hidden", name: "project", value: "{view.project}" }
                                            input { r#type: "hidden", name: "id", value: "{line.assignment.id}" }
                                            button { r#type: "submit", {Msg::RemoveAssignment.text(lang)} }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if view.may_plan {
                if view.inspectors.is_empty() {
                    p { {Msg::NoInspectors.text(lang)} }
                } else {
                    form { id: "new-assignment", class: "filters noprint", method: "post", action: "/readiness/assignments",
                        h3 { {Msg::NewAssignment.text(lang)} }
                        AssignmentFields { lang, view: view.clone(), a: None }
                        button { r#type: "submit", {Msg::Assign.text(lang)} }
                    }
                }
            }
        }
    }
}

/// The assignment form: a new one when `id` is empty, else a change of that one.
#[derive(Debug, Deserialize)]
pub struct AssignmentForm {
    /// The session's form token.
    #[serde(default)]
    pub csrf: String,
    /// Project id.
    #[serde(default)]
    pub project: String,
    /// The assignment changed; empty for a new one.
    #[serde(default)]
    pub id: String,
    /// The inspector's login.
    #[serde(default)]
    pub inspector: String,
    /// Building id.
    #[serde(default)]
    pub building: String,
    /// Lowest floor; empty with `last_floor` for the whole building.
    #[serde(default)]
    pub first_floor: String,
    /// Highest floor.
    #[serde(default)]
    pub last_floor: String,
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: String,
}

/// The removal form.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    /// The session's form token.
    #[serde(default)]
    pub csrf: String,
    /// Project id.
    #[serde(default)]
    pub project: String,
    /// The assignment.
    #[serde(default)]
    pub id: String,
}

/// A [`PlanError`] in the person's language.
fn plan_error_text(lang: Lang, e: &PlanError) -> String {
    match e {
        PlanError::Floors(FloorRangeError::NoSuchBuilding(b)) => lang
            .pick(
                &format!("本项目没有楼栋“{b}”。"),
                &format!("This project has no building `{b}`."),
            )
            .to_owned(),
        PlanError::Floors(FloorRangeError::BadFloors {
            floors,
            first,
            last,
            ..
        }) => lang
            .pick(
                &format!(
                    "楼层 {first}–{last} 不在该楼栋的 1–{floors} 层之内，或起始楼层高于结束楼层。"
                ),
                &format!(
                    "Floors {first}–{last} are not within the building's floors 1–{floors}, or the lowest floor is not first."
                ),
            )
            .to_owned(),
        PlanError::DatesReversed { from, to } => lang
            .pick(
                &format!("结束日期 {to} 早于开始日期 {from}。"),
                &format!("The last day, {to}, is before the first, {from}."),
            )
            .to_owned(),
        PlanError::NoSuchAssignment(_) => lang
            .pick(
                "该验收任务不存在（可能已被他人删除）。",
                "That assignment does not exist (someone may have removed it).",
            )
            .to_owned(),
    }
}

/// Reads the form into an assignment, or says what is wrong with it.
async fn checked(
    state: &AppState,
    staff: &Staff,
    project: &Project,
    form: &AssignmentForm,
) -> Result<Assignment, String> {
    let lang = staff.lang;
    let inspector = UserId::new(form.inspector.trim()).ok();
    let is_inspector = match &inspector {
        Some(user) => match state.store.user(user).await {
            Ok(Some((_, memberships))) => memberships
                .iter()
                .any(|m| m.project == project.id && m.role == Role::Inspector),
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = ?e, "reading a user for an assignment");
                return Err(lang
                    .pick(
                        "暂时无法读取账号，请稍后再试。",
                        "Accounts cannot be read just now; try again later.",
                    )
                    .to_owned());
            }
        },
        None => false,
    };
    let Some(inspector) = inspector.filter(|_| is_inspector) else {
        return Err(lang
            .pick(
                &format!(
                    "“{}”不是本项目的验收人员（投诉代表）。",
                    form.inspector.trim()
                ),
                &format!(
                    "`{}` is not an inspector (complaint representative) in this project.",
                    form.inspector.trim()
                ),
            )
            .to_owned());
    };
    let Ok(building) = BuildingId::new(form.building.trim()) else {
        return Err(lang
            .pick(
                &format!("本项目没有楼栋“{}”。", form.building.trim()),
                &format!("This project has no building `{}`.", form.building.trim()),
            )
            .to_owned());
    };
    let floor = |text: &str| text.trim().parse::<u32>().ok();
    let floors = match (form.first_floor.trim(), form.last_floor.trim()) {
        ("", "") => None,
        (first, last) => match (floor(first), floor(last)) {
            (Some(first), Some(last)) => Some(FloorRange { first, last }),
            _ => {
                return Err(lang
                    .pick(
                        "请填写起止楼层（整数），或两者都不填表示整栋。",
                        "Give both the lowest and the highest floor as whole numbers, or neither for the whole building.",
                    )
                    .to_owned());
            }
        },
    };
    let date = |text: &str| parse_day(text);
    let (Some(from), Some(to)) = (date(&form.from), date(&form.to)) else {
        return Err(lang
            .pick(
                "请填写开始和结束日期（如 2026-12-07 或 2026年12月7日）。",
                "Give the first and the last day (YYYY-MM-DD).",
            )
            .to_owned());
    };
    let id = match form.id.trim() {
        "" => AssignmentId::random(),
        id => AssignmentId::new(id).map_err(|_| {
            plan_error_text(lang, &PlanError::NoSuchAssignment(AssignmentId::random()))
        })?,
    };
    let a = Assignment {
        id,
        inspector,
        building,
        floors,
        from,
        to,
        assigned_by: staff.user.clone(),
    };
    project
        .check_assignment(&a)
        .map_err(|e| plan_error_text(lang, &e))?;
    Ok(a)
}

/// The planner's project, or the page refusing them.
#[allow(clippy::result_large_err)] // the error is the page to answer with
fn planner_project(staff: &Staff, asked: &str, now: Timestamp) -> Result<ProjectId, Response> {
    let project = chosen(staff, asked, now)?;
    if staff.role_in(&project).is_some_and(may_plan) {
        Ok(project)
    } else {
        tracing::warn!(user = %staff.user, %project, "an assignment refused for the role");
        Err(message_page(
            StatusCode::FORBIDDEN,
            staff.lang,
            Msg::PlanningRoles.text(staff.lang),
            Some(staff.top_bar()),
        ))
    }
}

fn back(project: &ProjectId) -> Response {
    Redirect::to(&format!("/readiness?project={project}#planning")).into_response()
}

async fn answer(
    state: &AppState,
    staff: &Staff,
    project: &ProjectId,
    result: Result<(), ProjectEditError<PlanError>>,
) -> Response {
    match result {
        Ok(()) => back(project),
        Err(ProjectEditError::Refused(e)) => {
            let text = plan_error_text(staff.lang, &e);
            page(state, staff, project, StatusCode::BAD_REQUEST, Some(text)).await
        }
        Err(e) => internal(e),
    }
}

posted_with_csrf_field!(AssignmentForm, RemoveForm);

/// `POST /readiness/assignments`: a new assignment, or a change of one.
pub async fn save(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm<AssignmentForm>,
) -> Response {
    // The role first: a person who may not plan learns that, not what is wrong with the form.
    let project_id = match planner_project(&staff, &form.project, state.now()) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let project = match super::readiness::load(&state, &staff, &project_id).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let a = match checked(&state, &staff, &project, &form).await {
        Ok(a) => a,
        Err(message) => {
            return page(
                &state,
                &staff,
                &project_id,
                StatusCode::BAD_REQUEST,
                Some(message),
            )
            .await;
        }
    };
    let changing = !form.id.trim().is_empty();
    let id = a.id.clone();
    let result = edit_project(&state, &project_id, |p| {
        if changing && !p.assignments.iter().any(|x| x.id == a.id) {
            return Err(PlanError::NoSuchAssignment(a.id.clone()));
        }
        p.put_assignment(a)
    })
    .await;
    if result.is_ok() {
        tracing::info!(user = %staff.user, project = %project_id, assignment = %id, changing, "an inspection assignment saved");
    }
    answer(&state, &staff, &project_id, result).await
}

/// `POST /readiness/assignments/remove`.
pub async fn remove(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm<RemoveForm>,
) -> Response {
    let project_id = match planner_project(&staff, &form.project, state.now()) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let Ok(id) = AssignmentId::new(form.id.trim()) else {
        let text = plan_error_text(
            staff.lang,
            &PlanError::NoSuchAssignment(AssignmentId::random()),
        );
        return page(
            &state,
            &staff,
            &project_id,
            StatusCode::BAD_REQUEST,
            Some(text),
        )
        .await;
    };
    let result = edit_project(&state, &project_id, |p| {
        p.remove_assignment(&id).map(|_| ())
    })
    .await;
    if result.is_ok() {
        tracing::info!(user = %staff.user, project = %project_id, assignment = %id, "an inspection assignment removed");
    }
    answer(&state, &staff, &project_id, result).await
}
