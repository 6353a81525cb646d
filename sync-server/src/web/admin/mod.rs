//! Administration in the office web, under `/admin`: the people and their roles, their devices,
//! enrollment codes, projects' buildings and units, and the checklist template.
//!
//! Only administrators (`Role::Admin`, 管理员) come in. The [`Admin`] extractor lets through a
//! signed-in person who holds the admin role in at least one project and answers anyone else
//! with 403 and a page that says so, whatever links the pages show. An administrator administers
//! the projects where they hold that role ([`Admin::projects`]): they see the users with a role
//! in one of those projects and those users' devices, and grant roles and import units there
//! only. Roles are per project, so an administrator of one project has no say over another's.
//!
//! The actions reuse the library functions behind `plumbline-sync-server admin`
//! ([`crate::account_admin`], [`crate::unit_import`]) and the store, so the web and the command line follow the same rules;
//! the pages add the checks a form needs (the CSRF token, bounded and validated fields, a
//! sentence in the person's language) and change nothing when any check fails.
//!
//! - [`users`]: users and their roles per project; add a user, change a role.
//! - [`devices`]: enrolled devices per user; revoke one.
//! - [`enrollment`]: a one-time enrollment code as text and as a QR code.
//! - [`projects`]: buildings and units of each project; import units from CSV, with a preview;
//!   floor plans, uploaded and removed.
//! - [`templates`]: the residential checklist template, read-only.

pub mod devices;
pub mod enrollment;
pub mod project_new;
pub mod projects;
pub mod templates;
pub mod users;
pub mod webhooks;
pub mod workflow;

use axum::Form;
use axum::extract::FromRequestParts;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::role::Role;

use super::i18n::{Lang, Msg};
use super::layout::{message_page, render};
use super::posted::Posted;
use super::route_table::WebRoute;
use super::session::Staff;
use crate::state::AppState;

/// The largest body of an administration form other than the CSV upload: a few short fields.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The administration routes, to be nested under `/admin`.
pub fn routes() -> Vec<WebRoute> {
    let at = WebRoute::at;
    vec![
        at("/").get(|| async { Redirect::to("/admin/users") }),
        at("/users")
            .get(users::list)
            .post(users::add)
            .limit(MAX_FORM_BYTES),
        at("/users/{user}/role")
            .post(users::change_role)
            .limit(MAX_FORM_BYTES),
        at("/users/{user}/code")
            .post(enrollment::create)
            .limit(MAX_FORM_BYTES),
        at("/devices").get(devices::list),
        at("/devices/{device}/revoke")
            .post(devices::revoke)
            .limit(MAX_FORM_BYTES),
        at("/projects").get(projects::list),
        at("/projects/new")
            .post(project_new::create)
            .limit(MAX_FORM_BYTES),
        at("/projects/{project}/import")
            .post(projects::import)
            .limit(projects::MAX_UPLOAD_BODY_BYTES),
        at("/projects/{project}/plans")
            .post(projects::upload_plan)
            .limit(projects::MAX_PLAN_BODY_BYTES),
        at("/projects/{project}/workflow")
            .post(workflow::save)
            .limit(MAX_FORM_BYTES),
        at("/projects/{project}/plans/remove")
            .post(projects::remove_plan)
            .limit(MAX_FORM_BYTES),
        at("/templates").get(templates::show),
        at("/webhooks").get(webhooks::list),
        at("/projects/{project}/webhook")
            .post(webhooks::set)
            .limit(MAX_FORM_BYTES),
    ]
}

/// A signed-in administrator: the person, and the projects they administer (never empty).
#[derive(Debug, Clone)]
pub struct Admin {
    /// The person.
    pub staff: Staff,
    /// The projects where they hold the admin role, in the order of their memberships.
    pub projects: Vec<ProjectId>,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let staff = Staff::from_request_parts(parts, state).await?;
        let projects: Vec<ProjectId> = staff
            .memberships
            .iter()
            .filter(|m| m.role == Role::Admin)
            .map(|m| m.project.clone())
            .collect();
        if projects.is_empty() {
            tracing::warn!(user = %staff.user, path = %parts.uri.path(), "administration refused: not an administrator");
            return Err(message_page(
                StatusCode::FORBIDDEN,
                staff.lang,
                Msg::AdminOnly.text(staff.lang),
                Some(staff.top_bar()),
            ));
        }
        Ok(Admin { staff, projects })
    }
}

impl Admin {
    /// The page language.
    pub fn lang(&self) -> Lang {
        self.staff.lang
    }

    /// Whether they administer `project`.
    pub fn administers(&self, project: &ProjectId) -> bool {
        self.projects.contains(project)
    }

    /// The project of a form posted to a project's page: the form token checks out and the
    /// project is one they administer. `Err` is the page to answer with (403 for a wrong
    /// token, 404 for a project that is not theirs, so it is not told whether it exists).
    #[allow(clippy::result_large_err)] // the error is the page to answer with
    pub fn posted_to(&self, csrf: &str, project: String) -> Result<ProjectId, Response> {
        if let Some(refused) = self.staff.csrf_refusal(csrf) {
            return Err(refused);
        }
        ProjectId::new(project)
            .ok()
            .filter(|p| self.administers(p))
            .ok_or_else(|| self.not_found())
    }

    /// A form posted to one of their projects' pages, read, its token checked and the project
    /// one they administer; `Err` is the page to answer with (see [`Admin::unreadable`] and
    /// [`Admin::posted_to`]).
    #[allow(clippy::result_large_err)] // the error is the page to answer with
    pub fn project_form<T: Posted>(
        &self,
        form: Result<Form<T>, FormRejection>,
        project: String,
    ) -> Result<(T, ProjectId), Response> {
        let Form(form) = form.map_err(|rejection| self.unreadable(&rejection))?;
        let project = self.posted_to(form.csrf(), project)?;
        Ok((form, project))
    }

    /// A form posted to an administration page, read and its token checked; `Err` is the page
    /// to answer with.
    #[allow(clippy::result_large_err)] // the error is the page to answer with
    pub fn form<T: Posted>(&self, form: Result<Form<T>, FormRejection>) -> Result<T, Response> {
        let Form(form) = form.map_err(|rejection| self.unreadable(&rejection))?;
        if let Some(refused) = self.staff.csrf_refusal(form.csrf()) {
            return Err(refused);
        }
        Ok(form)
    }

    /// Whether a user with these memberships is someone they administer: a person with a role
    /// in one of their projects.
    pub fn oversees(&self, memberships: &[crate::store::Membership]) -> bool {
        memberships.iter().any(|m| self.administers(&m.project))
    }

    /// A page that says what was wrong, with `status`; nothing was changed.
    pub fn refuse(&self, status: StatusCode, text: &str) -> Response {
        message_page(status, self.lang(), text, Some(self.staff.top_bar()))
    }

    /// 400: the form's content is wrong; nothing was changed.
    pub fn bad_request(&self, text: &str) -> Response {
        self.refuse(StatusCode::BAD_REQUEST, text)
    }

    /// 404 for a user, device or project that does not exist or is not theirs to see (the two
    /// are answered alike, so the pages never tell what other projects hold).
    pub fn not_found(&self) -> Response {
        self.refuse(StatusCode::NOT_FOUND, Msg::NotFound.text(self.lang()))
    }

    /// The answer to a form that could not be read: too large, or not a form.
    pub fn unreadable(&self, rejection: &FormRejection) -> Response {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let m = self.lang().pick(
                "表单内容过长，请缩短后重新提交。",
                "The form is too long; shorten it and submit it again.",
            );
            return self.refuse(StatusCode::PAYLOAD_TOO_LARGE, m);
        }
        let m = self.lang().pick(
            "表单无法读取，请返回页面重新填写。",
            "The form could not be read; go back and fill it in again.",
        );
        self.bad_request(m)
    }

    /// An administration page: the shell, the section links, then `body`.
    pub fn page(&self, status: StatusCode, title: &str, body: Element) -> Response {
        let lang = self.lang();
        let inner = rsx! {
            AdminNav { lang }
            {body}
        };
        (
            status,
            render(lang, title, Some(self.staff.top_bar()), inner),
        )
            .into_response()
    }
}

/// The links between the administration sections.
#[component]
fn AdminNav(lang: Lang) -> Element {
    rsx! {
        nav { class: "admin noprint",
            strong { {Msg::Admin.text(lang)} }
            " · "
            a { href: "/admin/users", {Msg::UsersAndRoles.text(lang)} }
            " · "
            a { href: "/admin/devices", {Msg::Devices.text(lang)} }
            " · "
            a { href: "/admin/projects", {Msg::ProjectsAndUnits.text(lang)} }
            " · "
            a { href: "/admin/templates", {Msg::ChecklistTemplate.text(lang)} }
            " · "
            a { href: "/admin/webhooks", {Msg::Webhooks.text(lang)} }
        }
    }
}

/// A role's name for people.
pub fn role_label(role: Role, lang: Lang) -> &'static str {
    lang.pick(role.label_zh(), role.label_en())
}
