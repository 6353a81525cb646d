//! `/admin/projects`: each administered project's buildings and units, and importing more from
//! a CSV file.
//!
//! The upload goes through the same checks as `plumbline-sync-server admin import-units`
//! ([`plumbline_shared::units_csv`] for the format, [`crate::unit_import::import_units`] for the write): every bad
//! row is listed with its line number and then nothing is imported. "Preview" runs every check
//! and says what the import would add without writing anything; "Import" checks again and
//! writes. The web takes files of at most [`MAX_UPLOAD_BYTES`] (the command line takes larger
//! ones): a browser upload is held in memory, and a file of a few thousand units is far smaller.
//!
//! Each project also lists its floor plans (平面图) with a thumbnail and a remove button, and
//! takes a new one: a PNG or JPEG of at most [`MAX_PLAN_BYTES`] for a building and a range of
//! its floors. The file's type is judged by its first bytes and its size read from its header
//! ([`crate::floor_plan_images::image_info`]); the plan is checked against the project (building, floors,
//! name) before anything is stored; then the image is stored as a blob by its hash, like
//! evidence, and the plan written into the project document, which devices receive at their
//! next sync. Any refusal is a 400 page with a sentence, and nothing is written.

use axum::Form;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use dioxus::prelude::*;
use plumbline_shared::floor_plan::{FloorPlanError, MAX_PLAN_BYTES};
use plumbline_shared::ids::{BuildingId, FloorPlanId, ProjectId};
use plumbline_shared::inspection_plan::{FloorRange, FloorRangeError};
use plumbline_shared::project::Project;
use serde::Deserialize;

use super::Admin;
use super::project_new::NewProjectSection;
use super::users::administered;
use super::workflow::WorkflowSection;
use crate::floor_plan_images::{AddPlanError, NewPlan, PlanImageError, add_plan};
use crate::project_write::{ProjectEditError, edit_project};
use crate::state::AppState;
use crate::unit_import::{import_units, preview_import};
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;
use plumbline_shared::units_csv::{COLUMNS, ImportError, ImportErrors, ImportSummary, decode};

/// The largest CSV file the web takes (1 MiB).
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// The largest upload request: the file, the token and the multipart framing.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;
/// The longest value of a form field other than the file.
const MAX_FIELD_BYTES: usize = 256;
/// The largest plan-upload request: the image, the other fields and the multipart framing.
pub const MAX_PLAN_BODY_BYTES: usize = MAX_PLAN_BYTES as usize + 64 * 1024;

/// One building as the page lists it.
#[derive(Debug, Clone, PartialEq)]
struct BuildingRow {
    id: String,
    name: String,
    floors: u32,
    units: usize,
}

/// One floor plan as the page lists it.
#[derive(Debug, Clone, PartialEq)]
struct PlanRow {
    id: String,
    name: String,
    building: String,
    floors: String,
    size: String,
    image: String,
}

/// One project as the page shows it.
#[derive(Debug, Clone, PartialEq)]
struct ProjectView {
    id: ProjectId,
    name: String,
    buildings: Vec<BuildingRow>,
    units: usize,
    plans: Vec<PlanRow>,
    workflow: Vec<super::workflow::SettingRow>,
}

fn view(id: &ProjectId, project: Option<&Project>, lang: Lang) -> ProjectView {
    let Some(p) = project else {
        return ProjectView {
            id: id.clone(),
            name: id.to_string(),
            buildings: Vec::new(),
            units: 0,
            plans: Vec::new(),
            workflow: Vec::new(),
        };
    };
    ProjectView {
        id: id.clone(),
        name: lang.pick(&p.name_zh, &p.name_en).to_owned(),
        buildings: p
            .buildings
            .iter()
            .map(|b| BuildingRow {
                id: b.id.to_string(),
                name: b.name.clone(),
                floors: b.floors,
                units: b.units.len(),
            })
            .collect(),
        units: p.units().count(),
        plans: p
            .floor_plans
            .iter()
            // Retired plans stay in the document for the pins made on them, off the list.
            .filter(|plan| !plan.retired)
            .map(|plan| PlanRow {
                id: plan.id.to_string(),
                name: plan.name.clone(),
                building: p
                    .building(&plan.building)
                    .map_or_else(|| plan.building.to_string(), |b| b.name.clone()),
                floors: format!("{}–{}F", plan.floors.first, plan.floors.last),
                size: format!("{}×{}", plan.width, plan.height),
                image: plan.image.to_string(),
            })
            .collect(),
        workflow: super::workflow::rows(&p.workflow, lang),
    }
}

/// A project's floor plans and the form that uploads one.
#[component]
fn PlansSection(
    lang: Lang,
    csrf: String,
    project: ProjectId,
    plans: Vec<PlanRow>,
    buildings: Vec<BuildingRow>,
) -> Element {
    rsx! {
        div { class: "plans", id: "plans-{project}",
            h3 { {Msg::PlanFloorPlans.text(lang)} }
            if plans.is_empty() {
                p { class: "muted", {Msg::PlanNone.text(lang)} }
            } else {
                table { class: "plans",
                    thead { tr {
                        th { {Msg::PlanImage.text(lang)} }
                        th { {Msg::PlanTitle.text(lang)} }
                        th { {Msg::Buildings.text(lang)} }
                        th { {Msg::Floors.text(lang)} }
                        th { {Msg::PlanSize.text(lang)} }
                        th { class: "noprint" }
                    } }
                    tbody {
                        for plan in plans.iter() {
                            tr { id: "plan-{plan.id}",
                                td { a { href: "/photos/{plan.image}", target: "_blank",
                                    img { src: "/photos/{plan.image}", alt: "{plan.name}", width: 120 }
                                } }
                                td { class: "plan-name", "{plan.name}" }
                                td { "{plan.building}" }
                                td { "{plan.floors}" }
                                td { "{plan.size}" }
                                td { class: "noprint",
                                    form { method: "post", action: "/admin/projects/{project}/plans/remove",
                                        input { r#type: "hidden", name: "csrf", value: "{csrf}" }
                                        input { r#type: "hidden", name: "plan", value: "{plan.id}" }
                                        button { r#type: "submit", class: "danger", {Msg::PlanRemove.text(lang)} }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if !buildings.is_empty() {
                form { class: "noprint plan-upload", method: "post",
                    action: "/admin/projects/{project}/plans",
                    enctype: "multipart/form-data",
                    h4 { {Msg::PlanUpload.text(lang)} }
                    p { class: "muted", {Msg::PlanHelp.text(lang)} }
                    input { r#type: "hidden", name: "csrf", value: "{csrf}" }
                    label { {Msg::Buildings.text(lang)} " "
                        select { name: "building",
                            for b in buildings.iter() {
                                option { value: "{b.id}", "{b.name} (1–{b.floors}F)" }
                            }
                        }
                    }
                    " "
                    label { {Msg::PlanFirstFloor.text(lang)} " "
                        input { r#type: "number", name: "first", min: 1, required: true, style: "width:5em" }
                    }
                    " "
                    label { {Msg::PlanLastFloor.text(lang)} " "
                        input { r#type: "number", name: "last", min: 1, required: true, style: "width:5em" }
                    }
                    " "
                    label { {Msg::PlanName.text(lang)} " "
                        input { r#type: "text", name: "name", maxlength: 60 }
                    }
                    " "
                    label { {Msg::PlanFile.text(lang)} " "
                        input { r#type: "file", name: "file", accept: "image/png,image/jpeg", required: true }
                    }
                    " "
                    button { r#type: "submit", {Msg::PlanSubmit.text(lang)} }
                }
            }
        }
    }
}

/// The upload form of one project.
#[component]
fn ImportForm(lang: Lang, csrf: String, project: ProjectId) -> Element {
    let header = COLUMNS.join(",");
    rsx! {
        form { class: "noprint import", method: "post", action: "/admin/projects/{project}/import",
            enctype: "multipart/form-data",
            h3 { {Msg::ImportUnits.text(lang)} }
            p { {Msg::ImportHelp.text(lang)} " " code { "{header}" } }
            input { r#type: "hidden", name: "csrf", value: "{csrf}" }
            input { r#type: "file", name: "file", accept: ".csv,text/csv", required: true }
            " "
            button { r#type: "submit", name: "action", value: "preview", {Msg::Preview.text(lang)} }
            " "
            button { r#type: "submit", name: "action", value: "import", {Msg::Import.text(lang)} }
        }
    }
}

#[derive(Props, Clone, PartialEq)]
struct ProjectsProps {
    lang: Lang,
    csrf: String,
    projects: Vec<ProjectView>,
}

#[allow(non_snake_case)] // a component
fn ProjectsPage(p: ProjectsProps) -> Element {
    let lang = p.lang;
    let sources: Vec<ProjectId> = p.projects.iter().map(|x| x.id.clone()).collect();
    rsx! {
        h1 { {Msg::ProjectsAndUnits.text(lang)} }
        NewProjectSection { lang, csrf: p.csrf.clone(), sources }
        for project in p.projects.iter() {
            section { id: "project-{project.id}",
                h2 { "{project.name} ({project.id})" }
                p { class: "counts",
                    {Msg::Buildings.text(lang)} ": " span { class: "building-count", "{project.buildings.len()}" }
                    " · "
                    {Msg::Units.text(lang)} ": " span { class: "unit-count", "{project.units}" }
                }
                if !project.buildings.is_empty() {
                    table { class: "buildings",
                        thead { tr {
                            th { {Msg::Buildings.text(lang)} }
                            th { {Msg::Floors.text(lang)} }
                            th { {Msg::Units.text(lang)} }
                        } }
                        tbody {
                            for b in project.buildings.iter() {
                                tr { id: "building-{b.id}",
                                    td { "{b.name} ({b.id})" }
                                    td { "{b.floors}" }
                                    td { "{b.units}" }
                                }
                            }
                        }
                    }
                }
                PlansSection {
                    lang,
                    csrf: p.csrf.clone(),
                    project: project.id.clone(),
                    plans: project.plans.clone(),
                    buildings: project.buildings.clone(),
                }
                if !project.workflow.is_empty() {
                    WorkflowSection {
                        lang,
                        csrf: p.csrf.clone(),
                        project: project.id.clone(),
                        rows: project.workflow.clone(),
                    }
                }
                ImportForm { lang, csrf: p.csrf.clone(), project: project.id.clone() }
            }
        }
    }
}

/// `GET /admin/projects`.
pub async fn list(State(state): State<AppState>, admin: Admin) -> Response {
    let lang = admin.lang();
    let projects = match administered(&state, &admin).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let projects = projects
        .iter()
        .map(|(id, p)| view(id, p.as_ref(), lang))
        .collect();
    let body = rsx! {
        ProjectsPage { lang, csrf: admin.staff.csrf.clone(), projects }
    };
    admin.page(StatusCode::OK, Msg::ProjectsAndUnits.text(lang), body)
}

/// What the upload form sent.
#[derive(Debug, Default)]
struct Upload {
    csrf: String,
    action: String,
    file: Vec<u8>,
}

/// Why an upload could not be read.
enum UploadError {
    TooLarge,
    Unreadable,
}

/// Reads a field's bytes, refusing more than `limit`.
async fn read_field(field: &mut Field<'_>, limit: usize) -> Result<Vec<u8>, UploadError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(upload_error)? {
        if bytes.len() + chunk.len() > limit {
            return Err(UploadError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A multipart body that could not be read: too large (the body limit), or broken.
fn upload_error(e: axum::extract::multipart::MultipartError) -> UploadError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::TooLarge
    } else {
        UploadError::Unreadable
    }
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, UploadError> {
    let mut upload = Upload::default();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| UploadError::Unreadable);
    loop {
        let field = multipart.next_field().await.map_err(upload_error)?;
        let Some(mut field) = field else {
            return Ok(upload);
        };
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = text(read_field(&mut field, MAX_FIELD_BYTES).await?)?,
            "action" => upload.action = text(read_field(&mut field, MAX_FIELD_BYTES).await?)?,
            "file" => upload.file = read_field(&mut field, MAX_UPLOAD_BYTES).await?,
            // Another field is read and dropped, within the request's bound.
            _ => {
                read_field(&mut field, MAX_FIELD_BYTES).await?;
            }
        }
    }
}

/// A sentence saying what an import adds (or would add).
fn summary_text(s: &ImportSummary, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "新增 {} 户：新楼栋 {} 栋，原有楼栋增加房屋 {} 栋。",
            s.units_added, s.buildings_added, s.buildings_extended
        ),
        Lang::En => format!(
            "{} units added: {} new buildings, {} existing buildings extended.",
            s.units_added, s.buildings_added, s.buildings_extended
        ),
    }
}

#[derive(Props, Clone, PartialEq)]
struct OutcomeProps {
    lang: Lang,
    csrf: String,
    project: ProjectId,
    /// The headline: previewed, imported or refused.
    headline: String,
    /// The summary of a good file.
    summary: Option<String>,
    /// Every problem of a bad file.
    problems: Vec<ImportError>,
}

#[allow(non_snake_case)] // a component
fn Outcome(p: OutcomeProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::ImportUnits.text(lang)} " · {p.project}" }
        p { id: "outcome", class: if p.problems.is_empty() { "" } else { "error" }, "{p.headline}" }
        if let Some(summary) = &p.summary {
            p { id: "summary", "{summary}" }
        }
        if !p.problems.is_empty() {
            table { id: "problems",
                thead { tr {
                    th { {Msg::Line.text(lang)} }
                    th { {Msg::Problem.text(lang)} }
                } }
                tbody {
                    for e in p.problems.iter() {
                        tr {
                            td { class: "line", {e.line.map(|l| l.to_string()).unwrap_or_default()} }
                            td { "{e.message}" }
                        }
                    }
                }
            }
        }
        ImportForm { lang, csrf: p.csrf.clone(), project: p.project.clone() }
        p { class: "noprint", a { href: "/admin/projects", {Msg::ProjectsAndUnits.text(lang)} } }
    }
}

/// `POST /admin/projects/{project}/import` (multipart: `csrf`, `action` = `preview` or
/// `import`, `file`).
pub async fn import(
    State(state): State<AppState>,
    admin: Admin,
    Path(project): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = admin.lang();
    let too_large = || {
        let m = lang.pick(
            "文件超过 1 MiB，请拆分成几个文件分别导入。没有导入任何数据。",
            "The file is larger than 1 MiB; split it into several files. Nothing was imported.",
        );
        admin.refuse(StatusCode::PAYLOAD_TOO_LARGE, m)
    };
    let unreadable = || {
        let m = lang.pick(
            "上传的表单无法读取，请返回页面重新选择文件。",
            "The upload could not be read; go back and choose the file again.",
        );
        admin.bad_request(m)
    };
    let upload = match multipart {
        Ok(m) => match read_upload(m).await {
            Ok(u) => u,
            Err(UploadError::TooLarge) => return too_large(),
            Err(UploadError::Unreadable) => return unreadable(),
        },
        Err(_) => return unreadable(),
    };
    let project = match admin.posted_to(&upload.csrf, project) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let preview = match upload.action.as_str() {
        "preview" => true,
        "import" => false,
        _ => {
            let m = lang.pick("请选择“预览”或“导入”。", "Choose Preview or Import.");
            return admin.bad_request(m);
        }
    };
    if upload.file.is_empty() {
        let m = lang.pick(
            "请选择要导入的 CSV 文件。",
            "Choose the CSV file to import.",
        );
        return admin.bad_request(m);
    }
    let outcome = |status, headline: &str, summary, problems| {
        let body = rsx! {
            Outcome {
                lang,
                csrf: admin.staff.csrf.clone(),
                project: project.clone(),
                headline: headline.to_owned(),
                summary,
                problems,
            }
        };
        admin.page(status, Msg::ImportUnits.text(lang), body)
    };
    let result = match decode(&upload.file) {
        Ok(text) if preview => preview_import(&state, &project, text).await,
        Ok(text) => import_units(&state, &project, text).await,
        Err(errors) => Err(errors.into()),
    };
    match result {
        Ok(summary) => {
            let headline = if preview {
                Msg::ImportPreviewed
            } else {
                tracing::info!(by = %admin.staff.user, %project, units = summary.units_added, "units imported from the office web");
                Msg::Imported
            };
            outcome(
                StatusCode::OK,
                headline.text(lang),
                Some(summary_text(&summary, lang)),
                Vec::new(),
            )
        }
        Err(e) => match e.downcast::<ImportErrors>() {
            Ok(errors) => outcome(
                StatusCode::BAD_REQUEST,
                Msg::ImportRefused.text(lang),
                None,
                errors.0,
            ),
            Err(e) => internal(e),
        },
    }
}

/// What the plan-upload form sent.
#[derive(Debug, Default)]
struct PlanUpload {
    csrf: String,
    building: String,
    first: String,
    last: String,
    name: String,
    file: Bytes,
}

async fn read_plan_upload(mut multipart: Multipart) -> Result<PlanUpload, UploadError> {
    let mut upload = PlanUpload::default();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| UploadError::Unreadable);
    loop {
        let field = multipart.next_field().await.map_err(upload_error)?;
        let Some(mut field) = field else {
            return Ok(upload);
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file = read_field(&mut field, MAX_PLAN_BYTES as usize)
                .await?
                .into();
            continue;
        }
        // A text field over its bound is a broken form, not a plan file too large.
        let value = read_field(&mut field, MAX_FIELD_BYTES)
            .await
            .map_err(|_| UploadError::Unreadable)?;
        let value = text(value)?;
        match name.as_str() {
            "csrf" => upload.csrf = value,
            "building" => upload.building = value,
            "first" => upload.first = value,
            "last" => upload.last = value,
            "name" => upload.name = value,
            // Another field is read and dropped, within the request's bound.
            _ => {}
        }
    }
}

/// The sentence for a plan the project refuses.
fn plan_error_text(e: &FloorPlanError, lang: Lang) -> String {
    match e {
        FloorPlanError::Floors(FloorRangeError::NoSuchBuilding(_)) => {
            Msg::PlanNoBuilding.text(lang).to_owned()
        }
        FloorPlanError::Floors(FloorRangeError::BadFloors { floors, .. }) => Msg::PlanBadFloors
            .text(lang)
            .replace("{floors}", &floors.to_string()),
        FloorPlanError::BadName => Msg::PlanBadName.text(lang).to_owned(),
        FloorPlanError::BadSize { .. } => Msg::PlanBadPixels.text(lang).to_owned(),
        FloorPlanError::NoSuchPlan(_) => Msg::PlanNoSuchPlan.text(lang).to_owned(),
    }
}

/// Where the page goes after a plan changed: the project's plans.
fn back_to_plans(project: &ProjectId) -> Response {
    Redirect::to(&format!("/admin/projects#plans-{project}")).into_response()
}

/// `POST /admin/projects/{project}/plans` (multipart: `csrf`, `building`, `first`, `last`,
/// `name`, `file`): checks everything, then stores the image and writes the plan; any refusal
/// writes nothing.
pub async fn upload_plan(
    State(state): State<AppState>,
    admin: Admin,
    Path(project): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = admin.lang();
    let refuse = |m: Msg| admin.bad_request(m.text(lang));
    let upload = match multipart {
        Ok(m) => match read_plan_upload(m).await {
            Ok(u) => u,
            // Too large is the person's input, like a wrong type: 400 with the limit named.
            Err(UploadError::TooLarge) => return refuse(Msg::PlanTooLarge),
            Err(UploadError::Unreadable) => return refuse(Msg::PlanUnreadable),
        },
        Err(_) => return refuse(Msg::PlanUnreadable),
    };
    let project = match admin.posted_to(&upload.csrf, project) {
        Ok(p) => p,
        Err(page) => return page,
    };
    if upload.file.is_empty() {
        return refuse(Msg::PlanMissingFile);
    }
    let Ok(building) = BuildingId::new(upload.building.trim()) else {
        return refuse(Msg::PlanNoBuilding);
    };
    // Not a number is answered like a floor outside the building: `0` is never a floor.
    let floor = |v: &str| v.trim().parse::<u32>().unwrap_or(0);
    let new = NewPlan {
        building,
        floors: FloorRange {
            first: floor(&upload.first),
            last: floor(&upload.last),
        },
        name: upload.name,
        image: upload.file,
    };
    match add_plan(&state, &project, new).await {
        Ok(plan) => {
            tracing::info!(by = %admin.staff.user, %project, plan = %plan.id, image = %plan.image, plan.width, plan.height, "floor plan uploaded");
            back_to_plans(&project)
        }
        Err(e @ (AddPlanError::Image(_) | AddPlanError::Plan(_))) => {
            tracing::warn!(by = %admin.staff.user, %project, error = %e, "floor plan refused; nothing stored");
            match e {
                AddPlanError::Image(PlanImageError::NotAnImage) => refuse(Msg::PlanNotImage),
                AddPlanError::Image(PlanImageError::NoSize(_)) => refuse(Msg::PlanDamaged),
                AddPlanError::Plan(e) => admin.bad_request(&plan_error_text(&e, lang)),
                _ => internal(e),
            }
        }
        Err(AddPlanError::NoSuchProject(_)) => admin.not_found(),
        Err(AddPlanError::Other(e)) => internal(e),
    }
}

/// The remove form of a plan.
#[derive(Debug, Deserialize)]
pub struct RemovePlanForm {
    csrf: String,
    plan: String,
}

posted_with_csrf_field!(RemovePlanForm);

/// `POST /admin/projects/{project}/plans/remove` (`csrf`, `plan`). The image blob stays: pins
/// already made on it keep pointing at it.
pub async fn remove_plan(
    State(state): State<AppState>,
    admin: Admin,
    Path(project): Path<String>,
    form: Result<Form<RemovePlanForm>, FormRejection>,
) -> Response {
    let (form, project) = match admin.project_form(form, project) {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let lang = admin.lang();
    let Ok(id) = FloorPlanId::new(form.plan.trim()) else {
        return admin.bad_request(Msg::PlanNoSuchPlan.text(lang));
    };
    match edit_project(&state, &project, |p| p.remove_floor_plan(&id)).await {
        Ok(plan) => {
            tracing::info!(by = %admin.staff.user, %project, plan = %plan.id, "floor plan removed");
            back_to_plans(&project)
        }
        Err(ProjectEditError::Refused(e)) => admin.bad_request(&plan_error_text(&e, lang)),
        Err(ProjectEditError::NoSuchProject(_)) => admin.not_found(),
        Err(ProjectEditError::Other(e)) => internal(e),
    }
}
