//! Component tests: every screen rendered from fixture state with dioxus-ssr, in Chinese and
//! in English, with assertions on what a person would read. The fixtures go through the real
//! view-model functions (a demo project, unit documents written with the real operations), so
//! a wrong colour rule or a missing label fails here.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use dioxus::prelude::*;
use plumbline_app::account::UnsyncedWork;
use plumbline_app::events::{
    Outbox, PendingAction, PendingPhoto, PendingRecord, SyncProgress, SyncStatus,
};
use plumbline_app::local_records::UploadState;
use plumbline_app::local_records::{SetAside, SetAsideWork, WorkKind};
use plumbline_app::ui::i18n::{Lang, Msg};
use plumbline_app::ui::model::findings::{ConflictRow, finding_rows};
use plumbline_app::ui::model::grid::{
    ProjectOverview, UnitProgress, assignment_lines, building_grid,
};
use plumbline_app::ui::model::walk as walk_model;
use plumbline_app::ui::model::{checklist, sync};
use plumbline_app::ui::screens::enroll::EnrollScreen;
use plumbline_app::ui::screens::finding::{FindingScreen, PhotoThumb, ReinspectView};
use plumbline_app::ui::screens::finding_editor::{DraftPhoto, EditorView, FindingEditorScreen};
use plumbline_app::ui::screens::findings::FindingsScreen;
use plumbline_app::ui::screens::floor_plan::PlanView;
use plumbline_app::ui::screens::folder_pick::GalleryEntry;
use plumbline_app::ui::screens::grid::GridScreen;
use plumbline_app::ui::screens::projects::ProjectsScreen;
use plumbline_app::ui::screens::settings::{AccountView, SettingsScreen, StorageView};
use plumbline_app::ui::screens::shell::{Shell, Tab};
use plumbline_app::ui::screens::sync::SyncScreen;
use plumbline_app::ui::screens::unit::UnitScreen;
use plumbline_app::ui::screens::walk::{SignedLine, WalkLine, WalkScreen};
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::finding::OwnerContact;
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc, UnitRecord};
use plumbline_shared::doc::walk::{SignedWalk, WalkSnapshot, statuses};
use plumbline_shared::event::{EventKind, EvidenceRequestReason, Origin};
use plumbline_shared::ids::{AssignmentId, BlobHash, DeviceId, UnitId, UserId};
use plumbline_shared::inspection_plan::{Assignment, FloorRange};
use plumbline_shared::project::Project;
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::template::{ChecklistTemplate, residential};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{Status, WorkflowSettings};

const LANGS: [Lang; 2] = [Lang::Zh, Lang::En];
const NOW: Timestamp = Timestamp(1_780_000_000_000);

/// Renders a root component that takes the language as its props.
fn render(root: fn(Lang) -> Element, lang: Lang) -> String {
    let mut dom = VirtualDom::new_with_props(root, lang);
    dom.rebuild_in_place();
    dioxus_ssr::render(&dom)
}

fn inspector() -> Actor {
    Actor {
        user: UserId::new("wangli").unwrap(),
        role: Role::Inspector,
        device: DeviceId::new("phone-1").unwrap(),
    }
}

fn project() -> Project {
    demo_project(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()).unwrap()
}

fn template() -> ChecklistTemplate {
    residential()
}

/// A unit with one finding on the kitchen drain, photographed, with an evidence request.
fn unit_with_finding(project: &Project, unit: &UnitId) -> UnitDoc {
    let t = template();
    let (_, item) = t
        .items()
        .find(|(_, i)| i.id.as_str() == "kitchen.drain")
        .unwrap();
    let mut doc = UnitDoc::new(&project.id, unit);
    let round = doc
        .start_round(&inspector(), NOW, RoundKind::PreHandover)
        .unwrap();
    let finding = doc
        .record_finding(
            &inspector(),
            NOW,
            NewFinding {
                origin: Origin::Inspection,
                round: Some(round.clone()),
                room: "kitchen".parse().unwrap(),
                item: item.id.clone(),
                category: item.category.clone(),
                severity: Severity::S2,
                description: "水槽下水慢".into(),
            },
        )
        .unwrap();
    doc.record_result(
        &inspector(),
        NOW,
        &round,
        &item.id,
        Outcome::Defect,
        Some(finding.clone()),
    )
    .unwrap();
    doc.append_event(
        &inspector(),
        NOW,
        &finding,
        EventKind::EvidenceRequested {
            reason: EvidenceRequestReason::Reshoot,
            note: "看不清".into(),
        },
    )
    .unwrap();
    doc
}

/// Records of four units of the first building: not started (absent), in progress, open
/// defects, all passed.
fn records(project: &Project) -> BTreeMap<UnitId, UnitRecord> {
    let units: Vec<UnitId> = project.buildings[0]
        .units
        .iter()
        .map(|u| u.id.clone())
        .collect();
    let mut out = BTreeMap::new();

    let mut started = UnitDoc::new(&project.id, &units[1]);
    let round = started
        .start_round(&inspector(), NOW, RoundKind::PreHandover)
        .unwrap();
    let first = template().items().next().unwrap().1.id.clone();
    started
        .record_result(&inspector(), NOW, &round, &first, Outcome::Pass, None)
        .unwrap();
    out.insert(units[1].clone(), started.read().unwrap());

    out.insert(
        units[2].clone(),
        unit_with_finding(project, &units[2]).read().unwrap(),
    );

    let mut passed = UnitDoc::new(&project.id, &units[3]);
    let round = passed
        .start_round(&inspector(), NOW, RoundKind::PreHandover)
        .unwrap();
    for (_, item) in template().items() {
        passed
            .record_result(&inspector(), NOW, &round, &item.id, Outcome::Pass, None)
            .unwrap();
    }
    out.insert(units[3].clone(), passed.read().unwrap());
    out
}

#[test]
fn the_grid_colours_each_unit_by_its_state_and_counts_them() {
    let demo = project();
    let recs = records(&demo);
    let building = &demo.buildings[0];
    let grid = building_grid(
        &demo,
        building,
        &recs,
        &template(),
        NOW,
        &WorkflowSettings::default(),
        Lang::Zh,
    );
    assert_eq!(grid.counts.get(&UnitProgress::InProgress), Some(&1));
    assert_eq!(grid.counts.get(&UnitProgress::OpenDefects), Some(&1));
    assert_eq!(grid.counts.get(&UnitProgress::AllPassed), Some(&1));
    assert_eq!(
        grid.counts.get(&UnitProgress::NotStarted),
        Some(&(building.units.len() - 3))
    );
    assert_eq!(
        grid.floors.first().unwrap().floor,
        building.floors,
        "top floor first"
    );

    fn root(lang: Lang) -> Element {
        let project = project();
        let grid = building_grid(
            &project,
            &project.buildings[0],
            &records(&project),
            &template(),
            NOW,
            &WorkflowSettings::default(),
            lang,
        );
        rsx! { GridScreen { lang, grid, on_open: |_| {} } }
    }
    let zh = render(root, Lang::Zh);
    let unit = &building.units[2];
    assert!(zh.contains(&format!("id=\"unit-{}\"", unit.id)), "{zh}");
    assert!(zh.contains("tile open-defects"));
    assert!(
        zh.contains("有问题未关闭 1"),
        "the open count is shown: {zh}"
    );
    assert!(zh.contains("全部合格 1"));
    assert!(zh.contains("进行中 1"));
    assert!(
        zh.contains("尚未同步到本机"),
        "a unit not on the phone says so"
    );
    let en = render(root, Lang::En);
    assert!(
        en.contains("Open defects 1") && en.contains("All passed 1"),
        "{en}"
    );
    assert!(en.contains("Not on this phone yet"));
}

#[test]
fn the_project_list_shows_buildings_with_their_counts() {
    fn root(lang: Lang) -> Element {
        let project = project();
        let records = records(&project);
        let mut project = project;
        let building = project.buildings[1].id.clone();
        project.assignments.push(Assignment {
            id: AssignmentId::random(),
            inspector: inspector().user,
            building,
            floors: Some(FloorRange { first: 3, last: 7 }),
            from: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
            assigned_by: UserId::new("liqiang").unwrap(),
        });
        let today = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let overview = ProjectOverview {
            id: project.id.clone(),
            name: lang.pick(&project.name_zh, &project.name_en).to_owned(),
            assignments: assignment_lines(&project, &inspector().user, today, lang),
            buildings: project
                .buildings
                .iter()
                .map(|b| {
                    building_grid(
                        &project,
                        b,
                        &records,
                        &template(),
                        NOW,
                        &WorkflowSettings::default(),
                        lang,
                    )
                })
                .collect(),
        };
        rsx! { ProjectsScreen { lang, projects: vec![overview], on_open: |_| {} } }
    }
    let demo = project();
    let zh = render(root, Lang::Zh);
    assert!(zh.contains(&demo.name_zh));
    for b in &demo.buildings {
        assert!(zh.contains(&format!("{} 户", b.units.len())), "{zh}");
    }
    assert!(zh.contains("有问题未关闭 1"));
    let b2 = &demo.buildings[1].name;
    assert!(zh.contains("我的验房安排"), "{zh}");
    assert!(
        zh.contains(&format!("{b2} 3–7层 · 2026-12-07 – 2026-12-09 · 今天")),
        "{zh}"
    );
    let en = render(root, Lang::En);
    assert!(en.contains(&demo.name_en) && en.contains("units"));
    assert!(en.contains("My inspection assignments") && en.contains("· today"));

    fn empty(lang: Lang) -> Element {
        rsx! { ProjectsScreen { lang, projects: vec![], on_open: |_| {} } }
    }
    assert!(render(empty, Lang::Zh).contains("本机还没有项目"));
    assert!(render(empty, Lang::En).contains("No projects on this phone yet"));
}

#[test]
fn enroll_asks_for_the_server_and_code_and_shows_a_failure() {
    fn root(lang: Lang) -> Element {
        rsx! {
            EnrollScreen {
                lang,
                server: "http://10.0.0.5:8080".to_owned(),
                code: String::new(),
                busy: false,
                ready: false,
                error: Some("服务器拒绝了请求: this code was already used".to_owned()),
                on_server: |_| {},
                on_code: |_| {},
                on_submit: |_| {},
                gallery: None,
                on_scan: |_| {},
                on_open_gallery: |_| {},
                on_gallery_pick: |_| {},
                on_lang: |_| {},
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains("登记本机") && zh.contains("服务器地址") && zh.contains("登记码"));
    assert!(
        zh.contains("id=\"scan-code\"") && zh.contains("拍摄或选择登记二维码"),
        "the QR code can be photographed or picked"
    );
    assert!(zh.contains("id=\"scan-from-folder\"") && zh.contains("从相册选择"));
    assert!(zh.contains("value=\"http://10.0.0.5:8080\""));
    assert!(zh.contains("role=\"alert\"") && zh.contains("this code was already used"));
    assert!(zh.contains("disabled"), "no code yet: the button waits");
    assert!(zh.contains("plumbline://enroll"), "the link can be pasted");
    assert!(
        zh.contains(">English<"),
        "the language switch offers the other language"
    );
    let en = render(root, Lang::En);
    assert!(en.contains("Enroll this phone") && en.contains("Enrollment code"));
    assert!(en.contains("Photograph or pick the enrollment QR code"));
    assert!(en.contains(">中文<"));
}

#[test]
fn enroll_lists_the_camera_roll_to_pick_the_qr_codes_picture_and_waits_while_busy() {
    fn root(lang: Lang) -> Element {
        rsx! {
            EnrollScreen {
                lang,
                server: String::new(),
                code: String::new(),
                busy: true,
                ready: false,
                error: None,
                gallery: Some(vec![GalleryEntry {
                    path: "/roll/enrollment-qr.png".to_owned(),
                    name: "enrollment-qr.png".to_owned(),
                }]),
                on_server: |_| {},
                on_code: |_| {},
                on_submit: |_| {},
                on_scan: |_| {},
                on_open_gallery: |_| {},
                on_gallery_pick: |_| {},
                on_lang: |_| {},
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains("id=\"enroll-gallery-0\"") && zh.contains("enrollment-qr.png"));
    let scan = &zh[zh.find("id=\"scan-from-folder\"").unwrap()..];
    assert!(
        scan[..scan.find('>').unwrap()].contains("disabled"),
        "no second scan while one is read or enrolling"
    );
}

#[test]
fn a_unit_lists_rooms_with_progress_and_the_open_rooms_items_with_marks() {
    fn root(lang: Lang) -> Element {
        let project = project();
        let unit = project.buildings[0].units[2].id.clone();
        let record = unit_with_finding(&project, &unit).read().unwrap();
        let t = template();
        let kitchen = "kitchen".parse().unwrap();
        rsx! {
            UnitScreen {
                lang,
                rooms: checklist::rooms(&t, &record, lang),
                open_room: Some(kitchen),
                items: checklist::items(&t, &record, &"kitchen".parse().unwrap(), lang),
                findings: (1, 1),
                on_room: |_| {},
                on_mark: |_| {},
                on_view_finding: |_| {},
                on_findings: |_| {},
                on_walk: |_| {},
            }
        }
    }
    let t = template();
    let kitchen = t.room(&"kitchen".parse().unwrap()).unwrap();
    let zh = render(root, Lang::Zh);
    assert!(zh.contains(&kitchen.zh));
    assert!(
        zh.contains(&format!("1/{} 已检", kitchen.items.len())),
        "{zh}"
    );
    assert!(zh.contains("id=\"defect-kitchen.drain\""));
    assert!(zh.contains("defect on"), "the marked item shows its defect");
    assert!(
        zh.contains("查看问题"),
        "a marked defect links to its finding"
    );
    assert!(zh.contains("问题 1") && zh.contains("有问题未关闭 1"));
    for item in &kitchen.items {
        assert!(
            zh.contains(&item.zh),
            "every kitchen item is listed: {}",
            item.zh
        );
    }
    assert!(zh.contains("id=\"joint-walk\"") && zh.contains("业主陪验"));
    let en = render(root, Lang::En);
    assert!(en.contains(&kitchen.en) && en.contains("View finding") && en.contains("N/A"));
    assert!(en.contains("joint inspection"), "{en}");
}

/// A unit signed once, then its finding edited: the walk is listed as changed since signed.
fn signed_walks(lang: Lang) -> (Vec<WalkLine>, Vec<SignedLine>) {
    let project = project();
    let unit = project.buildings[0].units[2].id.clone();
    let mut doc = unit_with_finding(&project, &unit);
    let record = doc.read().unwrap();
    let owner = OwnerContact::new("张伟", "13812345678").unwrap();
    let snapshot = WalkSnapshot::new(&unit, record.findings.values(), &owner, NOW);
    let signature = EvidenceRef {
        hash: BlobHash::of(b"png"),
        kind: EvidenceKind::Signature,
        bytes: 3,
        width: 600,
        height: 240,
        captured_at: NOW,
        device: inspector().device,
        author: inspector().user,
        location: None,
        pin: None,
        thumbnail: None,
    };
    let walk = SignedWalk::new(snapshot, signature, inspector());
    doc.sign_walk(&inspector(), &walk).unwrap();
    let finding = record.findings.keys().next().unwrap().clone();
    doc.edit_field(
        &inspector(),
        NOW,
        &finding,
        FieldEdit::Description("水槽下水慢，已堵".into()),
    )
    .unwrap();
    let findings: Vec<_> = doc.findings().unwrap().into_values().collect();
    let views = statuses(&doc).unwrap();
    (
        walk_model::walk_lines(&findings, &template(), lang),
        walk_model::signed_lines(&views),
    )
}

#[test]
fn the_owner_s_walk_lists_the_defects_asks_for_name_phone_and_signature_and_shows_signed_versions()
{
    fn root(lang: Lang) -> Element {
        let (lines, signed) = signed_walks(lang);
        let strokes = use_signal(|| vec![vec![(10.0, 10.0), (200.0, 120.0)]]);
        rsx! {
            WalkScreen {
                lang,
                lines,
                signed,
                name: "张伟".to_owned(),
                phone: String::new(),
                strokes,
                error: Some(Msg::ErrOwnerPhone.text(lang).to_owned()),
                on_name: |_| {},
                on_phone: |_| {},
                on_sign: |_| {},
            }
        }
    }
    fn empty(lang: Lang) -> Element {
        let strokes = use_signal(Vec::new);
        rsx! {
            WalkScreen {
                lang,
                lines: Vec::new(),
                signed: Vec::new(),
                name: String::new(),
                phone: String::new(),
                strokes,
                error: None,
                on_name: |_| {},
                on_phone: |_| {},
                on_sign: |_| {},
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains("本次陪验问题清单"), "{zh}");
    assert!(
        zh.contains("水槽下水慢，已堵"),
        "the list shows the finding as it is now"
    );
    assert!(zh.contains("厨房"), "rooms by name: {zh}");
    assert!(zh.contains("业主姓名") && zh.contains("业主电话") && zh.contains("业主签字"));
    assert!(zh.contains("value=\"张伟\""));
    assert!(zh.contains("请填写正确的业主电话"), "the error is shown");
    assert!(
        zh.contains("id=\"signature-pad\"") && zh.contains("<polyline"),
        "{zh}"
    );
    assert!(
        zh.contains("10.0,10.0 200.0,120.0"),
        "the stroke is drawn: {zh}"
    );
    assert!(zh.contains("已签字的陪验记录") && zh.contains("版本 1"));
    assert!(zh.contains("签字后已有变动"), "a changed list says so");
    assert!(zh.contains("张* · 138****5678"), "the owner, masked");
    assert!(zh.contains("确认签字") && zh.contains("清除重签"));
    let en = render(root, Lang::En);
    assert!(
        en.contains("Defects on this walk") && en.contains("Owner") && en.contains("Version 1")
    );
    assert!(
        en.contains("Changed since signed") && en.contains("Kitchen"),
        "{en}"
    );
    assert!(en.contains("Sign") && en.contains("Clear"));
    let none = render(empty, Lang::Zh);
    assert!(none.contains("本户未发现问题") && !none.contains("已签字的陪验记录"));
    assert!(render(empty, Lang::En).contains("No defects recorded in this unit"));
}

#[test]
fn the_finding_editor_shows_defaults_photos_and_errors() {
    fn root(lang: Lang) -> Element {
        let t = template();
        let (_, item) = t
            .items()
            .find(|(_, i)| i.id.as_str() == "kitchen.drain")
            .unwrap();
        let view = EditorView {
            room: lang.pick("厨房", "Kitchen").to_owned(),
            item: lang.pick(&item.zh, &item.en).to_owned(),
            categories: t
                .categories
                .iter()
                .map(|c| (c.id.clone(), lang.pick(&c.zh, &c.en).to_owned()))
                .collect(),
            category: item.category.clone(),
            severity: item.default_severity,
            description: String::new(),
            photos: vec![DraftPhoto {
                key: 7,
                thumb: "data:image/jpeg;base64,AAAA".into(),
            }],
            processing: 1,
            gallery: Some(vec![GalleryEntry {
                path: "/photos/IMG_0001.jpg".into(),
                name: "IMG_0001.jpg".into(),
            }]),
            error: Some(Msg::DescriptionRequired.text(lang).to_owned()),
            plan: None,
        };
        rsx! {
            FindingEditorScreen {
                lang,
                view,
                on_category: |_| {},
                on_severity: |_| {},
                on_description: |_| {},
                on_files: |_| {},
                on_open_gallery: |_| {},
                on_gallery_pick: |_| {},
                on_remove: |_| {},
                on_pin: |_| {},
                on_clear_pin: |_| {},
                on_save: |_| {},
                on_cancel: |_| {},
            }
        }
    }
    let t = template();
    let (_, item) = t
        .items()
        .find(|(_, i)| i.id.as_str() == "kitchen.drain")
        .unwrap();
    let category = t.category(&item.category).unwrap();
    let zh = render(root, Lang::Zh);
    assert!(zh.contains(&item.zh));
    assert!(
        zh.contains(&format!("value=\"{}\" selected", category.id))
            || zh.contains(&format!("selected=true value=\"{}\"", category.id))
            || zh.contains(&format!("selected value=\"{}\"", category.id)),
        "the item's category is chosen: {zh}"
    );
    let severity = item.default_severity.as_str();
    assert!(
        zh.contains(&format!("id=\"severity-{severity}\" class=\"on\"")),
        "{zh}"
    );
    assert!(zh.contains("src=\"data:image/jpeg;base64,AAAA\""));
    assert!(zh.contains("id=\"remove-photo-7\""));
    assert!(zh.contains("正在处理照片"));
    assert!(zh.contains("IMG_0001.jpg"));
    assert!(zh.contains("请填写问题描述"));
    assert!(
        zh.contains("capture=\"environment\""),
        "phones open the camera"
    );
    assert!(!zh.contains("floor-plan"), "no plan, no plan element");
    // The photo buttons' icons are drawn, not characters a phone's fonts may lack.
    assert!(zh.matches("<svg").count() >= 2, "{zh}");
    assert!(!zh.contains('📷') && !zh.contains('🖼'), "{zh}");
    let en = render(root, Lang::En);
    assert!(en.contains("Describe the defect.") && en.contains("Take or choose a photo"));
    assert!(!en.contains("floor-plan") && !en.contains("Floor plan"));
    assert!(en.contains(&category.en));
}

/// A plan as the editor gets it, with a pin at a third across and a quarter down.
fn plan_view(pin: Option<(f64, f64)>) -> PlanView {
    PlanView {
        name: "标准层 2–5F".into(),
        src: "data:image/png;base64,iVBORw0KGgo=".into(),
        pin,
    }
}

#[test]
fn the_finding_editor_shows_the_unit_plan_with_its_pin() {
    fn editor(lang: Lang, pin: Option<(f64, f64)>) -> Element {
        let t = template();
        let (_, item) = t
            .items()
            .find(|(_, i)| i.id.as_str() == "kitchen.drain")
            .unwrap();
        let view = EditorView {
            room: lang.pick("厨房", "Kitchen").to_owned(),
            item: lang.pick(&item.zh, &item.en).to_owned(),
            categories: Vec::new(),
            category: item.category.clone(),
            severity: item.default_severity,
            description: String::new(),
            photos: Vec::new(),
            processing: 0,
            gallery: None,
            error: None,
            plan: Some(plan_view(pin)),
        };
        rsx! {
            FindingEditorScreen {
                lang,
                view,
                on_category: |_| {},
                on_severity: |_| {},
                on_description: |_| {},
                on_files: |_| {},
                on_open_gallery: |_| {},
                on_gallery_pick: |_| {},
                on_remove: |_| {},
                on_pin: |_| {},
                on_clear_pin: |_| {},
                on_save: |_| {},
                on_cancel: |_| {},
            }
        }
    }
    fn pinned(lang: Lang) -> Element {
        editor(lang, Some((1.0 / 3.0, 0.25)))
    }
    fn unpinned(lang: Lang) -> Element {
        editor(lang, None)
    }
    for lang in LANGS {
        let html = render(pinned, lang);
        assert!(html.contains("id=\"floor-plan\""), "{html}");
        assert!(html.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""));
        assert!(html.contains("标准层 2–5F"));
        assert!(
            html.contains("id=\"plan-pin\"") && html.contains("left:33.333%;top:25.000%"),
            "the marker sits where the pin is: {html}"
        );
        assert!(html.contains("id=\"clear-pin\""));
        assert!(html.contains(lang.pick("清除标记", "Clear the pin")));
        assert!(html.contains(lang.pick("再次点击可移动", "tap again to move it")));

        let html = render(unpinned, lang);
        assert!(html.contains("id=\"floor-plan\""));
        assert!(
            !html.contains("plan-pin") && !html.contains("clear-pin"),
            "{html}"
        );
        assert!(
            html.contains(lang.pick("点击平面图标出问题位置", "Tap the plan where the defect is"))
        );
    }
}

#[test]
fn a_finding_shows_its_pin_on_the_plan_read_only() {
    fn root(lang: Lang) -> Element {
        let project = project();
        let unit = project.buildings[0].units[2].id.clone();
        let record = unit_with_finding(&project, &unit).read().unwrap();
        let row = finding_rows(
            &record.findings,
            &BTreeMap::new(),
            Some(&project),
            &template(),
            NOW,
            &WorkflowSettings::default(),
            lang,
        )
        .remove(0);
        rsx! {
            FindingScreen {
                lang,
                row,
                photos: vec![],
                plan: Some(plan_view(Some((0.5, 0.75)))),
                reinspect: None,
                on_text: |_| {},
                on_files: |_| {},
                on_remove: |_| {},
                on_decide: |_| {},
            }
        }
    }
    for lang in LANGS {
        let html = render(root, lang);
        assert!(html.contains("id=\"floor-plan\""), "{html}");
        assert!(html.contains("left:50.000%;top:75.000%"), "{html}");
        assert!(html.contains(lang.pick("平面图", "Floor plan")));
        assert!(!html.contains("clear-pin"), "read-only: {html}");
    }
}

#[test]
fn the_findings_list_shows_status_conflicts_and_evidence_requests() {
    fn root(lang: Lang) -> Element {
        let project = project();
        let unit = project.buildings[0].units[2].id.clone();
        let record = unit_with_finding(&project, &unit).read().unwrap();
        let mut rows = finding_rows(
            &record.findings,
            &BTreeMap::new(),
            Some(&project),
            &template(),
            NOW,
            &WorkflowSettings::default(),
            lang,
        );
        rows[0].conflicts.push(ConflictRow {
            field: "severity".into(),
            values: vec!["S2".into(), "S1".into()],
        });
        rows[0].overdue = true;
        rsx! { FindingsScreen { lang, rows, on_open: |_| {} } }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains(Status::Open.label_zh()), "{zh}");
    assert!(zh.contains("水槽下水慢"));
    assert!(zh.contains("已超期") && zh.contains("有冲突") && zh.contains("办公室要求补充证据"));
    let en = render(root, Lang::En);
    assert!(
        en.contains(Status::Open.label_en()) && en.contains("Overdue") && en.contains("Conflict")
    );

    fn empty(lang: Lang) -> Element {
        rsx! { FindingsScreen { lang, rows: vec![], on_open: |_| {} } }
    }
    assert!(render(empty, Lang::Zh).contains("该单元没有记录问题"));
}

#[test]
fn a_finding_shows_its_evidence_conflicts_timeline_and_the_reinspection() {
    fn root(lang: Lang) -> Element {
        let project = project();
        let unit = project.buildings[0].units[2].id.clone();
        let record = unit_with_finding(&project, &unit).read().unwrap();
        let mut row = finding_rows(
            &record.findings,
            &BTreeMap::new(),
            Some(&project),
            &template(),
            NOW,
            &WorkflowSettings::default(),
            lang,
        )
        .remove(0);
        row.conflicts.push(ConflictRow {
            field: lang.pick("严重程度", "Severity").to_owned(),
            values: vec!["S2".into(), "S1".into()],
        });
        let photos = vec![
            PhotoThumb {
                key: "a".into(),
                thumb: Some("data:image/jpeg;base64,BBBB".into()),
            },
            PhotoThumb {
                key: "b".into(),
                thumb: None,
            },
        ];
        let reinspect = Some(ReinspectView {
            text: String::new(),
            photos: vec![],
            processing: 0,
            error: Some(Msg::ReasonRequired.text(lang).to_owned()),
        });
        rsx! {
            FindingScreen {
                lang,
                row,
                photos,
                reinspect,
                on_text: |_| {},
                on_files: |_| {},
                on_remove: |_| {},
                on_decide: |_| {},
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains("data:image/jpeg;base64,BBBB") && zh.contains("照片未下载"));
    assert!(zh.contains("两人同时修改了此项") && zh.contains("S1"));
    assert!(
        zh.contains("重拍: 看不清"),
        "the office's request and note: {zh}"
    );
    assert!(zh.contains("复验") && zh.contains("验收合格") && zh.contains("验收不合格"));
    assert!(zh.contains("不合格需填写原因"));
    assert!(zh.contains("处理记录"), "the timeline");
    let en = render(root, Lang::En);
    assert!(
        en.contains("Re-inspection")
            && en.contains("Accept the repair")
            && en.contains("Re-shoot: 看不清")
    );
    assert!(en.contains("Photo not downloaded") && en.contains("Timeline"));
}

fn pending_outbox() -> Outbox {
    Outbox {
        records: vec![PendingRecord {
            doc: "unit:licheng-b1-101".parse().unwrap(),
            changes: 3,
            refused: Some("这不是本设备的修改".into()),
        }],
        photos: vec![PendingPhoto {
            hash: BlobHash::of(b"photo"),
            of: plumbline_app::local_records::EvidenceOf::Finding("f-1".parse().unwrap()),
            state: UploadState::Uploading,
            percent: 40,
            error: None,
            since: NOW,
        }],
        actions: vec![PendingAction {
            event: "e-1".parse().unwrap(),
            since: NOW,
            refused: Some("该问题不属于贵单位".into()),
        }],
        set_aside: vec![SetAside {
            id: 7,
            doc: "unit:licheng-b1-102".parse().unwrap(),
            reason: "finding `f-9`: `garage.door` is not on the checklist".into(),
            at: NOW,
            work: vec![SetAsideWork {
                kind: WorkKind::NewFinding,
                finding: Some("f-9".parse().unwrap()),
                description: "车库门变形".into(),
            }],
            changes: 2,
        }],
    }
}

#[test]
fn sync_shows_what_is_unsynced_progress_and_failures_in_words() {
    fn root(lang: Lang) -> Element {
        let status = SyncStatus {
            enrolled: true,
            signed_out: false,
            running: true,
            last_success: Some(NOW),
            last_error: Some("the server cannot be reached: connection refused".into()),
            last_error_transient: true,
        };
        let progress = SyncProgress {
            docs_done: 1,
            docs_total: 2,
            photos_done: 0,
            photos_total: 1,
            bytes_sent: 0,
            bytes_total: 2,
        };
        let view = sync::sync_view(&status, &pending_outbox(), Some(&progress), lang);
        rsx! { SyncScreen { lang, view, on_sync: |_| {}, on_export: |_| {}, exported: None } }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains("上次同步") && zh.contains(&NOW.china_minute()));
    assert!(
        zh.contains("id=\"unsynced-records\">2<") && zh.contains("id=\"unsynced-photos\">1<"),
        "a document and a foreman's action; one photo: {zh}"
    );
    assert!(
        zh.contains("该问题不属于贵单位"),
        "a refused action says why"
    );
    assert!(
        zh.contains("正在同步… 25%"),
        "1 of 2 records + 0 of 2 bytes: {zh}"
    );
    assert!(zh.contains("role=\"progressbar\""));
    assert!(
        zh.contains("无法连接服务器。记录已保存在本机") && !zh.contains("connection refused"),
        "a network failure in the person's words: {zh}"
    );
    assert!(zh.contains("服务器拒收") && zh.contains("这不是本设备的修改"));
    assert!(zh.contains("上传中 40%"));
    assert!(
        zh.contains("已搁置的记录（服务器拒收）")
            && zh.contains("新问题：车库门变形")
            && zh.contains("garage.door")
            && zh.contains("导出"),
        "the set-aside work, what it was and why: {zh}"
    );
    let en = render(root, Lang::En);
    assert!(en.contains("Work set aside") && en.contains("New finding: 车库门变形"));
    assert!(
        en.contains("Last sync")
            && en.contains("Refused by the server")
            && en.contains("uploading 40%")
    );

    fn done(lang: Lang) -> Element {
        let view = sync::sync_view(&SyncStatus::default(), &Outbox::default(), None, lang);
        rsx! { SyncScreen { lang, view, on_sync: |_| {}, on_export: |_| {}, exported: None } }
    }
    let zh = render(done, Lang::Zh);
    assert!(zh.contains("从未同步") && zh.contains("所有记录和照片都已在服务器上"));
    assert!(render(done, Lang::En).contains("Every record and photo is on the server."));
}

#[test]
fn settings_show_storage_account_and_ask_before_discarding_unsynced_work() {
    fn root(lang: Lang) -> Element {
        rsx! {
            SettingsScreen {
                lang,
                account: Some(AccountView {
                    name: "王丽".into(),
                    roles: vec!["licheng 投诉代表".into()],
                    device: "dev-42".into(),
                    server: "http://10.0.0.5:8080".into(),
                }),
                storage: Some(StorageView { used_mb: 12, free_mb: 300, photos_left: 250, warning: Some(Msg::StorageLow) }),
                confirm: Some(UnsyncedWork { records: 2, photos: 5 }),
                started_ms: Some(850),
                on_lang: |_| {},
                on_sign_out: |_| {},
                on_discard: |_| {},
                on_sync_first: |_| {},
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(zh.contains("王丽") && zh.contains("dev-42") && zh.contains("http://10.0.0.5:8080"));
    assert!(zh.contains("12 MB") && zh.contains("可用 300 MB") && zh.contains("250 张照片"));
    assert!(zh.contains("空间不足"));
    assert!(
        zh.contains("尚未同步，退出将永久丢失")
            && zh.contains("未同步的记录: 2")
            && zh.contains("未上传的照片: 5")
    );
    assert!(zh.contains("先同步") && zh.contains("丢弃并退出"));
    assert!(
        !zh.contains("id=\"sign-out\""),
        "while asking, the plain sign-out button is gone"
    );
    assert!(zh.contains("id=\"lang-zh-CN\" class=\"on\""));
    let en = render(root, Lang::En);
    assert!(
        en.contains("Discard and sign out")
            && en.contains("Sync first")
            && en.contains("Space is low")
    );
    assert!(en.contains("id=\"lang-en\" class=\"on\""));
}

#[test]
fn the_shell_has_tabs_a_back_button_and_counts_unsynced_work() {
    fn root(lang: Lang) -> Element {
        rsx! {
            Shell {
                lang,
                title: "1-101".to_owned(),
                home: Tab::Units,
                current: Tab::Sync,
                unsynced: 3,
                on_tab: |_| {},
                on_back: Some(EventHandler::new(|_| {})),
                p { "body" }
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(
        zh.contains("单元") && zh.contains("同步") && zh.contains("设置") && zh.contains("返回")
    );
    assert!(zh.contains("id=\"tab-sync\" class=\"current\""), "{zh}");
    assert!(zh.contains("class=\"badge\">3<"));
    assert!(zh.contains("<p>body</p>"));
    let en = render(root, Lang::En);
    assert!(en.contains("Units") && en.contains("Settings") && en.contains("Back"));
    for lang in LANGS {
        assert!(!render(root, lang).is_empty());
    }
}

#[test]
fn the_foreman_sees_the_companys_tasks_and_answers_one() {
    use plumbline_app::ui::screens::tasks::{TaskForm, TaskRow, TasksScreen};
    fn root(lang: Lang) -> Element {
        let rows = vec![TaskRow {
            finding: "f-1".parse().unwrap(),
            unit: "1-101".into(),
            place: lang
                .pick("卫生间 · 闭水试验", "Bathroom · Ponding test")
                .into(),
            description: "闭水试验渗漏".into(),
            status: lang
                .pick(Status::Notified.label_zh(), Status::Notified.label_en())
                .into(),
            notice: Some("ZG-2026-0042".into()),
            respond_by: Some("2026-12-05 14:00".into()),
            repair_by: Some("2026-12-08 10:00".into()),
            overdue: true,
        }];
        let form = TaskForm {
            text: String::new(),
            photos: vec![],
            processing: 0,
            error: Some(Msg::DisputeReasonRequired.text(lang).to_owned()),
        };
        rsx! {
            TasksScreen {
                lang,
                rows,
                fetched: Some("2026-12-05 10:00".to_owned()),
                queued: 2,
                open: Some("f-1".parse().unwrap()),
                form,
                on_refresh: |_| {},
                on_open: |_| {},
                on_text: |_| {},
                on_files: |_| {},
                on_remove: |_| {},
                on_answer: |_| {},
            }
        }
    }
    let zh = render(root, Lang::Zh);
    assert!(
        zh.contains("任务更新于 2026-12-05 10:00") && zh.contains("待发送的操作: 2"),
        "{zh}"
    );
    assert!(zh.contains("1-101 · 卫生间 · 闭水试验") && zh.contains("ZG-2026-0042"));
    assert!(zh.contains("响应期限 2026-12-05 14:00") && zh.contains("已超期"));
    assert!(
        zh.contains("已到现场")
            && zh.contains("修复完成")
            && zh.contains("申诉")
            && zh.contains("提交方案")
    );
    assert!(zh.contains("申诉需填写原因"));
    let en = render(root, Lang::En);
    assert!(en.contains("On site now") && en.contains("Repair done") && en.contains("Dispute"));
    assert!(en.contains("Tasks as of") && en.contains("Actions waiting to be sent: 2"));

    fn never(lang: Lang) -> Element {
        rsx! {
            TasksScreen {
                lang,
                rows: vec![],
                fetched: None,
                queued: 0,
                open: None,
                form: TaskForm::default(),
                on_refresh: |_| {},
                on_open: |_| {},
                on_text: |_| {},
                on_files: |_| {},
                on_remove: |_| {},
                on_answer: |_| {},
            }
        }
    }
    assert!(render(never, Lang::Zh).contains("尚未取得任务"));
    assert!(render(never, Lang::En).contains("No task list yet"));
}

#[test]
fn the_home_screen_lists_the_latest_notifications_escalations_marked() {
    use plumbline_app::ui::model::notices::{SHOWN, notice_lines};
    use plumbline_app::ui::screens::notices::NoticesCard;
    use plumbline_shared::api::NotificationItem;
    use plumbline_shared::workflow::reminder::ReminderKind;

    let item = |id: i64, kind: ReminderKind, read: bool| NotificationItem {
        id,
        project: "licheng".parse().unwrap(),
        unit: "licheng-b1-101".parse().unwrap(),
        finding: "f1".parse().unwrap(),
        kind,
        notice_no: Some("ZG-2026-0001".into()),
        due_at: NOW,
        created_at: NOW,
        read_at: read.then_some(NOW),
    };
    // Newest first, as the server sends them.
    let items = vec![
        item(2, ReminderKind::ResponseOverdue, false),
        item(1, ReminderKind::ResponseDueSoon, true),
    ];
    let lines = notice_lines(&items, Lang::Zh);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].what, "响应超时 · ZG-2026-0001");
    assert!(lines[0].escalation && lines[0].unread);
    assert!(!lines[1].escalation && !lines[1].unread);
    let many: Vec<NotificationItem> = (0..25)
        .map(|i| item(i, ReminderKind::CallbackDue, false))
        .collect();
    assert_eq!(notice_lines(&many, Lang::En).len(), SHOWN);

    thread_local! {
        static ITEMS: std::cell::RefCell<Vec<NotificationItem>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    ITEMS.with(|i| *i.borrow_mut() = items.clone());
    fn root(lang: Lang) -> Element {
        let lines = ITEMS.with(|i| notice_lines(&i.borrow(), lang));
        rsx! { NoticesCard { lang, notices: lines, openable: true, on_open: |_| {} } }
    }
    let zh = render(root, Lang::Zh);
    assert!(
        zh.contains("通知") && zh.contains("响应超时 · ZG-2026-0001"),
        "{zh}"
    );
    assert!(
        zh.contains("entry escalation") && zh.contains("未读"),
        "{zh}"
    );
    let en = render(root, Lang::En);
    assert!(en.contains("Response overdue · ZG-2026-0001"), "{en}");
    assert!(en.contains("4-hour response due soon"), "{en}");

    ITEMS.with(|i| i.borrow_mut().clear());
    assert!(!render(root, Lang::Zh).contains("notices"));
}
