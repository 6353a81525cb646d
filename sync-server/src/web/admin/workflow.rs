//! A project's workflow settings (时限设置) on `/admin/projects`: the response window, how long
//! before it the contractor is reminded, the notice-return, callback and evidence windows, and
//! how many working days a fine slip may wait for an approver.
//!
//! The numbers live in the project document ([`plumbline_shared::project::Project::workflow`]),
//! so every phone of the project derives the same deadlines; the bounds are checked by
//! [`WorkflowSettings::check`], the same check a device's change to the document passes. A new
//! value applies to every open case of the project at once (deadlines are derived, never
//! stored): the page says so, and the project's cases are derived again before the answer.

use std::convert::Infallible;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::time::{HOUR_MS, MINUTE_MS};
use plumbline_shared::workflow::{Setting, SettingsError, WorkflowSettings};
use serde::Deserialize;

use super::Admin;
use crate::project_write::{ProjectEditError, edit_project};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;

/// The unit a setting is entered in on the form.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Minutes,
    Hours,
    WorkingDays,
}

impl Unit {
    fn ms(self) -> i64 {
        match self {
            Self::Minutes => MINUTE_MS,
            Self::Hours => HOUR_MS,
            Self::WorkingDays => 1,
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Minutes => lang.pick("分钟", "minutes"),
            Self::Hours => lang.pick("小时", "hours"),
            Self::WorkingDays => lang.pick("个工作日", "working days"),
        }
    }
}

/// The settings the form edits, in the order it shows them, with the form field's name.
const FIELDS: [(Setting, &str, Unit); 6] = [
    (Setting::ResponseWindow, "response_hours", Unit::Hours),
    (Setting::ReminderLead, "lead_minutes", Unit::Minutes),
    (Setting::NoticeReturnWindow, "return_hours", Unit::Hours),
    (Setting::CallbackWindow, "callback_hours", Unit::Hours),
    (Setting::EvidenceAnswer, "evidence_hours", Unit::Hours),
    (
        Setting::FineApprovalWorkingDays,
        "approval_days",
        Unit::WorkingDays,
    ),
];

fn setting_label(setting: Setting, lang: Lang) -> &'static str {
    match setting {
        Setting::ResponseWindow => lang.pick("响应时限", "Response window"),
        Setting::ReminderLead => {
            lang.pick("响应到期前提醒", "Reminder before the response deadline")
        }
        Setting::NoticeReturnWindow => lang.pick("整改通知单回单时限", "Notice return window"),
        Setting::CallbackWindow => lang.pick("验收后回访时限", "Callback window after acceptance"),
        Setting::EvidenceAnswer => lang.pick("补充证据答复时限", "Evidence request answer window"),
        Setting::FineApprovalWorkingDays => {
            lang.pick("罚款单每步审批时限", "Fine slip approval, per step")
        }
        Setting::ClockSkewBound => lang.pick("设备时钟允许偏差", "Trusted device clock skew"),
    }
}

fn get(settings: &WorkflowSettings, setting: Setting) -> i64 {
    match setting {
        Setting::ResponseWindow => settings.response_window_ms,
        Setting::ReminderLead => settings.reminder_lead_ms,
        Setting::NoticeReturnWindow => settings.notice_return_window_ms,
        Setting::CallbackWindow => settings.callback_window_ms,
        Setting::EvidenceAnswer => settings.evidence_answer_ms,
        Setting::FineApprovalWorkingDays => i64::from(settings.fine_approval_working_days),
        Setting::ClockSkewBound => settings.clock_skew_bound_ms,
    }
}

/// One row of the section.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingRow {
    name: &'static str,
    label: &'static str,
    unit: &'static str,
    value: i64,
    min: i64,
    max: i64,
    default: i64,
}

/// The rows of the section for a project's current settings.
pub fn rows(settings: &WorkflowSettings, lang: Lang) -> Vec<SettingRow> {
    let defaults = WorkflowSettings::default();
    FIELDS
        .iter()
        .map(|&(setting, name, unit)| {
            let (min, max) = setting.bounds();
            SettingRow {
                name,
                label: setting_label(setting, lang),
                unit: unit.label(lang),
                value: get(settings, setting) / unit.ms(),
                // Bounds shown in whole units, rounded inwards.
                min: (min + unit.ms() - 1) / unit.ms(),
                max: max / unit.ms(),
                default: get(&defaults, setting) / unit.ms(),
            }
        })
        .collect()
}

/// The settings form of one project.
#[component]
pub fn WorkflowSection(
    lang: Lang,
    csrf: String,
    project: ProjectId,
    rows: Vec<SettingRow>,
) -> Element {
    rsx! {
        form { class: "noprint workflow", id: "workflow-{project}", method: "post",
            action: "/admin/projects/{project}/workflow",
            h3 { {lang.pick("时限设置", "Time limits")} }
            p { class: "muted",
                {lang.pick(
                    "修改后立即适用于本项目的全部未结案件，并随下次同步发到手机。",
                    "A change applies at once to every open case of the project and reaches the phones with their next sync.",
                )}
            }
            input { r#type: "hidden", name: "csrf", value: "{csrf}" }
            table { class: "workflow-settings",
                thead { tr {
                    th { {lang.pick("规则", "Rule")} }
                    th { {lang.pick("数值", "Value")} }
                    th { {lang.pick("默认", "Default")} }
                } }
                tbody {
                    for row in rows.iter() {
                        tr { id: "setting-{row.name}",
                            td { label { r#for: "{project}-{row.name}", "{row.label}" } }
                            td {
                                input { r#type: "number", id: "{project}-{row.name}", name: "{row.name}",
                                    value: "{row.value}", min: row.min, max: row.max, required: true,
                                    style: "width:6em" }
                                " {row.unit}"
                            }
                            td { class: "muted", "{row.default} {row.unit}" }
                        }
                    }
                }
            }
            button { r#type: "submit", {lang.pick("保存时限", "Save time limits")} }
        }
    }
}

/// What the form sends: each setting as typed (a number in its unit).
#[derive(Debug, Deserialize)]
pub struct WorkflowForm {
    csrf: String,
    response_hours: String,
    lead_minutes: String,
    return_hours: String,
    callback_hours: String,
    evidence_hours: String,
    approval_days: String,
}

posted_with_csrf_field!(WorkflowForm);

impl WorkflowForm {
    fn raw(&self, name: &str) -> &str {
        match name {
            "response_hours" => &self.response_hours,
            "lead_minutes" => &self.lead_minutes,
            "return_hours" => &self.return_hours,
            "callback_hours" => &self.callback_hours,
            "evidence_hours" => &self.evidence_hours,
            _ => &self.approval_days,
        }
    }

    /// The settings the form asks for on top of `current` (whose other values it keeps), or
    /// the sentence saying what is wrong.
    fn settings(&self, current: WorkflowSettings, lang: Lang) -> Result<WorkflowSettings, String> {
        let mut out = current;
        for &(setting, name, unit) in &FIELDS {
            let label = setting_label(setting, lang);
            let raw = self.raw(name).trim();
            let Ok(value) = raw.parse::<i64>() else {
                return Err(match lang {
                    Lang::Zh => format!(
                        "“{label}”须填写整数（{}），填写的是“{raw}”。",
                        unit.label(lang)
                    ),
                    Lang::En => format!(
                        "{label} must be a whole number of {}; the form had “{raw}”.",
                        unit.label(lang)
                    ),
                });
            };
            let v = value.saturating_mul(unit.ms());
            match setting {
                Setting::ResponseWindow => out.response_window_ms = v,
                Setting::ReminderLead => out.reminder_lead_ms = v,
                Setting::NoticeReturnWindow => out.notice_return_window_ms = v,
                Setting::CallbackWindow => out.callback_window_ms = v,
                Setting::EvidenceAnswer => out.evidence_answer_ms = v,
                Setting::FineApprovalWorkingDays => {
                    out.fine_approval_working_days = u32::try_from(v).unwrap_or(u32::MAX);
                }
                Setting::ClockSkewBound => {}
            }
        }
        out.check().map_err(|e| refusal_text(&e, lang))?;
        Ok(out)
    }
}

/// The sentence for settings out of their bounds, in the form's units.
fn refusal_text(e: &SettingsError, lang: Lang) -> String {
    match e {
        SettingsError::OutOfBounds { setting, min, max, .. } => {
            let unit = FIELDS
                .iter()
                .find(|(s, _, _)| s == setting)
                .map_or(Unit::Minutes, |(_, _, u)| *u);
            let (min, max) = ((min + unit.ms() - 1) / unit.ms(), max / unit.ms());
            let label = setting_label(*setting, lang);
            let unit = unit.label(lang);
            match lang {
                Lang::Zh => format!("“{label}”须在 {min} 至 {max} {unit}之间。没有保存任何修改。"),
                Lang::En => format!("{label} must lie between {min} and {max} {unit}. Nothing was saved."),
            }
        }
        SettingsError::LeadNotShorterThanWindow { .. } => lang
            .pick(
                "响应到期前提醒须短于响应时限。没有保存任何修改。",
                "The reminder must come before the response deadline: make it shorter than the response window. Nothing was saved.",
            )
            .to_owned(),
    }
}

/// `POST /admin/projects/{project}/workflow`: checks every value, writes the project's
/// settings, and derives the project's cases again under them. Any refusal writes nothing.
pub async fn save(
    State(state): State<AppState>,
    admin: Admin,
    Path(project): Path<String>,
    form: Result<Form<WorkflowForm>, FormRejection>,
) -> Response {
    let (form, project) = match admin.project_form(form, project) {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let lang = admin.lang();
    let wanted = match form.settings(state.settings_of(&project), lang) {
        Ok(s) => s,
        Err(sentence) => return admin.bad_request(&sentence),
    };
    let written = edit_project(&state, &project, |p| {
        p.workflow = wanted;
        Ok::<_, Infallible>(())
    })
    .await;
    match written {
        Ok(()) => {}
        Err(ProjectEditError::NoSuchProject(_)) => return admin.not_found(),
        Err(ProjectEditError::Other(e)) => return internal(e),
        Err(ProjectEditError::Refused(never)) => match never {},
    };
    tracing::info!(by = %admin.staff.user, %project, settings = ?wanted, "workflow settings saved");
    // Deadlines moved: the project's cases were marked due; they are derived again now.
    if let Err(e) = crate::verdicts::refresh_due(&state, state.now()).await {
        return internal(anyhow::anyhow!("deriving the project's cases again: {e:?}"));
    }
    Redirect::to(&format!("/admin/projects#workflow-{project}")).into_response()
}
