//! `/admin/users`: the people with a role in the administrator's projects, their roles per
//! project, adding a person, and changing (or granting) a role.
//!
//! A new account's login name is what people type on the sign-in page, which lower-cases it, so
//! the name is kept in lower case. A contractor account names its company, one of the project's
//! contractors; no other role has one. Administrators cannot change their own role: that is how
//! a project would lose its last administrator, and the command line
//! (`plumbline-sync-server admin grant`) remains for that rare case.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::{ContractorId, ProjectId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use serde::Deserialize;

use super::{Admin, role_label};
use crate::account_admin::{add_user, grant};
use crate::project_read::load_project;
use crate::state::AppState;
use crate::store::{Membership, StoreError, UserInfo};
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;

/// Shortest login name.
pub const MIN_LOGIN_CHARS: usize = 2;
/// Longest login name (the sign-in form takes up to 64; shorter names are kinder to type).
pub const MAX_LOGIN_CHARS: usize = 32;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Shortest initial password, in characters (as `admin add-user` requires).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in characters (the sign-in form takes no more).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A project the administrator administers, with its contractors for the company choice.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ProjectChoice {
    pub id: ProjectId,
    pub name: String,
    pub contractors: Vec<(ContractorId, String)>,
}

/// The administrator's projects as their documents hold them now.
pub(super) async fn administered(
    state: &AppState,
    admin: &Admin,
) -> anyhow::Result<Vec<(ProjectId, Option<Project>)>> {
    let mut out = Vec::with_capacity(admin.projects.len());
    for id in &admin.projects {
        out.push((id.clone(), load_project(state, id).await?));
    }
    Ok(out)
}

fn choices(projects: &[(ProjectId, Option<Project>)], lang: Lang) -> Vec<ProjectChoice> {
    projects
        .iter()
        .map(|(id, p)| ProjectChoice {
            id: id.clone(),
            name: p.as_ref().map_or_else(
                || id.to_string(),
                |p| lang.pick(&p.name_zh, &p.name_en).to_owned(),
            ),
            contractors: p
                .iter()
                .flat_map(|p| p.contractors.iter())
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect(),
        })
        .collect()
}

#[derive(Props, Clone, PartialEq)]
struct UsersProps {
    lang: Lang,
    csrf: String,
    me: UserId,
    users: Vec<UserInfo>,
    projects: Vec<ProjectChoice>,
}

/// The project, role and company fields, shared by both forms.
#[component]
fn MembershipFields(lang: Lang, projects: Vec<ProjectChoice>, role: Option<Role>) -> Element {
    rsx! {
        label { {Msg::Project.text(lang)} " "
            select { name: "project",
                for p in projects.iter() {
                    option { value: "{p.id}", "{p.name}" }
                }
            }
        }
        " "
        label { {Msg::Role.text(lang)} " "
            select { name: "role",
                for r in Role::ALL {
                    option { value: "{r.as_str()}", selected: Some(r) == role, {role_label(r, lang)} }
                }
            }
        }
        " "
        label { {Msg::ContractorCompany.text(lang)} " "
            select { name: "contractor",
                option { value: "", {Msg::NoCompany.text(lang)} }
                for p in projects.iter() {
                    for (id, name) in p.contractors.iter() {
                        option { value: "{id}", "{name}" }
                    }
                }
            }
        }
    }
}

#[allow(non_snake_case)] // a component
fn UsersPage(p: UsersProps) -> Element {
    let lang = p.lang;
    let project_name = |id: &ProjectId| {
        p.projects
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    rsx! {
        h1 { {Msg::UsersAndRoles.text(lang)} }
        if p.users.is_empty() {
            p { {Msg::NoUsers.text(lang)} }
        } else {
            table { id: "users",
                thead { tr {
                    th { {Msg::Login.text(lang)} }
                    th { {Msg::DisplayName.text(lang)} }
                    th { {Msg::RolesByProject.text(lang)} }
                    th { class: "noprint", {Msg::ChangeRole.text(lang)} }
                    th { class: "noprint", {Msg::EnrollmentCode.text(lang)} }
                } }
                tbody {
                    for u in p.users.iter() {
                        tr { id: "user-{u.user}",
                            td { "{u.user}" }
                            td { "{u.display_name}" }
                            td { class: "roles",
                                for m in u.memberships.iter().filter(|m| p.projects.iter().any(|c| c.id == m.project)) {
                                    div {
                                        {project_name(&m.project)} ": " {role_label(m.role, lang)}
                                        if let Some(c) = &m.contractor { " ({c})" }
                                    }
                                }
                            }
                            td { class: "noprint",
                                if u.user != p.me {
                                    form { method: "post", action: "/admin/users/{u.user}/role",
                                        input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                        MembershipFields { lang, projects: p.projects.clone(), role: u.memberships.first().map(|m| m.role) }
                                        " "
                                        button { r#type: "submit", {Msg::Save.text(lang)} }
                                    }
                                }
                            }
                            td { class: "noprint",
                                form { method: "post", action: "/admin/users/{u.user}/code",
                                    input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                    button { r#type: "submit", {Msg::CreateCode.text(lang)} }
                                }
                            }
                        }
                    }
                }
            }
        }
        form { class: "noprint", method: "post", action: "/admin/users", id: "add-user",
            h2 { {Msg::AddUser.text(lang)} }
            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
            p {
                label { {Msg::Login.text(lang)} " "
                    input { name: "login", required: true, maxlength: MAX_LOGIN_CHARS as i64, pattern: "[a-z][a-z0-9._\\-]+", autocomplete: "off" }
                }
                " "
                label { {Msg::DisplayName.text(lang)} " "
                    input { name: "display_name", required: true, maxlength: MAX_NAME_CHARS as i64 }
                }
                " "
                label { {Msg::InitialPassword.text(lang)} " "
                    input { name: "password", r#type: "password", required: true, minlength: MIN_PASSWORD_CHARS as i64, maxlength: MAX_PASSWORD_CHARS as i64, autocomplete: "new-password" }
                }
            }
            p {
                MembershipFields { lang, projects: p.projects.clone(), role: None }
            }
            button { r#type: "submit", {Msg::AddUser.text(lang)} }
        }
    }
}

/// `GET /admin/users`.
pub async fn list(State(state): State<AppState>, admin: Admin) -> Response {
    let lang = admin.lang();
    let projects = match administered(&state, &admin).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let users = match state.store.users().await {
        Ok(all) => all
            .into_iter()
            .filter(|u| admin.oversees(&u.memberships))
            .collect(),
        Err(e) => return internal(e),
    };
    let body = rsx! {
        UsersPage {
            lang,
            csrf: admin.staff.csrf.clone(),
            me: admin.staff.user.clone(),
            users,
            projects: choices(&projects, lang),
        }
    };
    admin.page(StatusCode::OK, Msg::UsersAndRoles.text(lang), body)
}

/// The sentence for a bad login name, or the name (trimmed, in lower case).
pub fn login_name(text: &str, lang: Lang) -> Result<UserId, &'static str> {
    let login = text.trim().to_lowercase();
    let chars = login.chars().count();
    let well_formed = login.starts_with(|c: char| c.is_ascii_lowercase())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(MIN_LOGIN_CHARS..=MAX_LOGIN_CHARS).contains(&chars) || !well_formed {
        return Err(lang.pick(
            "账号须为 2 到 32 个字符：小写字母开头，只用小写字母、数字、“.”、“_”或“-”。",
            "A login has 2 to 32 characters: a lower-case letter first, then only lower-case \
             letters, digits, '.', '_' or '-'.",
        ));
    }
    UserId::new(login).map_err(|_| lang.pick("账号格式不正确。", "The login is not valid."))
}

/// The sentence for a bad display name, or the name (trimmed).
pub fn display_name(text: &str, lang: Lang) -> Result<String, &'static str> {
    let name = text.trim();
    if name.is_empty() {
        return Err(lang.pick("请填写姓名。", "Write the person's name."));
    }
    if name.chars().count() > MAX_NAME_CHARS
        || name
            .chars()
            .any(plumbline_shared::doc::bounds::invisible_in_a_line)
    {
        return Err(lang.pick(
            "姓名最多 64 个字符，且只占一行。",
            "A name has at most 64 characters, on one line.",
        ));
    }
    Ok(name.to_owned())
}

/// The sentence for an initial password that is too short or too long.
pub fn password(text: &str, lang: Lang) -> Result<(), &'static str> {
    let n = text.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(lang.pick(
            "初始密码须为 8 到 256 个字符。",
            "The initial password needs 8 to 256 characters.",
        ));
    }
    Ok(())
}

/// The project, role and company of a form as a membership the administrator may grant, or
/// the page that refuses it.
async fn membership(
    state: &AppState,
    admin: &Admin,
    project: &str,
    role: &str,
    contractor: &str,
) -> Result<Membership, Response> {
    let lang = admin.lang();
    let project = ProjectId::new(project.trim()).ok();
    let Some(project) = project.filter(|p| admin.administers(p)) else {
        let m = lang.pick(
            "请选择您管理的项目。",
            "Choose one of the projects you administer.",
        );
        return Err(admin.bad_request(m));
    };
    let Some(role) = Role::parse(role.trim()) else {
        return Err(admin.bad_request(lang.pick("请选择角色。", "Choose a role.")));
    };
    let contractor = contractor.trim();
    if role != Role::Contractor {
        if !contractor.is_empty() {
            let m = lang.pick(
                "只有施工单位账号需要选择施工单位；其他角色请选“无”。",
                "Only contractor accounts have a company; choose “none” for other roles.",
            );
            return Err(admin.bad_request(m));
        }
        return Ok(Membership {
            project,
            role,
            contractor: None,
        });
    }
    let known = match load_project(state, &project).await {
        Ok(p) => p,
        Err(e) => return Err(internal(e)),
    };
    let company = ContractorId::new(contractor)
        .ok()
        .filter(|c| known.as_ref().is_some_and(|p| p.contractor(c).is_some()));
    let Some(company) = company else {
        let m = lang.pick(
            "施工单位账号须选择该项目的一家施工单位。",
            "A contractor account needs one of the project's contractor companies.",
        );
        return Err(admin.bad_request(m));
    };
    Ok(Membership {
        project,
        role,
        contractor: Some(company),
    })
}

/// The form that adds a user.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    contractor: String,
}

posted_with_csrf_field!(AddForm);

fn exists(admin: &Admin, user: &UserId) -> Response {
    let m = match admin.lang() {
        Lang::Zh => {
            format!("账号 {user} 已存在，请换一个账号名；要给该用户另一个角色，请在列表中更改。")
        }
        Lang::En => format!(
            "The login {user} is taken; choose another, or change that user's role in the list."
        ),
    };
    admin.refuse(StatusCode::CONFLICT, &m)
}

/// `POST /admin/users`: adds a user with a role in one of the administrator's projects.
pub async fn add(
    State(state): State<AppState>,
    admin: Admin,
    form: Result<Form<AddForm>, FormRejection>,
) -> Response {
    let form = match admin.form(form) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let lang = admin.lang();
    let user = match login_name(&form.login, lang) {
        Ok(u) => u,
        Err(m) => return admin.bad_request(m),
    };
    let name = match display_name(&form.display_name, lang) {
        Ok(n) => n,
        Err(m) => return admin.bad_request(m),
    };
    if let Err(m) = password(&form.password, lang) {
        return admin.bad_request(m);
    }
    let membership =
        match membership(&state, &admin, &form.project, &form.role, &form.contractor).await {
            Ok(m) => m,
            Err(page) => return page,
        };
    match state.store.user(&user).await {
        Ok(Some(_)) => return exists(&admin, &user),
        Ok(None) => {}
        Err(e) => return internal(e),
    }
    let role = membership.role;
    let project = membership.project.clone();
    match add_user(&state, &user, &name, Some(&form.password), membership).await {
        Ok(_) => {
            tracing::info!(by = %admin.staff.user, %user, role = role.as_str(), %project, "user added from the office web");
            Redirect::to(&format!("/admin/users#user-{user}")).into_response()
        }
        // Two administrators adding the same name at once: the store keeps the first.
        Err(e)
            if matches!(
                e.downcast_ref::<StoreError>(),
                Some(StoreError::Conflict(_))
            ) =>
        {
            exists(&admin, &user)
        }
        Err(e) => internal(e),
    }
}

/// The form that changes or grants a role.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    contractor: String,
}

posted_with_csrf_field!(RoleForm);

/// `POST /admin/users/{user}/role`: gives a user a role in one of the administrator's projects
/// (replacing the role they had there, if any).
pub async fn change_role(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
    form: Result<Form<RoleForm>, FormRejection>,
) -> Response {
    let form = match admin.form(form) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let lang = admin.lang();
    let Ok(user) = UserId::new(user) else {
        return admin.not_found();
    };
    match state.store.user(&user).await {
        Ok(Some((_, memberships))) if admin.oversees(&memberships) => {}
        Ok(_) => return admin.not_found(),
        Err(e) => return internal(e),
    }
    if user == admin.staff.user {
        let m = lang.pick(
            "不能更改自己的角色，以免项目失去管理员；请另一位管理员操作。",
            "You cannot change your own role (a project could lose its last administrator); \
             ask another administrator.",
        );
        return admin.bad_request(m);
    }
    let m = match membership(&state, &admin, &form.project, &form.role, &form.contractor).await {
        Ok(m) => m,
        Err(page) => return page,
    };
    match grant(&state, &user, &m.project, m.role, m.contractor.clone()).await {
        Ok(()) => {
            tracing::info!(by = %admin.staff.user, %user, role = m.role.as_str(), project = %m.project, "role changed from the office web");
            Redirect::to(&format!("/admin/users#user-{user}")).into_response()
        }
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn login_names_are_lower_case_and_typeable() {
        assert_eq!(login_name(" WangLi ", Lang::En).unwrap().as_str(), "wangli");
        assert_eq!(
            login_name("li.qiang-2", Lang::En).unwrap().as_str(),
            "li.qiang-2"
        );
        for bad in ["", "a", "2li", "wang li", "王丽", "a:b", &"x".repeat(33)] {
            assert!(login_name(bad, Lang::Zh).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_passwords_are_bounded() {
        assert_eq!(display_name(" 王丽 ", Lang::Zh).unwrap(), "王丽");
        assert!(display_name("  ", Lang::En).is_err());
        assert!(display_name("a\nb", Lang::En).is_err());
        assert!(
            display_name("王\u{202E}丽", Lang::En).is_err(),
            "a right-to-left override"
        );
        assert!(display_name(&"名".repeat(65), Lang::En).is_err());
        assert!(password("1234567", Lang::En).is_err());
        assert!(password("12345678", Lang::En).is_ok());
        assert!(password(&"p".repeat(257), Lang::En).is_err());
    }
}
