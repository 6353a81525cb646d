//! `/devices` and `/devices/{device}`: the phones of the people a manager oversees, when each
//! last finished a whole sync, and for one phone (lost, broken, stolen) what it may have held
//! that never arrived, so the office knows which units to inspect again.
//!
//! The server cannot know work a phone never sent. It knows when the phone last held exactly
//! what the server held (its last whole sync), which units its later syncs brought changes for
//! (a sync that did not finish), the photos its findings reference that never arrived, and the
//! inspections planned for its person since: those are the units to look at again.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use dioxus::prelude::*;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::{DeviceId, ProjectId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;

use super::case_load::{load_project, not_found};
use super::i18n::Lang;
use super::layout::{internal, render};
use super::session::Staff;
use super::when::beijing;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::DeviceInfo;

/// Most documents of one device's work read for its page.
const MAX_WORK_DOCS: u32 = 500;

/// The projects in which `staff` oversees devices: where they manage or administer.
pub fn overseen(staff: &Staff) -> BTreeSet<ProjectId> {
    staff
        .memberships
        .iter()
        .filter(|m| matches!(m.role, Role::Manager | Role::Admin))
        .map(|m| m.project.clone())
        .collect()
}

/// The devices of the people who work in `projects`, with their names, by person.
async fn devices_in(
    state: &AppState,
    projects: &BTreeSet<ProjectId>,
) -> Result<Vec<(String, DeviceInfo)>, ApiError> {
    let users = state.store.users().await?;
    let names: BTreeMap<_, _> = users
        .into_iter()
        .filter(|u| u.memberships.iter().any(|m| projects.contains(&m.project)))
        .map(|u| (u.user, u.display_name))
        .collect();
    Ok(state
        .store
        .devices()
        .await?
        .into_iter()
        .filter_map(|d| names.get(&d.user).map(|n| (n.clone(), d)))
        .collect())
}

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    lang.pick(zh, en)
}

fn when(lang: Lang, at: Option<Timestamp>) -> String {
    at.map_or_else(|| t(lang, "从未", "never").to_owned(), beijing)
}

fn page(staff: &Staff, title: &str, body: Element) -> Response {
    (
        StatusCode::OK,
        render(staff.lang, title, Some(staff.top_bar()), body),
    )
        .into_response()
}

/// `GET /devices`.
pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    let projects = overseen(&staff);
    if projects.is_empty() {
        return not_found(&staff);
    }
    let devices = match devices_in(&state, &projects).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let lang = staff.lang;
    let title = t(lang, "设备同步情况", "Devices and their syncs");
    let body = rsx! {
        h1 { "{title}" }
        p { class: "muted",
            {t(lang, "“最后完整同步”：手机与服务器数据完全一致的最后时间。手机丢失时，请查看其后可能未上传的工作。",
                "“Last whole sync”: the last time the phone and the server held the same records. For a lost phone, open it to see what may not have arrived since.")}
        }
        table { id: "devices",
            thead { tr {
                th { {t(lang, "人员", "Person")} }
                th { {t(lang, "设备", "Device")} }
                th { {t(lang, "最后完整同步", "Last whole sync")} }
                th { {t(lang, "最后联系", "Last seen")} }
                th { {t(lang, "状态", "Status")} }
            } }
            tbody {
                for (name, d) in devices {
                    tr { id: "device-{d.device}",
                        td { "{name}" }
                        td { a { href: "/devices/{d.device}", "{d.name}" } }
                        td { class: "last-synced", {when(lang, d.last_synced)} }
                        td { {when(lang, d.last_seen)} }
                        td {
                            if let Some(at) = d.revoked_at {
                                {t(lang, "已注销 ", "revoked ")} {beijing(at)}
                            } else {
                                {t(lang, "正常", "active")}
                            }
                        }
                    }
                }
            }
        }
    };
    page(&staff, title, body)
}

/// One unit on a device's page, and why it is there.
#[derive(Debug, Clone, Default, PartialEq)]
struct UnitLine {
    label: String,
    /// Changes that arrived after the device's last whole sync, and when the last did.
    since: Option<Timestamp>,
    /// Photos of this device on the unit's findings that never reached the server.
    photos_missing: usize,
    /// Days an inspection of the unit was planned for the device's person since then.
    planned: Vec<NaiveDate>,
}

impl UnitLine {
    /// Whether someone should go and look again: photos are missing, or the inspection was
    /// planned and nothing of it arrived.
    fn reinspect(&self) -> bool {
        self.photos_missing > 0 || (!self.planned.is_empty() && self.since.is_none())
    }
}

/// Photos by `device` referenced in the unit's findings whose blob never arrived.
async fn photos_missing(
    state: &AppState,
    unit: &UnitId,
    device: &DeviceId,
) -> Result<usize, ApiError> {
    let doc_id = DocId::Unit(unit.clone());
    let doc = {
        let mut guard = state.docs.lock(&doc_id).await;
        match state.docs.get(&mut guard, &doc_id).await? {
            Some(loaded) => UnitDoc::from_trusted(loaded.doc.clone()),
            None => return Ok(0),
        }
    };
    let record = doc.read().map_err(|e| ApiError::Internal(e.into()))?;
    let mut missing = 0;
    for finding in record.findings.values() {
        for (hash, evidence) in &finding.evidence {
            if &evidence.device == device && !state.store.blob_exists(hash).await? {
                missing += 1;
            }
        }
    }
    Ok(missing)
}

/// What the page says about one device, unit by unit.
async fn device_units(
    state: &AppState,
    device: &DeviceInfo,
    projects: &[Project],
) -> Result<BTreeMap<UnitId, UnitLine>, ApiError> {
    let labels: BTreeMap<&UnitId, &str> = projects
        .iter()
        .flat_map(|p| p.units().map(|(_, u)| (&u.id, u.label.as_str())))
        .collect();
    let mut lines: BTreeMap<UnitId, UnitLine> = BTreeMap::new();
    let synced = device.last_synced.unwrap_or(Timestamp(i64::MIN));
    for work in state
        .store
        .device_work(&device.device, MAX_WORK_DOCS)
        .await?
    {
        let DocId::Unit(unit) = work.doc else {
            continue;
        };
        let Some(label) = labels.get(&unit) else {
            continue;
        };
        let missing = photos_missing(state, &unit, &device.device).await?;
        let after = work.last_stored > synced;
        if !after && missing == 0 {
            continue;
        }
        lines.insert(
            unit.clone(),
            UnitLine {
                label: (*label).to_owned(),
                since: after.then_some(work.last_stored),
                photos_missing: missing,
                planned: Vec::new(),
            },
        );
    }
    // Inspections planned for the person from the day of the last whole sync until today.
    let first = device
        .last_synced
        .map_or(NaiveDate::MIN, Timestamp::date_cst);
    let today = state.now().date_cst();
    for project in projects {
        for a in project.assignments_for(&device.user) {
            let days: Vec<NaiveDate> = a
                .from
                .iter_days()
                .take_while(|d| *d <= a.to)
                .filter(|d| *d >= first && *d <= today)
                .collect();
            if days.is_empty() {
                continue;
            }
            for u in project.assigned_units(a) {
                let line = lines.entry(u.id.clone()).or_insert_with(|| UnitLine {
                    label: u.label.clone(),
                    ..UnitLine::default()
                });
                line.planned.extend(days.iter().copied());
            }
        }
    }
    Ok(lines)
}

/// `GET /devices/{device}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(device): Path<String>,
) -> Response {
    let projects = overseen(&staff);
    let Ok(device) = DeviceId::new(device) else {
        return not_found(&staff);
    };
    let found = match devices_in(&state, &projects).await {
        Ok(all) => all.into_iter().find(|(_, d)| d.device == device),
        Err(e) => return internal(e),
    };
    let Some((person, info)) = found else {
        return not_found(&staff);
    };
    let mut shared = Vec::new();
    match state.store.user(&info.user).await {
        Ok(Some((_, memberships))) => {
            for m in memberships.iter().filter(|m| projects.contains(&m.project)) {
                match load_project(&state, &m.project).await {
                    Ok(p) => shared.push(p),
                    Err(crate::case_read::ReadError::NoProject(_)) => {}
                    Err(e) => return internal(e),
                }
            }
        }
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    }
    let lines = match device_units(&state, &info, &shared).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let lang = staff.lang;
    let title = format!("{} · {person}", info.name);
    let reinspect: Vec<&UnitLine> = lines.values().filter(|l| l.reinspect()).collect();
    let body = rsx! {
        h1 { "{title}" }
        table { class: "facts",
            tr { th { {t(lang, "最后完整同步", "Last whole sync")} } td { id: "last-synced", {when(lang, info.last_synced)} } }
            tr { th { {t(lang, "最后联系", "Last seen")} } td { {when(lang, info.last_seen)} } }
            tr { th { {t(lang, "登记时间", "Enrolled")} } td { {beijing(info.created_at)} } }
            if let Some(at) = info.revoked_at {
                tr { th { {t(lang, "注销时间", "Revoked")} } td { {beijing(at)} } }
            }
        }
        h2 { {t(lang, "需复查的房屋", "Units to inspect again")} }
        if reinspect.is_empty() {
            p { id: "nothing-to-reinspect", {t(lang, "没有：此设备的工作都已到达服务器。", "None: this device's work all reached the server.")} }
        } else {
            ul { id: "reinspect",
                for line in reinspect.iter() {
                    li { "{line.label}" }
                }
            }
        }
        h2 { {t(lang, "逐户情况", "Unit by unit")} }
        table { id: "device-units",
            thead { tr {
                th { {t(lang, "房号", "Unit")} }
                th { {t(lang, "完整同步后收到的修改", "Changes received after the last whole sync")} }
                th { {t(lang, "未到达的照片", "Photos that never arrived")} }
                th { {t(lang, "其后计划检查的日期", "Inspection planned since")} }
            } }
            tbody {
                for (unit, line) in lines.iter() {
                    tr { id: "unit-{unit}", class: if line.reinspect() { "reinspect" } else { "" },
                        td { "{line.label}" }
                        td { {line.since.map(beijing).unwrap_or_default()} }
                        td { class: "photos-missing", "{line.photos_missing}" }
                        td { {line.planned.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")} }
                    }
                }
            }
        }
    };
    page(&staff, &title, body)
}
