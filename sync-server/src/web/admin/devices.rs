//! `/admin/devices`: the devices enrolled by the people of the administrator's projects, and
//! revoking one.
//!
//! Revoking uses the same store call as `plumbline-sync-server admin revoke`: the device's token
//! is looked up on every request, so its very next sync is refused. A revoked device stays in
//! the list with the time it was revoked; revoking it again changes nothing and says so. The
//! last-seen time is what the server has written down so far (it records it in batches), so a
//! device that synced a moment ago may show an earlier time.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::{DeviceId, UserId};
use serde::Deserialize;

use super::Admin;
use crate::state::AppState;
use crate::store::DeviceInfo;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;
use crate::web::when::beijing;

/// A person and their devices.
#[derive(Debug, Clone, PartialEq)]
struct PersonDevices {
    user: UserId,
    name: String,
    devices: Vec<DeviceInfo>,
}

#[derive(Props, Clone, PartialEq)]
struct DevicesProps {
    lang: Lang,
    csrf: String,
    people: Vec<PersonDevices>,
}

#[allow(non_snake_case)] // a component
fn DevicesPage(p: DevicesProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::Devices.text(lang)} }
        if p.people.is_empty() {
            p { {Msg::NoDevices.text(lang)} }
        } else {
            table { id: "devices",
                thead { tr {
                    th { {Msg::DisplayName.text(lang)} }
                    th { {Msg::DeviceName.text(lang)} }
                    th { {Msg::DeviceId.text(lang)} }
                    th { {Msg::Enrolled.text(lang)} }
                    th { {Msg::LastSeen.text(lang)} }
                    th { {Msg::Status.text(lang)} }
                    th { class: "noprint", "" }
                } }
                tbody {
                    for person in p.people.iter() {
                        for d in person.devices.iter() {
                            tr { id: "device-{d.device}",
                                td { "{person.name} ({person.user})" }
                                td { "{d.name}" }
                                td { code { "{d.device}" } }
                                td { {beijing(d.created_at)} }
                                td { {d.last_seen.map_or_else(|| Msg::NeverSeen.text(lang).to_owned(), beijing)} }
                                td { class: "device-status",
                                    match d.revoked_at {
                                        Some(t) => rsx! { {Msg::Revoked.text(lang)} " " {beijing(t)} },
                                        None => rsx! { {Msg::Active.text(lang)} },
                                    }
                                }
                                td { class: "noprint",
                                    if d.revoked_at.is_none() {
                                        form { method: "post", action: "/admin/devices/{d.device}/revoke",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            button { r#type: "submit", {Msg::Revoke.text(lang)} }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin/devices`.
pub async fn list(State(state): State<AppState>, admin: Admin) -> Response {
    let lang = admin.lang();
    let users = match state.store.users().await {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let devices = match state.store.devices().await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let mut by_user: BTreeMap<UserId, Vec<DeviceInfo>> = BTreeMap::new();
    for d in devices {
        by_user.entry(d.user.clone()).or_default().push(d);
    }
    let people: Vec<PersonDevices> = users
        .into_iter()
        .filter(|u| admin.oversees(&u.memberships))
        .filter_map(|u| {
            by_user.remove(&u.user).map(|devices| PersonDevices {
                user: u.user,
                name: u.display_name,
                devices,
            })
        })
        .collect();
    let body = rsx! {
        DevicesPage { lang, csrf: admin.staff.csrf.clone(), people }
    };
    admin.page(StatusCode::OK, Msg::Devices.text(lang), body)
}

/// A form with only its token.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

posted_with_csrf_field!(RevokeForm);

/// `POST /admin/devices/{device}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    admin: Admin,
    Path(device): Path<String>,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Response {
    if let Err(page) = admin.form(form) {
        return page;
    }
    let Ok(device) = DeviceId::new(device) else {
        return admin.not_found();
    };
    let found = match state.store.devices().await {
        Ok(all) => all.into_iter().find(|d| d.device == device),
        Err(e) => return internal(e),
    };
    let Some(found) = found else {
        return admin.not_found();
    };
    match state.store.user(&found.user).await {
        Ok(Some((_, memberships))) if admin.oversees(&memberships) => {}
        Ok(_) => return admin.not_found(),
        Err(e) => return internal(e),
    }
    if let Some(at) = found.revoked_at {
        let m = match admin.lang() {
            Lang::Zh => format!(
                "设备“{}”已于 {} 注销，无需再次注销。",
                found.name,
                beijing(at)
            ),
            Lang::En => format!(
                "The device “{}” was already revoked at {}; nothing changed.",
                found.name,
                beijing(at)
            ),
        };
        return admin.refuse(StatusCode::CONFLICT, &m);
    }
    match crate::account_admin::revoke(&state, &device).await {
        Ok(()) => {
            tracing::info!(by = %admin.staff.user, %device, user = %found.user, "device revoked from the office web");
            Redirect::to(&format!("/admin/devices#device-{device}")).into_response()
        }
        Err(e) => internal(e),
    }
}
