//! `GET /intake`, `POST /intake`: the front desk's complaint intake (投诉登记).
//!
//! An owner calls or walks in; the receptionist opens a case on the unit in one short form:
//! which unit (a building and the unit's label, or the whole label typed, `1-1201`), who the
//! owner is and how to call them back, whether it came by phone or in person, where and what
//! (room and check item from the checklist template; the item brings its category and default
//! severity), how urgent (S1 is an emergency, 紧急) and what the owner said. Everything is
//! checked against the project before anything is written; a form that does not pass comes
//! back with the reason and with what was typed, so nothing needs typing twice.
//!
//! The case is recorded like any other finding (`UnitDoc::record_complaint`, which is
//! `record_finding` plus the owner's contact in the same change), for the signed-in person and
//! through `unit_write::edit_unit`, so it reaches the inspectors' phones on their next sync. An
//! S1 complaint shows at once in the dashboard's "紧急投诉（S1）待派单" queue
//! (`Queue::UrgentAwaitingNotice`), which lists every S1 case with no notice running: an
//! emergency is a severity and a queue, not a penalty condition, so the "需启动应急维修" figure
//! (a contractor failed and another team must step in) keeps meaning only that.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::finding::{
    ContactError, MAX_OWNER_NAME_CHARS, MAX_PHONE_INPUT_CHARS, OwnerContact,
};
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::{EventKind, Origin};
use plumbline_shared::ids::{CategoryId, ItemId, ProjectId};
use plumbline_shared::project::{Project, Unit};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use serde::Deserialize;

use super::case_load::{load_project, not_found, web_device};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, message_page, render};
use super::posted::{StaffForm, posted_with_csrf_field};
use super::session::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::OwnerContactRecord;
use crate::unit_write::edit_unit_recording;

/// Longest description an intake takes, in characters (a document allows more; a phone call's
/// summary needs less).
pub const MAX_INTAKE_DESCRIPTION_CHARS: usize = 1_000;
/// Longest unit label as typed.
const MAX_UNIT_INPUT_CHARS: usize = 40;

/// The origins an intake records: the owner's call and the owner's visit.
const ORIGINS: [Origin; 2] = [Origin::OwnerCall, Origin::OwnerVisit];

/// Whether `role` may record a complaint (the rule the sync applies to `recorded`).
pub fn may_record(role: Role) -> bool {
    EventKind::Recorded {
        origin: Origin::OwnerCall,
    }
    .allows(role)
}

/// `?project=` picks the project of the form.
#[derive(Debug, Default, Deserialize)]
pub struct IntakeQuery {
    #[serde(default)]
    project: String,
}

/// The intake form, as typed. Every field defaults to empty so that a form with a field
/// missing is answered with what is missing, not with an unreadable-form page.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    project: String,
    /// Building id; empty when the whole label is typed.
    #[serde(default)]
    building: String,
    /// The unit's label (`1-1201`), or its label within the building (`1201`).
    #[serde(default)]
    unit: String,
    #[serde(default)]
    owner_name: String,
    #[serde(default)]
    owner_phone: String,
    /// `owner_call` or `owner_visit`.
    #[serde(default)]
    origin: String,
    /// Check item id (its room is the item's).
    #[serde(default)]
    item: String,
    /// Category id; empty for the item's.
    #[serde(default)]
    category: String,
    /// `S1` … `S4`; empty for the item's default.
    #[serde(default)]
    severity: String,
    #[serde(default)]
    description: String,
}

/// The projects where the person may record complaints, in membership order.
fn intake_projects(staff: &Staff) -> Vec<ProjectId> {
    staff
        .memberships
        .iter()
        .filter(|m| may_record(m.role))
        .map(|m| m.project.clone())
        .collect()
}

/// Why a typed unit does not name one unit of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitProblem {
    Missing,
    UnknownBuilding,
    NotFound,
    Ambiguous,
}

impl UnitProblem {
    fn text(self, lang: Lang) -> &'static str {
        match self {
            UnitProblem::Missing => lang.pick("请填写房号。", "Enter the unit."),
            UnitProblem::UnknownBuilding => lang.pick(
                "所选楼栋不属于本项目。",
                "The building chosen is not on this project.",
            ),
            UnitProblem::NotFound => lang.pick(
                "本项目没有这个房号；请核对楼栋和房号（如 1-1201）。",
                "This project has no such unit; check the building and the unit (e.g. 1-1201).",
            ),
            UnitProblem::Ambiguous => lang.pick(
                "这个房号在多个楼栋都有，请选择楼栋。",
                "Several buildings have this unit; choose the building.",
            ),
        }
    }
}

/// The unit a person typed: with a building chosen, its unit whose label is the text or ends
/// with `-` and the text (`1201` in building 1 is `1-1201`); without, the unit whose whole
/// label (or id) is the text. Dashes typed the Chinese way (`－`, `—`) and spaces are read as
/// the plain dash.
fn find_unit<'a>(
    project: &'a Project,
    building: &str,
    typed: &str,
) -> Result<&'a Unit, UnitProblem> {
    let text: String = typed
        .trim()
        .chars()
        .map(|c| match c {
            '－' | '—' | '–' | '‐' | ' ' | '　' => '-',
            c => c,
        })
        .collect();
    if text.is_empty() {
        return Err(UnitProblem::Missing);
    }
    if text.chars().count() > MAX_UNIT_INPUT_CHARS {
        return Err(UnitProblem::NotFound);
    }
    let whole = |u: &Unit| u.label == text || u.id.as_str() == text;
    let found: Vec<&Unit> = match building.trim() {
        "" => project
            .units()
            .map(|(_, u)| u)
            .filter(|u| whole(u))
            .collect(),
        b => {
            let Some(b) = project.buildings.iter().find(|x| x.id.as_str() == b) else {
                return Err(UnitProblem::UnknownBuilding);
            };
            b.units
                .iter()
                .filter(|u| {
                    whole(u)
                        || u.label
                            .split_once('-')
                            .is_some_and(|(_, rest)| rest == text)
                })
                .collect()
        }
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(UnitProblem::NotFound),
        _ => Err(UnitProblem::Ambiguous),
    }
}

fn contact_problem(e: ContactError, lang: Lang) -> String {
    match e {
        ContactError::NameMissing => lang.pick("请填写业主姓名。", "Enter the owner's name."),
        ContactError::NameInvalid => lang.pick(
            "业主姓名最多 40 个字，且不能含控制字符。",
            "The owner's name may have at most 40 characters and no control characters.",
        ),
        ContactError::PhoneMissing => lang.pick("请填写联系电话。", "Enter a phone number."),
        ContactError::PhoneInvalid => lang.pick(
            "联系电话无效：请填写以 1 开头的 11 位手机号，或固定电话（如 0755-12345678）。",
            "The phone number is not valid: enter an 11-digit mobile number starting with 1, or \
             a landline (e.g. 0755-12345678).",
        ),
    }
    .to_owned()
}

/// A checked intake, ready to record.
struct Checked {
    unit: Unit,
    finding: NewFinding,
    owner: OwnerContact,
}

/// Checks every field of the form against the project and the template; the sentence that
/// says what is wrong otherwise.
fn check(form: &IntakeForm, project: &Project, lang: Lang) -> Result<Checked, String> {
    let unit = find_unit(project, &form.building, &form.unit)
        .map_err(|p| p.text(lang).to_owned())?
        .clone();
    let owner = OwnerContact::new(&form.owner_name, &form.owner_phone)
        .map_err(|e| contact_problem(e, lang))?;
    let origin = ORIGINS
        .into_iter()
        .find(|o| o.as_str() == form.origin)
        .ok_or_else(|| {
            lang.pick(
                "请选择来源：业主来电或业主来访。",
                "Choose how it came in: the owner's call or visit.",
            )
            .to_owned()
        })?;
    let template = labels::template();
    let (room, item) = form
        .item
        .trim()
        .parse::<ItemId>()
        .ok()
        .and_then(|id| template.item(&id))
        .ok_or_else(|| {
            lang.pick(
                "请从检查项目表中选择房间和检查项。",
                "Choose the room and the check item from the checklist.",
            )
            .to_owned()
        })?;
    let category = match form.category.trim() {
        "" => item.category.clone(),
        c => c
            .parse::<CategoryId>()
            .ok()
            .filter(|id| template.category(id).is_some())
            .ok_or_else(|| {
                lang.pick("问题类别无效。", "The category is not valid.")
                    .to_owned()
            })?,
    };
    let severity = match form.severity.trim() {
        "" => item.default_severity,
        s => Severity::parse(s).ok_or_else(|| {
            lang.pick("紧急程度须为 S1 到 S4。", "The urgency must be S1 to S4.")
                .to_owned()
        })?,
    };
    let description = form.description.trim();
    if description.is_empty() {
        return Err(lang
            .pick("请填写问题描述。", "Describe the problem.")
            .to_owned());
    }
    if description.chars().count() > MAX_INTAKE_DESCRIPTION_CHARS {
        return Err(lang
            .pick(
                "问题描述最多 1000 字。",
                "The description may have at most 1,000 characters.",
            )
            .to_owned());
    }
    Ok(Checked {
        unit,
        finding: NewFinding {
            origin,
            round: None,
            room: room.id.clone(),
            item: item.id.clone(),
            category,
            severity,
            description: description.to_owned(),
        },
        owner,
    })
}

#[derive(Props, Clone, PartialEq)]
struct IntakeProps {
    lang: Lang,
    csrf: String,
    /// Other projects the person may record in as (id, name): links that switch the form.
    others: Vec<(ProjectId, String)>,
    project: Project,
    form: IntakeForm,
    error: Option<String>,
}

#[allow(non_snake_case)] // a component
fn IntakePage(p: IntakeProps) -> Element {
    let lang = p.lang;
    let f = &p.form;
    let template = labels::template();
    let origin = if f.origin.is_empty() {
        Origin::OwnerCall.as_str().to_owned()
    } else {
        f.origin.clone()
    };
    let project_name = lang.pick(&p.project.name_zh, &p.project.name_en).to_owned();
    rsx! {
        h1 { {Msg::Intake.text(lang)} " · {project_name}" }
        if !p.others.is_empty() {
            p { class: "noprint",
                {Msg::Project.text(lang)} "："
                for (id, name) in p.others.iter() {
                    a { href: "/intake?project={id}", "{name}" }
                    " "
                }
            }
        }
        if let Some(error) = &p.error {
            p { class: "error", role: "alert", id: "intake-error", "{error}" }
        }
        form { method: "post", action: "/intake", id: "intake", class: "filters",
            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
            input { r#type: "hidden", name: "project", value: "{p.project.id}" }
            label { {Msg::Building.text(lang)}
                select { name: "building",
                    option { value: "", {Msg::Any.text(lang)} }
                    for b in p.project.buildings.iter() {
                        option { value: "{b.id}", selected: f.building == b.id.as_str(), "{b.name}" }
                    }
                }
            }
            label { {Msg::UnitLabel.text(lang)}
                input { name: "unit", value: "{f.unit}", list: "unit-labels", required: true,
                    autofocus: true, maxlength: MAX_UNIT_INPUT_CHARS as i64, size: 10 }
            }
            datalist { id: "unit-labels",
                for (_, u) in p.project.units() {
                    option { value: "{u.label}" }
                }
            }
            label { {Msg::OwnerName.text(lang)}
                input { name: "owner_name", value: "{f.owner_name}", required: true,
                    maxlength: MAX_OWNER_NAME_CHARS as i64, size: 10 }
            }
            label { {Msg::OwnerPhone.text(lang)}
                input { r#type: "tel", name: "owner_phone", value: "{f.owner_phone}", required: true,
                    inputmode: "tel", maxlength: MAX_PHONE_INPUT_CHARS as i64, size: 14 }
            }
            fieldset {
                legend { {Msg::Origin.text(lang)} }
                for o in ORIGINS {
                    label {
                        input { r#type: "radio", name: "origin", value: o.as_str(), checked: origin == o.as_str() }
                        " " {lang.pick(o.label_zh(), o.label_en())}
                    }
                }
            }
            label { {Msg::Room.text(lang)} " / " {Msg::Item.text(lang)}
                select { name: "item", required: true,
                    option { value: "", "—" }
                    for room in template.rooms.iter() {
                        optgroup { label: lang.pick(&room.zh, &room.en),
                            for item in room.items.iter() {
                                option { value: "{item.id}", selected: f.item == item.id.as_str(),
                                    {lang.pick(&item.zh, &item.en)}
                                }
                            }
                        }
                    }
                }
            }
            label { {Msg::Category.text(lang)}
                select { name: "category",
                    option { value: "", {Msg::ItemDefault.text(lang)} }
                    for c in template.categories.iter() {
                        option { value: "{c.id}", selected: f.category == c.id.as_str(), {lang.pick(&c.zh, &c.en)} }
                    }
                }
            }
            label { {Msg::Urgency.text(lang)}
                select { name: "severity", id: "severity",
                    option { value: "", {Msg::ItemDefault.text(lang)} }
                    for s in Severity::ALL {
                        option { value: s.as_str(), selected: f.severity == s.as_str(),
                            "{s.as_str()} " {lang.pick(s.label_zh(), s.label_en())}
                            if s == Severity::S1 { " · " {Msg::Urgent.text(lang)} }
                        }
                    }
                }
            }
            label { {Msg::Description.text(lang)}
                textarea { name: "description", required: true, rows: 3, cols: 60,
                    maxlength: MAX_INTAKE_DESCRIPTION_CHARS, "{f.description}" }
            }
            button { r#type: "submit", {Msg::Save.text(lang)} }
        }
    }
}

/// The form page, empty or with what was typed and why it was not accepted.
async fn page(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    project: Project,
    form: IntakeForm,
    error: Option<String>,
) -> Response {
    let lang = staff.lang;
    let others = intake_projects(staff)
        .into_iter()
        .filter(|p| p != &project.id);
    let others = match labels::projects(state, lang, others).await {
        Ok(named) => named,
        Err(e) => return internal(e),
    };
    let props = IntakeProps {
        lang,
        csrf: staff.csrf.clone(),
        others,
        project,
        form,
        error,
    };
    let body = rsx! { IntakePage { ..props } };
    (
        status,
        render(lang, Msg::Intake.text(lang), Some(staff.top_bar()), body),
    )
        .into_response()
}

fn forbidden(staff: &Staff) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        staff.lang,
        Msg::Forbidden.text(staff.lang),
        Some(staff.top_bar()),
    )
}

/// The project the form is for: the one asked for, when the person may record there, else
/// their first such project. `Err` is the page to answer with.
#[allow(clippy::result_large_err)] // the error is the page to answer with, made once per request
fn chosen_project(staff: &Staff, asked: &str) -> Result<ProjectId, Response> {
    let allowed = intake_projects(staff);
    match asked.trim() {
        "" => allowed.into_iter().next().ok_or_else(|| forbidden(staff)),
        asked => allowed
            .into_iter()
            .find(|p| p.as_str() == asked)
            .ok_or_else(|| forbidden(staff)),
    }
}

/// `GET /intake`.
pub async fn form(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<IntakeQuery>, QueryRejection>,
) -> Response {
    let asked = query.map(|Query(q)| q.project).unwrap_or_default();
    let project = match chosen_project(&staff, &asked) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let project = match load_project(&state, &project).await {
        Ok(p) => p,
        Err(crate::case_read::ReadError::NoProject(_)) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    page(
        &state,
        &staff,
        StatusCode::OK,
        project,
        IntakeForm::default(),
        None,
    )
    .await
}

posted_with_csrf_field!(IntakeForm);

/// `POST /intake`: records the complaint and goes to its case page.
pub async fn record(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm<IntakeForm>,
) -> Response {
    // The role first: a person who may not record learns that, not what is wrong with the form.
    let project_id = match chosen_project(&staff, &form.project) {
        Ok(p) => p,
        Err(page) => {
            tracing::warn!(user = %staff.user, project = %form.project, "an intake refused for the role");
            return page;
        }
    };
    let Some(role) = staff.role_in(&project_id) else {
        return forbidden(&staff);
    };
    let project = match load_project(&state, &project_id).await {
        Ok(p) => p,
        Err(crate::case_read::ReadError::NoProject(_)) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    let lang = staff.lang;
    let checked = match check(&form, &project, lang) {
        Ok(c) => c,
        Err(message) => {
            return page(
                &state,
                &staff,
                StatusCode::BAD_REQUEST,
                project,
                form,
                Some(message),
            )
            .await;
        }
    };
    let device = match web_device(&state, &staff) {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let actor = Actor {
        user: staff.user.clone(),
        role,
        device: device.clone(),
    };
    let unit = checked.unit.id.clone();
    let doc_id = DocId::Unit(unit.clone());
    let at = state.now();
    let write = |doc: &mut UnitDoc, _: &_, doc_project: &ProjectId| {
        if doc_project != &project_id {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "unit {unit} is listed in project {project_id} but its document is in {doc_project}"
            )));
        }
        // The document gets the masked contact; the full one stays on the server, stored in
        // the same transaction.
        let owner = checked.owner.clone();
        let finding = doc
            .record_complaint(&actor, at, checked.finding, checked.owner)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let contact = OwnerContactRecord {
            finding: finding.clone(),
            project: project_id.clone(),
            unit: unit.clone(),
            contact: owner,
            recorded_at: at,
        };
        Ok((finding, vec![contact]))
    };
    let result = edit_unit_recording(&state, &doc_id, Some(&device), 0, Vec::new(), write).await;
    let refused = match result {
        Ok(finding) => {
            tracing::info!(user = %staff.user, %unit, %finding, "a complaint recorded at the front desk");
            return Redirect::to(&format!("/cases/{unit}/{finding}")).into_response();
        }
        Err(ApiError::BadRequest(m)) => m,
        Err(ApiError::NotFound(_)) => UnitProblem::NotFound.text(lang).to_owned(),
        Err(e) => return internal(e),
    };
    page(
        &state,
        &staff,
        StatusCode::BAD_REQUEST,
        project,
        form,
        Some(refused),
    )
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use plumbline_shared::demo::demo_project;
    use plumbline_shared::doc::unit::UnitDoc;
    use plumbline_shared::ids::{DeviceId, UnitId, UserId};
    use plumbline_shared::time::Timestamp;

    fn project() -> Project {
        demo_project(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).unwrap()
    }

    #[test]
    fn units_are_found_by_whole_label_or_by_building_and_label() {
        let p = project();
        let (b, u) = p.units().find(|(_, u)| u.label == "1-1201").unwrap();
        assert_eq!(find_unit(&p, "", "1-1201").unwrap().id, u.id);
        assert_eq!(find_unit(&p, "", " 1－1201 ").unwrap().id, u.id);
        assert_eq!(find_unit(&p, b.id.as_str(), "1201").unwrap().id, u.id);
        assert_eq!(find_unit(&p, b.id.as_str(), "1-1201").unwrap().id, u.id);
        assert_eq!(find_unit(&p, "", u.id.as_str()).unwrap().id, u.id);
        assert_eq!(find_unit(&p, "", ""), Err(UnitProblem::Missing));
        assert_eq!(find_unit(&p, "", "9-9999"), Err(UnitProblem::NotFound));
        assert_eq!(find_unit(&p, "", "1201"), Err(UnitProblem::NotFound));
        assert_eq!(
            find_unit(&p, "no-such-building", "1201"),
            Err(UnitProblem::UnknownBuilding)
        );
    }

    #[test]
    fn phone_numbers_are_mobiles_or_landlines() {
        let ok = |phone: &str| OwnerContact::new("王先生", phone).map(|c| c.phone);
        assert_eq!(ok("138 1234 5678").unwrap(), "13812345678");
        assert_eq!(ok("+86 138-1234-5678").unwrap(), "13812345678");
        assert_eq!(ok("0755-12345678").unwrap(), "075512345678");
        assert_eq!(ok("(010) 1234 5678").unwrap(), "01012345678");
        assert_eq!(ok("87654321").unwrap(), "87654321");
        assert_eq!(ok(""), Err(ContactError::PhoneMissing));
        for bad in [
            "1381234567",
            "238123456789",
            "1381234567a",
            "12345",
            "0123",
            "1234567",
            "1381234567812345678901234",
        ] {
            assert_eq!(ok(bad), Err(ContactError::PhoneInvalid), "{bad}");
        }
        assert_eq!(
            OwnerContact::new("  ", "13812345678"),
            Err(ContactError::NameMissing)
        );
        assert_eq!(
            OwnerContact::new(&"王".repeat(41), "13812345678"),
            Err(ContactError::NameInvalid)
        );
    }

    /// The owner's contact is an optional field of the finding: absent from findings recorded
    /// without one (so their shape is what older apps wrote), and read back when present.
    #[test]
    fn the_masked_owner_contact_is_stored_with_the_finding_and_older_findings_read_without_it() {
        let mut doc = UnitDoc::new(
            &ProjectId::new("licheng").unwrap(),
            &UnitId::new("licheng-b1-1201").unwrap(),
        );
        let actor = Actor {
            user: UserId::new("chenjing").unwrap(),
            role: Role::FrontDesk,
            device: DeviceId::new("web-1-chenjing").unwrap(),
        };
        let new = || NewFinding {
            origin: Origin::OwnerCall,
            round: None,
            room: "kitchen".parse().unwrap(),
            item: "kitchen.drain".parse().unwrap(),
            category: "plumbing".parse().unwrap(),
            severity: Severity::S1,
            description: "厨房下水管漏水".into(),
        };
        let plain = doc.record_finding(&actor, Timestamp(1_000), new()).unwrap();
        let owner = OwnerContact::new("王先生", "13812345678").unwrap();
        let heads = doc.automerge_mut().get_heads();
        let with = doc
            .record_complaint(&actor, Timestamp(2_000), new(), owner.clone())
            .unwrap();
        // One change for the finding and its contact.
        assert_eq!(
            doc.automerge_mut().get_changes(&heads).len(),
            1,
            "the complaint and its contact are one change"
        );
        let reloaded = UnitDoc::load(&doc.save()).unwrap();
        assert_eq!(reloaded.finding(&plain).unwrap().owner, None);
        // The document holds the masked form; the full contact is the server's.
        assert_eq!(reloaded.finding(&with).unwrap().owner, Some(owner.masked()));
        // No `owner` key at all on the plain finding.
        use automerge::ReadDoc;
        let am = reloaded.automerge();
        let (_, findings) = am.get(automerge::ROOT, "findings").unwrap().unwrap();
        let (_, f) = am.get(&findings, plain.as_str()).unwrap().unwrap();
        assert!(am.get(&f, "owner").unwrap().is_none());
        // A hand-built contact that is not in normal form is refused, and nothing is written.
        let heads = doc.automerge_mut().get_heads();
        let raw = OwnerContact {
            name: " 王先生 ".into(),
            phone: "138-1234-5678".into(),
        };
        assert!(
            doc.record_complaint(&actor, Timestamp(3_000), new(), raw)
                .is_err()
        );
        assert_eq!(doc.automerge_mut().get_heads(), heads);
    }
}
