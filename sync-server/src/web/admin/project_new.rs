//! `POST /admin/projects/new`: an administrator creates a project (新建项目) from the projects
//! page, through [`crate::project_create`], the same checks as `admin create-project`. The
//! administrator is made an administrator of the new project, whose buildings and units then
//! come in through the page's units CSV import.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::ProjectId;
use serde::Deserialize;

use super::Admin;
use crate::project_create::{CreateError, MAX_NAME_CHARS, NewProject, create_project};
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;

/// What the form sent.
#[derive(Debug, Deserialize)]
pub struct NewProjectForm {
    csrf: String,
    id: String,
    name_zh: String,
    name_en: String,
    /// A project id, or empty for none.
    #[serde(default)]
    contractors_from: String,
}

posted_with_csrf_field!(NewProjectForm);

/// What the form needs.
#[derive(Props, Clone, PartialEq, Debug)]
pub struct NewProjectProps {
    /// The page language.
    pub lang: Lang,
    /// The person's form token.
    pub csrf: String,
    /// The projects whose contractor companies the new one may engage.
    pub sources: Vec<ProjectId>,
}

/// The form, at the top of the projects page.
#[allow(non_snake_case)] // a component
pub fn NewProjectSection(p: NewProjectProps) -> Element {
    let lang = p.lang;
    rsx! {
        section { id: "new-project",
            h2 { {Msg::NewProject.text(lang)} }
            form { method: "post", action: "/admin/projects/new", class: "note-form",
                input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                label { {lang.pick("项目编号", "Project id")}
                    input { name: "id", required: true, maxlength: 64, pattern: "[a-z0-9-]+", placeholder: "licheng-2" }
                }
                label { {lang.pick("中文名称", "Chinese name")}
                    input { name: "name_zh", required: true, maxlength: MAX_NAME_CHARS as i64, placeholder: "郦城二期" }
                }
                label { {lang.pick("英文名称", "English name")}
                    input { name: "name_en", required: true, maxlength: MAX_NAME_CHARS as i64, placeholder: "Licheng II" }
                }
                label { {lang.pick("沿用承包单位", "Contractor companies of")}
                    select { name: "contractors_from",
                        option { value: "", {lang.pick("（无）", "(none)")} }
                        for s in p.sources.iter() { option { value: "{s}", "{s}" } }
                    }
                }
                button { r#type: "submit", {Msg::NewProject.text(lang)} }
            }
            p { class: "hint", {Msg::NewProjectHelp.text(lang)} }
        }
    }
}

/// `POST /admin/projects/new`.
pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    form: Result<Form<NewProjectForm>, FormRejection>,
) -> Response {
    let form = match admin.form(form) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let lang = admin.lang();
    let Ok(id) = ProjectId::new(form.id.trim()) else {
        return admin.bad_request(lang.pick(
            "项目编号只能由小写字母、数字和短横线组成。",
            "A project id may hold only lowercase letters, digits and dashes.",
        ));
    };
    let contractors_from = match form.contractors_from.trim() {
        "" => None,
        source => match ProjectId::new(source) {
            // Only a project this administrator administers lends its companies.
            Ok(p) if admin.administers(&p) => Some(p),
            _ => {
                return admin.bad_request(lang.pick(
                    "沿用承包单位的项目无效。",
                    "The project to take contractor companies from is not valid.",
                ));
            }
        },
    };
    let new = NewProject {
        id,
        name_zh: form.name_zh,
        name_en: form.name_en,
        contractors_from,
        units_csv: None,
    };
    match create_project(&state, new, Some(&admin.staff.user)).await {
        Ok(project) => {
            Redirect::to(&format!("/admin/projects#project-{}", project.id)).into_response()
        }
        Err(CreateError::Internal(e)) => internal(e),
        Err(e) => admin.bad_request(&refusal_text(&e, lang)),
    }
}

/// A refusal in the page's language.
fn refusal_text(e: &CreateError, lang: Lang) -> String {
    match e {
        CreateError::Exists(id) => lang
            .pick(&format!("已有项目“{id}”，请换一个编号。"), &e.to_string())
            .to_owned(),
        CreateError::Name { .. } => lang
            .pick(
                &format!("项目名称不能为空，最多 {MAX_NAME_CHARS} 个字，且不得含不可见控制字符。"),
                &e.to_string(),
            )
            .to_owned(),
        _ => e.to_string(),
    }
}
