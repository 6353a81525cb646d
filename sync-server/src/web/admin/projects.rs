//! `/admin/projects`: each administered project's buildings and units, and importing more from
//! a CSV file.
//!
//! The upload goes through the same checks as `plumbline-sync-server admin import-units`
//! ([`crate::import`] for the format, [`crate::admin::import_units`] for the write): every bad
//! row is listed with its line number and then nothing is imported. "Preview" runs every check
//! and says what the import would add without writing anything; "Import" checks again and
//! writes. The web takes files of at most [`MAX_UPLOAD_BYTES`] (the command line takes larger
//! ones): a browser upload is held in memory, and a file of a few thousand units is far smaller.

use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;

use super::Admin;
use super::users::administered;
use crate::admin::{import_units, preview_import};
use crate::import::{COLUMNS, ImportError, ImportErrors, ImportSummary, decode};
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;

/// The largest CSV file the web takes (1 MiB).
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// The largest upload request: the file, the token and the multipart framing.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;
/// The longest value of a form field other than the file.
const MAX_FIELD_BYTES: usize = 256;

/// One building as the page lists it.
#[derive(Debug, Clone, PartialEq)]
struct BuildingRow {
    id: String,
    name: String,
    floors: u32,
    units: usize,
}

/// One project as the page shows it.
#[derive(Debug, Clone, PartialEq)]
struct ProjectView {
    id: ProjectId,
    name: String,
    buildings: Vec<BuildingRow>,
    units: usize,
}

fn view(id: &ProjectId, project: Option<&Project>, lang: Lang) -> ProjectView {
    let Some(p) = project else {
        return ProjectView {
            id: id.clone(),
            name: id.to_string(),
            buildings: Vec::new(),
            units: 0,
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
    rsx! {
        h1 { {Msg::ProjectsAndUnits.text(lang)} }
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
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge
        } else {
            UploadError::Unreadable
        }
    })? {
        if bytes.len() + chunk.len() > limit {
            return Err(UploadError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, UploadError> {
    let mut upload = Upload::default();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| UploadError::Unreadable);
    loop {
        let field = multipart.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                UploadError::TooLarge
            } else {
                UploadError::Unreadable
            }
        })?;
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
    if let Some(refused) = admin.staff.csrf_refusal(&upload.csrf) {
        return refused;
    }
    let Some(project) = ProjectId::new(project)
        .ok()
        .filter(|p| admin.administers(p))
    else {
        return admin.not_found();
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
