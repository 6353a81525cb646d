//! The root of the app: which screen is showing, the engine's events, and the commands each
//! screen's buttons send. Screens get view models built here from the engine's records;
//! nothing below this file reads the engine.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::LazyLock;
use std::time::Instant;

use dioxus::prelude::*;

use plumbline_shared::doc::evidence::PlanPin;
use plumbline_shared::doc::round::Outcome;
use plumbline_shared::doc::unit::{NewFinding, UnitRecord};
use plumbline_shared::event::Origin;
use plumbline_shared::floor_plan::FloorPlan;
use plumbline_shared::ids::{
    BlobHash, BuildingId, CategoryId, FindingId, ItemId, ProjectId, RoomId, UnitId,
};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::template::{ChecklistTemplate, residential};
use plumbline_shared::workflow::Status;

use crate::account::{SignOutError, UnsyncedWork};
use crate::contractor::ForemanStep;
use crate::engine::Engine;
use crate::events::{EngineEvent, SyncProgress};
use crate::signature::Stroke;
use crate::ui::errors::{describe, describe_scan};
use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::enroll::enroll_target;
use crate::ui::model::grid::{BuildingGrid, ProjectOverview, assignment_lines, building_grid};
use crate::ui::model::notices::notice_lines;
use crate::ui::model::walk as walk_model;
use crate::ui::model::{checklist, findings, image_data_uri, jpeg_data_uri, sync};
use crate::ui::photos::{DraftPhotos, gallery, read_bounded};
use crate::ui::screens::enroll::EnrollScreen;
use crate::ui::screens::finding::{FindingScreen, PhotoThumb, ReinspectView};
use crate::ui::screens::finding_editor::{EditorView, FindingEditorScreen};
use crate::ui::screens::findings::FindingsScreen;
use crate::ui::screens::floor_plan::PlanView;
use crate::ui::screens::folder_pick::GalleryEntry;
use crate::ui::screens::grid::GridScreen;
use crate::ui::screens::notices::NoticesCard;
use crate::ui::screens::projects::ProjectsScreen;
use crate::ui::screens::settings::{AccountView, SettingsScreen, StorageView};
use crate::ui::screens::shell::{Shell, Tab};
use crate::ui::screens::sync::SyncScreen;
use crate::ui::screens::tasks::{Answer, TaskForm, TaskRow, TasksScreen};
use crate::ui::screens::unit::UnitScreen;
use crate::ui::screens::walk::WalkScreen;
use plumbline_media::capture::qr::scan_enrollment;
use plumbline_media::capture::{CaptureSettings, StorageStatus};
use plumbline_shared::doc::walk::WalkSnapshot;
use plumbline_shared::time::Timestamp;

/// What the shell hands the app: the engine, where the camera roll is, and when the process
/// started (for the cold-start figure).
#[derive(Debug, Clone)]
pub struct AppContext {
    /// The device engine.
    pub engine: Engine,
    /// The camera-roll folder, when there is one.
    pub photo_folder: Option<PathBuf>,
    /// When the process started.
    pub started: Instant,
    /// A server address to offer on the enroll screen (the demo's own).
    pub server_hint: Option<String>,
}

/// The template the checklist follows. Projects all name the residential template today;
/// when one can choose its own, this becomes a lookup by `Project::template`.
static TEMPLATE: LazyLock<ChecklistTemplate> = LazyLock::new(residential);

/// Whether a unit grid was shown since the process started (the cold-start figure is logged
/// once, for the first).
static GRID_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The preference key of the language.
const LANG_KEY: &str = "lang";

/// Where the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Home,
    Grid {
        project: ProjectId,
        building: BuildingId,
    },
    Unit(UnitId),
    Editor {
        unit: UnitId,
        room: RoomId,
        item: ItemId,
    },
    Findings(UnitId),
    /// The owner's joint inspection of a unit.
    Walk(UnitId),
    Finding {
        unit: UnitId,
        finding: FindingId,
    },
    Tasks(ProjectId),
    Sync,
    Settings,
}

/// The finding being written.
#[derive(Debug, Clone)]
struct Draft {
    category: CategoryId,
    severity: Severity,
    description: String,
    gallery: Option<Vec<GalleryEntry>>,
    error: Option<String>,
    /// Where on the floor plan, as fractions from the top-left, once tapped.
    pin: Option<(f64, f64)>,
}

/// The re-inspection being written.
#[derive(Debug, Clone, Default)]
struct Reinspection {
    text: String,
    error: Option<String>,
}

/// All unit records of a project that are on the phone.
fn records_of(engine: &Engine, project: &Project) -> BTreeMap<UnitId, UnitRecord> {
    let on_device: std::collections::BTreeSet<UnitId> =
        engine.units().unwrap_or_default().into_iter().collect();
    project
        .units()
        .filter(|(_, u)| on_device.contains(&u.id))
        .filter_map(|(_, u)| engine.unit(&u.id).ok().map(|r| (u.id.clone(), r)))
        .collect()
}

/// The root component.
#[allow(non_snake_case)]
pub fn InspectorApp() -> Element {
    let ctx = use_context::<AppContext>();
    let engine = ctx.engine.clone();
    let mut lang = use_signal(|| {
        engine
            .preference(LANG_KEY)
            .ok()
            .flatten()
            .map_or(Lang::Zh, |v| Lang::parse(&v))
    });
    let mut revision = use_signal(|| 0_u64);
    let mut progress = use_signal(|| None::<SyncProgress>);
    let mut stack = use_signal(|| vec![Route::Home]);
    let mut toast = use_signal(|| None::<String>);
    // Where the last export of set-aside work was written, shown on the sync screen.
    let mut exported = use_signal(|| None::<String>);

    // Every change the engine reports re-reads the records the screens show.
    use_future({
        let engine = engine.clone();
        move || {
            let mut events = engine.subscribe();
            async move {
                loop {
                    match events.recv().await {
                        Ok(EngineEvent::SyncProgress(p)) => progress.set(Some(p)),
                        Ok(EngineEvent::SyncStarted) => progress.set(None),
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            *revision.write() += 1;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            }
        }
    });

    let _ = revision();
    let lang_now = lang();
    let Some(identity) = engine.identity() else {
        return rsx! {
            EnrollFlow {
                lang: lang_now,
                on_lang: move |l: Lang| lang.set(l),
                on_enrolled: move |_| {
                    stack.set(vec![Route::Home]);
                    *revision.write() += 1;
                },
            }
        };
    };

    // A contractor's foreman sees the company's tasks first; everyone else the projects.
    let foreman_project = identity
        .memberships
        .iter()
        .find(|m| m.role == Role::Contractor)
        .map(|m| m.project.clone())
        .filter(|_| {
            identity
                .memberships
                .iter()
                .all(|m| m.role == Role::Contractor)
        });
    let home = foreman_project.clone().map_or(Route::Home, Route::Tasks);
    let route = stack
        .read()
        .last()
        .cloned()
        .map(|r| if r == Route::Home { home.clone() } else { r })
        .unwrap_or_else(|| home.clone());
    let unsynced = engine
        .outbox()
        .map(|o| o.records.len() + o.photos.len())
        .unwrap_or(0);
    let projects = engine.projects().unwrap_or_default();
    let project_of = |unit: &UnitId| projects.iter().find(|p| p.unit(unit).is_some()).cloned();
    let unit_label = |unit: &UnitId| {
        project_of(unit)
            .and_then(|p| p.unit(unit).map(|(_, u)| u.label.clone()))
            .unwrap_or_else(|| unit.to_string())
    };

    let mut push = move |r: Route| {
        toast.set(None);
        stack.write().push(r);
    };
    let mut back = move |_: ()| {
        let mut s = stack.write();
        if s.len() > 1 {
            s.pop();
        }
    };
    let home_tab = if foreman_project.is_some() {
        Tab::Tasks
    } else {
        Tab::Units
    };
    let tab_of = |r: &Route| match r {
        Route::Sync => Tab::Sync,
        Route::Settings => Tab::Settings,
        _ => home_tab,
    };

    let (title, body): (String, Element) = match route.clone() {
        Route::Home => {
            let overviews: Vec<ProjectOverview> = projects
                .iter()
                .map(|p| {
                    let records = records_of(&engine, p);
                    ProjectOverview {
                        id: p.id.clone(),
                        name: lang_now.pick(&p.name_zh, &p.name_en).to_owned(),
                        assignments: assignment_lines(
                            p,
                            &identity.user,
                            engine.now().date_cst(),
                            lang_now,
                        ),
                        buildings: p
                            .buildings
                            .iter()
                            .map(|b| {
                                building_grid(
                                    p,
                                    b,
                                    &records,
                                    &TEMPLATE,
                                    engine.now(),
                                    &p.workflow,
                                    lang_now,
                                )
                            })
                            .collect(),
                    }
                })
                .collect();
            (
                Msg::Projects.text(lang_now).to_owned(),
                rsx! {
                    NoticesCard {
                        lang: lang_now,
                        notices: notice_lines(&engine.notifications().unwrap_or_default(), lang_now),
                        openable: true,
                        on_open: move |unit| push(Route::Unit(unit)),
                    }
                    ProjectsScreen {
                        lang: lang_now,
                        projects: overviews,
                        on_open: move |(project, building)| push(Route::Grid { project, building }),
                    }
                },
            )
        }
        Route::Grid { project, building } => {
            let grid: Option<BuildingGrid> =
                projects.iter().find(|p| p.id == project).and_then(|p| {
                    let records = records_of(&engine, p);
                    p.buildings.iter().find(|b| b.id == building).map(|b| {
                        building_grid(
                            p,
                            b,
                            &records,
                            &TEMPLATE,
                            engine.now(),
                            &p.workflow,
                            lang_now,
                        )
                    })
                });
            match grid {
                Some(grid) => {
                    if !GRID_SHOWN.swap(true, std::sync::atomic::Ordering::Relaxed) {
                        tracing::info!(
                            ms = ctx.started.elapsed().as_millis() as u64,
                            building = %building,
                            "first unit grid shown"
                        );
                    }
                    (
                        format!("{} · {}", grid.project_name, grid.name),
                        rsx! {
                            GridScreen { lang: lang_now, grid, on_open: move |unit| push(Route::Unit(unit)) }
                        },
                    )
                }
                None => (String::new(), rsx! {}),
            }
        }
        Route::Unit(unit) => match engine.unit(&unit) {
            Ok(record) => {
                let rows = findings::finding_rows(
                    &record.findings,
                    &BTreeMap::new(),
                    None,
                    &TEMPLATE,
                    engine.now(),
                    &project_of(&unit).map(|p| p.workflow).unwrap_or_default(),
                    lang_now,
                );
                let open = rows
                    .iter()
                    .filter(|r| crate::ui::model::grid::is_open(r.status))
                    .count();
                (
                    unit_label(&unit),
                    rsx! {
                        UnitView {
                            lang: lang_now,
                            unit: unit.clone(),
                            rooms: checklist::rooms(&TEMPLATE, &record, lang_now),
                            record: record.clone(),
                            findings: (rows.len(), open),
                            on_navigate: push,
                            on_toast: move |t| toast.set(t),
                        }
                    },
                )
            }
            Err(e) => (
                unit.to_string(),
                rsx! { p { class: "error", "{describe(&e, lang_now)}" } },
            ),
        },
        Route::Editor { unit, room, item } => (
            Msg::NewFinding.text(lang_now).to_owned(),
            rsx! {
                DraftEditor {
                    lang: lang_now,
                    unit: unit.clone(),
                    room,
                    item,
                    on_saved: move |_| {
                        back(());
                        toast.set(Some(Msg::Saved.text(lang()).to_owned()));
                    },
                    on_cancel: back,
                }
            },
        ),
        Route::Findings(unit) => {
            let body = match (engine.unit(&unit), engine.conflicts(&unit)) {
                (Ok(record), Ok(conflicts)) => {
                    let project = project_of(&unit);
                    let rows = findings::finding_rows(
                        &record.findings,
                        &conflicts,
                        project.as_ref(),
                        &TEMPLATE,
                        engine.now(),
                        &project.as_ref().map(|p| p.workflow).unwrap_or_default(),
                        lang_now,
                    );
                    rsx! {
                        FindingsScreen {
                            lang: lang_now,
                            rows,
                            on_open: {
                                let unit = unit.clone();
                                move |finding| push(Route::Finding { unit: unit.clone(), finding })
                            },
                        }
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    rsx! { p { class: "error", "{describe(&e, lang_now)}" } }
                }
            };
            (
                format!("{} · {}", unit_label(&unit), Msg::Findings.text(lang_now)),
                body,
            )
        }
        Route::Walk(unit) => (
            format!("{} · {}", unit_label(&unit), Msg::JointWalk.text(lang_now)),
            rsx! {
                OwnerWalk {
                    lang: lang_now,
                    unit: unit.clone(),
                    on_signed: move |_| {
                        toast.set(Some(Msg::WalkSigned.text(lang()).to_owned()));
                    },
                }
            },
        ),
        Route::Finding { unit, finding } => (
            unit_label(&unit),
            rsx! {
                FindingView {
                    lang: lang_now,
                    unit: unit.clone(),
                    finding,
                    project: project_of(&unit),
                    can_accept: identity
                        .memberships
                        .iter()
                        .any(|m| matches!(m.role, Role::Inspector | Role::Manager)),
                    on_toast: move |t| toast.set(t),
                }
            },
        ),
        Route::Tasks(project) => (
            Msg::MyTasks.text(lang_now).to_owned(),
            rsx! {
                NoticesCard {
                    lang: lang_now,
                    notices: notice_lines(&engine.notifications().unwrap_or_default(), lang_now),
                    openable: false,
                    on_open: |_| {},
                }
                TasksView {
                    lang: lang_now,
                    project: project.clone(),
                    unit_labels: projects
                        .iter()
                        .flat_map(|p| p.units().map(|(_, u)| (u.id.clone(), u.label.clone())))
                        .collect::<BTreeMap<UnitId, String>>(),
                    queued: engine.outbox().map(|o| o.actions.len()).unwrap_or(0),
                    on_toast: move |t| toast.set(t),
                }
            },
        ),
        Route::Sync => {
            let view = sync::sync_view(
                &engine.sync_status(),
                &engine.outbox().unwrap_or_default(),
                progress.read().as_ref(),
                lang_now,
            );
            let syncing = engine.clone();
            let exporting = engine.clone();
            (
                Msg::SyncTitle.text(lang_now).to_owned(),
                rsx! {
                    SyncScreen {
                        lang: lang_now,
                        view,
                        on_sync: move |_| {
                            let engine = syncing.clone();
                            spawn(async move {
                                if let Err(e) = engine.sync().await {
                                    tracing::warn!("sync failed: {e}");
                                }
                            });
                        },
                        on_export: move |id| match exporting.export_set_aside(id) {
                            Ok(path) => exported.set(Some(path.display().to_string())),
                            Err(e) => toast.set(Some(e.to_string())),
                        },
                        exported: exported.read().clone(),
                    }
                },
            )
        }
        Route::Settings => (
            Msg::SettingsTitle.text(lang_now).to_owned(),
            rsx! {
                SettingsView {
                    lang: lang_now,
                    on_lang: move |l: Lang| {
                        if let Err(e) = use_context::<AppContext>().engine.set_preference(LANG_KEY, l.code()) {
                            tracing::warn!("language not stored: {e}");
                        }
                        lang.set(l);
                    },
                    on_sync_first: move |_| stack.set(vec![Route::Sync]),
                }
            },
        ),
    };

    let can_go_back = stack.read().len() > 1;
    rsx! {
        Shell {
            lang: lang_now,
            title,
            home: home_tab,
            current: tab_of(&route),
            unsynced,
            on_tab: move |tab| {
                toast.set(None);
                stack.set(vec![match tab {
                    Tab::Sync => Route::Sync,
                    Tab::Settings => Route::Settings,
                    Tab::Units | Tab::Tasks => Route::Home,
                }]);
            },
            on_back: if can_go_back { Some(EventHandler::new(back)) } else { None },
            if let Some(text) = toast() {
                p { class: "ok", id: "toast", onclick: move |_| toast.set(None), "{text}" }
            }
            {body}
        }
    }
}

/// Enrolling: the form and the call to the server.
#[component]
fn EnrollFlow(lang: Lang, on_lang: EventHandler<Lang>, on_enrolled: EventHandler<()>) -> Element {
    let ctx = use_context::<AppContext>();
    let engine = ctx.engine.clone();
    let mut server = use_signal(|| ctx.server_hint.clone().unwrap_or_default());
    let mut code = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);
    // Enrolls with a server and a code, typed or read from the QR code.
    let mut enroll = move |address: String, one_time: String| {
        busy.set(true);
        error.set(None);
        let engine = use_context::<AppContext>().engine;
        spawn(async move {
            let name = device_name();
            match engine.enroll(&address, &one_time, &name).await {
                Ok(_) => on_enrolled.call(()),
                Err(e) => error.set(Some(describe(&e, lang))),
            }
            busy.set(false);
        });
    };
    // Reads the enrollment code in a picture on a blocking thread, then enrolls with it.
    let mut scan = move |bytes: Vec<u8>| {
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            let scanned = tokio::task::spawn_blocking(move || {
                scan_enrollment(&bytes, &CaptureSettings::default())
            })
            .await
            .map_err(|e| format!("{}: {e}", Msg::ErrPhoto.text(lang)))
            .and_then(|r| r.map_err(|e| describe_scan(&e, lang)));
            busy.set(false);
            match scanned {
                Ok((address, one_time)) => {
                    tracing::info!(server = %address, "enrollment code read from a picture");
                    enroll(address, one_time);
                }
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let folder = ctx.photo_folder.clone();
    let mut pictures = use_signal(|| None::<Vec<GalleryEntry>>);
    rsx! {
        EnrollScreen {
            lang,
            server: server(),
            code: code(),
            busy: busy(),
            ready: enroll_target(&server.read(), &code.read()).is_some(),
            error: error(),
            on_server: move |v| server.set(v),
            on_code: move |v| code.set(v),
            on_lang: move |l: Lang| {
                if let Err(e) = engine.set_preference(LANG_KEY, l.code()) {
                    tracing::warn!("language not stored: {e}");
                }
                on_lang.call(l);
            },
            on_submit: move |_| {
                if busy() {
                    return;
                }
                let Some((address, one_time)) = enroll_target(&server.read(), &code.read()) else {
                    return;
                };
                enroll(address, one_time);
            },
            gallery: pictures(),
            on_scan: move |evt: FormEvent| {
                let Some(file) = evt.files().into_iter().next() else {
                    return;
                };
                spawn(async move {
                    match file.read_bytes().await {
                        Ok(bytes) => scan(bytes.to_vec()),
                        Err(e) => error.set(Some(format!("{}: {e}", Msg::ErrPhoto.text(lang)))),
                    }
                });
            },
            on_open_gallery: move |_| {
                pictures.set(Some(folder.as_deref().map(gallery).unwrap_or_default()));
            },
            on_gallery_pick: move |path: String| {
                pictures.set(None);
                match read_bounded(std::path::Path::new(&path)) {
                    Ok(bytes) => scan(bytes),
                    Err(e) => error.set(Some(format!("{}: {e}", Msg::ErrPhoto.text(lang)))),
                }
            },
        }
    }
}

/// The name the office sees for this device.
fn device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    if host.is_empty() {
        format!("Plumbline ({})", std::env::consts::OS)
    } else {
        format!("Plumbline ({host})")
    }
}

/// A unit's checklist with its open room.
#[component]
fn UnitView(
    lang: Lang,
    unit: UnitId,
    record: UnitRecord,
    rooms: Vec<checklist::RoomSummary>,
    findings: (usize, usize),
    on_navigate: EventHandler<Route>,
    on_toast: EventHandler<Option<String>>,
) -> Element {
    let mut open_room = use_signal(|| None::<RoomId>);
    let items = open_room
        .read()
        .as_ref()
        .map(|room| checklist::items(&TEMPLATE, &record, room, lang))
        .unwrap_or_default();
    let unit_for_mark = unit.clone();
    let unit_for_view = unit.clone();
    let unit_for_list = unit.clone();
    let unit_for_walk = unit.clone();
    rsx! {
        UnitScreen {
            lang,
            rooms,
            open_room: open_room(),
            items,
            findings,
            on_room: move |room: RoomId| {
                let same = open_room.read().as_ref() == Some(&room);
                open_room.set(if same { None } else { Some(room) });
            },
            on_mark: move |(item, outcome): (ItemId, Outcome)| {
                if outcome == Outcome::Defect {
                    if let Some((room, _)) = TEMPLATE.item(&item) {
                        on_navigate.call(Route::Editor {
                            unit: unit_for_mark.clone(),
                            room: room.id.clone(),
                            item,
                        });
                    }
                    return;
                }
                let engine = use_context::<AppContext>().engine;
                if let Err(e) = engine.mark_item(&unit_for_mark, &item, outcome) {
                    on_toast.call(Some(describe(&e, lang)));
                }
            },
            on_view_finding: move |finding| {
                on_navigate.call(Route::Finding { unit: unit_for_view.clone(), finding });
            },
            on_findings: move |_| on_navigate.call(Route::Findings(unit_for_list.clone())),
            on_walk: move |_| on_navigate.call(Route::Walk(unit_for_walk.clone())),
        }
    }
}

/// The owner's joint inspection: the list, the form and the pad, and signing.
#[component]
fn OwnerWalk(lang: Lang, unit: UnitId, on_signed: EventHandler<()>) -> Element {
    let engine = use_context::<AppContext>().engine;
    let mut name = use_signal(String::new);
    let mut phone = use_signal(String::new);
    let mut strokes = use_signal(Vec::<Stroke>::new);
    let mut error = use_signal(|| None::<String>);
    // Walks signed here: reading it makes a signature show among the signed at once.
    let mut signed_here = use_signal(|| 0_u32);
    let _ = signed_here();
    // What the owner is shown, and its digest: signing refuses when the list moved on since.
    let shown = engine.walk_findings(&unit).map(|f| {
        (
            walk_model::walk_lines(&f, &TEMPLATE, lang),
            WalkSnapshot::list_digest(&f),
        )
    });
    let (lines, digest) = match shown {
        Ok((l, d)) => (Ok(l), d),
        Err(e) => (Err(e), String::new()),
    };
    let signed = engine.walks(&unit).map(|w| walk_model::signed_lines(&w));
    let (lines, signed) = match (lines, signed) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => {
            return rsx! { p { class: "error", "{describe(&e, lang)}" } };
        }
    };
    rsx! {
        WalkScreen {
            lang,
            lines,
            signed,
            // Only the fields' first values: they keep what is typed without a re-render of
            // the list at each keystroke.
            name: name.peek().clone(),
            phone: phone.peek().clone(),
            strokes,
            error: error(),
            on_name: move |v| name.set(v),
            on_phone: move |v| phone.set(v),
            on_sign: move |_| {
                let engine = use_context::<AppContext>().engine;
                let signed = engine.sign_walk(&unit, &digest, &name(), &phone(), &strokes.peek());
                match signed {
                    Ok(walk) => {
                        tracing::info!(%walk, "owner's walk signed");
                        // The name and phone stay: a new version is signed by the same owner.
                        error.set(None);
                        strokes.set(Vec::new());
                        signed_here += 1;
                        on_signed.call(());
                    }
                    Err(e) => error.set(Some(describe(&e, lang))),
                }
            },
        }
    }
}

/// Takes the files of a file input into a draft, processing each.
fn take_files(
    evt: FormEvent,
    mut photos: Signal<DraftPhotos>,
    mut error: impl FnMut(Option<String>) + 'static,
    lang: Lang,
) {
    let files = evt.files();
    if files.is_empty() {
        return;
    }
    photos.write().processing += files.len();
    let engine = use_context::<AppContext>().engine;
    spawn(async move {
        for file in files {
            let result = match file.read_bytes().await {
                Ok(bytes) => engine
                    .prepare_photo(bytes.to_vec(), None)
                    .await
                    .map_err(|e| describe(&e, lang)),
                Err(e) => Err(format!("{}: {e}", Msg::ErrPhoto.text(lang))),
            };
            let mut p = photos.write();
            p.processing -= 1;
            match result {
                Ok(photo) => p.push(photo),
                Err(message) => error(Some(message)),
            }
        }
    });
}

/// The floor plan of `unit` (its project's [`Project::plan_for`]) with the image as a `data:`
/// URI, when the image is on the phone; `None` otherwise, and the editor shows no plan.
fn unit_plan(engine: &Engine, unit: &UnitId) -> Option<(FloorPlan, Rc<str>)> {
    let projects = engine.projects().ok()?;
    let plan = projects.iter().find_map(|p| p.plan_for(unit))?.clone();
    let path = engine.plan_image(&plan.image)?;
    match std::fs::read(&path) {
        Ok(bytes) => {
            let src: Rc<str> = image_data_uri(&bytes).into();
            Some((plan, src))
        }
        Err(e) => {
            tracing::warn!(plan = %plan.image, error = %e, "the floor plan could not be read");
            None
        }
    }
}

/// The finding editor with its draft.
#[component]
fn DraftEditor(
    lang: Lang,
    unit: UnitId,
    room: RoomId,
    item: ItemId,
    on_saved: EventHandler<()>,
    on_cancel: EventHandler<()>,
) -> Element {
    let ctx = use_context::<AppContext>();
    let defaults = TEMPLATE
        .item(&item)
        .map(|(_, i)| (i.category.clone(), i.default_severity));
    let mut draft = use_signal(|| Draft {
        category: defaults
            .as_ref()
            .map(|d| d.0.clone())
            .or_else(|| TEMPLATE.categories.first().map(|c| c.id.clone()))
            .expect("the template has categories"),
        severity: defaults.map_or(Severity::S3, |d| d.1),
        description: String::new(),
        gallery: None,
        error: None,
        pin: None,
    });
    let photos = use_signal(DraftPhotos::default);
    // The unit's floor plan, read once when the editor opens (a plan image is up to 10 MiB;
    // typing a description must not read it again on every key).
    let plan: Option<(FloorPlan, Rc<str>)> = use_hook({
        let engine = ctx.engine.clone();
        let unit = unit.clone();
        move || unit_plan(&engine, &unit)
    });
    let room_name = TEMPLATE
        .room(&room)
        .map_or_else(|| room.to_string(), |r| lang.pick(&r.zh, &r.en).to_owned());
    let item_name = TEMPLATE.item(&item).map_or_else(
        || item.to_string(),
        |(_, i)| lang.pick(&i.zh, &i.en).to_owned(),
    );
    let d = draft.read().clone();
    let p = photos.read().clone();
    let view = EditorView {
        room: room_name,
        item: item_name,
        categories: TEMPLATE
            .categories
            .iter()
            .map(|c| (c.id.clone(), lang.pick(&c.zh, &c.en).to_owned()))
            .collect(),
        category: d.category,
        severity: d.severity,
        description: d.description,
        photos: p.view(),
        processing: p.processing,
        gallery: d.gallery,
        error: d.error,
        plan: plan.as_ref().map(|(p, src)| PlanView {
            name: p.name.clone(),
            src: src.clone(),
            pin: d.pin,
        }),
    };
    let folder = ctx.photo_folder.clone();
    let plan_image = plan.map(|(p, _)| p.image);
    rsx! {
        FindingEditorScreen {
            lang,
            view,
            on_category: move |c| draft.write().category = c,
            on_severity: move |s| draft.write().severity = s,
            on_description: move |t| draft.write().description = t,
            on_files: move |evt| take_files(evt, photos, move |e| draft.write().error = e, lang),
            on_open_gallery: move |_| {
                let entries = folder.as_deref().map(gallery).unwrap_or_default();
                draft.write().gallery = Some(entries);
            },
            on_gallery_pick: move |path: String| {
                draft.write().gallery = None;
                let mut photos = photos;
                photos.write().processing += 1;
                let engine = use_context::<AppContext>().engine;
                spawn(async move {
                    let result = match read_bounded(std::path::Path::new(&path)) {
                        Ok(bytes) => engine.prepare_photo(bytes, None).await.map_err(|e| describe(&e, lang)),
                        Err(e) => Err(format!("{}: {e}", Msg::ErrPhoto.text(lang))),
                    };
                    let mut p = photos.write();
                    p.processing -= 1;
                    match result {
                        Ok(photo) => p.push(photo),
                        Err(message) => draft.write().error = Some(message),
                    }
                });
            },
            on_remove: move |key| {
                let mut photos = photos;
                photos.write().remove(key);
            },
            on_pin: move |at| draft.write().pin = Some(at),
            on_clear_pin: move |_| draft.write().pin = None,
            on_save: move |_| {
                let d = draft.read().clone();
                if d.description.trim().is_empty() {
                    draft.write().error = Some(Msg::DescriptionRequired.text(lang).to_owned());
                    return;
                }
                let engine = use_context::<AppContext>().engine;
                let finding = NewFinding {
                    origin: Origin::Inspection,
                    round: None,
                    room: room.clone(),
                    item: item.clone(),
                    category: d.category,
                    severity: d.severity,
                    description: d.description.trim().to_owned(),
                };
                // The pin goes on every photo of the finding: that is where evidence keeps it.
                let pin = plan_image
                    .clone()
                    .zip(d.pin)
                    .map(|(plan, (x, y))| PlanPin { plan, x, y });
                let shots = photos
                    .read()
                    .photos()
                    .into_iter()
                    .map(|mut photo| {
                        photo.pin = pin.clone();
                        photo
                    })
                    .collect();
                match engine.record_defect(&unit, finding, shots) {
                    Ok(_) => on_saved.call(()),
                    Err(e) => draft.write().error = Some(describe(&e, lang)),
                }
            },
            on_cancel: move |_| on_cancel.call(()),
        }
    }
}

/// One finding, with the re-inspection form when a repair awaits acceptance.
#[component]
fn FindingView(
    lang: Lang,
    unit: UnitId,
    finding: FindingId,
    project: Option<Project>,
    can_accept: bool,
    on_toast: EventHandler<Option<String>>,
) -> Element {
    let engine = use_context::<AppContext>().engine;
    let mut form = use_signal(Reinspection::default);
    let photos = use_signal(DraftPhotos::default);
    let thumbs = use_signal(BTreeMap::<String, String>::new);
    // Plan images read so far, by hash: a plan is up to 10 MiB and this view re-renders on
    // every key typed in the re-inspection form.
    let plan_images: Rc<RefCell<HashMap<BlobHash, Rc<str>>>> = use_hook(Default::default);
    let record = match engine.unit(&unit) {
        Ok(r) => r,
        Err(e) => return rsx! { p { class: "error", "{describe(&e, lang)}" } },
    };
    let Some(f) = record.findings.get(&finding).cloned() else {
        return rsx! { p { class: "error", "{Msg::NoFindings.text(lang)}" } };
    };
    let conflicts = engine
        .conflicts(&unit)
        .ok()
        .and_then(|mut c| c.remove(&finding))
        .unwrap_or_default();
    let row = findings::finding_row(
        &f,
        &conflicts,
        project.as_ref(),
        &TEMPLATE,
        engine.now(),
        &project.as_ref().map(|p| p.workflow).unwrap_or_default(),
        lang,
    );
    // Thumbnails: this phone's own from disk, others' downloaded once, in the background.
    let mut evidence: Vec<_> = f.evidence.values().cloned().collect();
    evidence.sort_by_key(|e| (e.captured_at, e.hash.clone()));
    use_effect({
        let engine = engine.clone();
        let evidence = evidence.clone();
        move || {
            let engine = engine.clone();
            let evidence = evidence.clone();
            let mut thumbs = thumbs;
            spawn(async move {
                for e in evidence {
                    if thumbs.peek().contains_key(e.hash.as_str()) {
                        continue;
                    }
                    if let Ok(path) = engine.fetch_thumbnail(&e).await
                        && let Ok(bytes) = std::fs::read(&path)
                    {
                        thumbs
                            .write()
                            .insert(e.hash.to_string(), jpeg_data_uri(&bytes));
                    }
                }
            });
        }
    });
    // The pin, when a photo carries one and its plan is on the phone.
    let plan = evidence.iter().find_map(|e| e.pin.clone()).and_then(|pin| {
        let cached = plan_images.borrow().get(&pin.plan).cloned();
        let src = match cached {
            Some(src) => src,
            None => {
                let bytes = std::fs::read(engine.plan_image(&pin.plan)?).ok()?;
                let src: Rc<str> = image_data_uri(&bytes).into();
                plan_images
                    .borrow_mut()
                    .insert(pin.plan.clone(), src.clone());
                src
            }
        };
        let name = project
            .as_ref()
            .and_then(|p| p.floor_plans.iter().find(|f| f.image == pin.plan))
            .map_or_else(String::new, |f| f.name.clone());
        Some(PlanView {
            name,
            src,
            pin: Some((pin.x, pin.y)),
        })
    });
    let photo_views: Vec<PhotoThumb> = evidence
        .iter()
        .map(|e| PhotoThumb {
            key: e.hash.to_string(),
            thumb: thumbs.read().get(e.hash.as_str()).cloned(),
        })
        .collect();
    let reinspect = (can_accept && row.status == Status::RepairReported).then(|| {
        let f = form.read();
        let p = photos.read();
        ReinspectView {
            text: f.text.clone(),
            photos: p.view(),
            processing: p.processing,
            error: f.error.clone(),
        }
    });
    rsx! {
        FindingScreen {
            lang,
            row,
            photos: photo_views,
            plan,
            reinspect,
            on_text: move |t| form.write().text = t,
            on_files: move |evt| take_files(evt, photos, move |e| form.write().error = e, lang),
            on_remove: move |key| {
                let mut photos = photos;
                photos.write().remove(key);
            },
            on_decide: move |passed: bool| {
                let text = form.read().text.trim().to_owned();
                if !passed && text.is_empty() {
                    form.write().error = Some(Msg::ReasonRequired.text(lang).to_owned());
                    return;
                }
                let engine = use_context::<AppContext>().engine;
                match engine.record_acceptance(&unit, &finding, passed, text, photos.read().photos()) {
                    Ok(()) => {
                        form.set(Reinspection::default());
                        let mut photos = photos;
                        photos.set(DraftPhotos::default());
                        on_toast.call(Some(Msg::Saved.text(lang).to_owned()));
                    }
                    Err(e) => form.write().error = Some(describe(&e, lang)),
                }
            },
        }
    }
}

/// Settings with the sign-out question.
#[component]
fn SettingsView(
    lang: Lang,
    on_lang: EventHandler<Lang>,
    on_sync_first: EventHandler<()>,
) -> Element {
    let ctx = use_context::<AppContext>();
    let engine = ctx.engine.clone();
    let mut confirm = use_signal(|| None::<UnsyncedWork>);
    let mut error = use_signal(|| None::<String>);
    let account = engine.identity().map(|i| AccountView {
        name: i.display_name.clone(),
        roles: i
            .memberships
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m.project,
                    lang.pick(m.role.label_zh(), m.role.label_en())
                )
            })
            .collect(),
        device: i.device.to_string(),
        server: i.server.clone(),
    });
    let storage = engine.storage().ok().map(|status| {
        let used = engine.disk_usage().unwrap_or(0);
        let free = plumbline_media::capture::free_bytes(engine.data_dir()).unwrap_or(0);
        let (photos_left, warning) = match status {
            StorageStatus::Ok { photos_left } => (photos_left, None),
            StorageStatus::Low { photos_left, .. } => (photos_left, Some(Msg::StorageLow)),
            StorageStatus::Full { .. } => (0, Some(Msg::StorageFull)),
        };
        StorageView {
            used_mb: used / (1024 * 1024),
            free_mb: free / (1024 * 1024),
            photos_left,
            warning,
        }
    });
    let mut sign_out = move |discard: bool| {
        let engine = use_context::<AppContext>().engine;
        match engine.sign_out(discard) {
            Ok(()) => confirm.set(None),
            Err(SignOutError::Unsynced(work)) => confirm.set(Some(work)),
            Err(SignOutError::Engine(e)) => error.set(Some(describe(&e, lang))),
        }
    };
    rsx! {
        if let Some(e) = error() {
            p { class: "error", "{e}" }
        }
        SettingsScreen {
            lang,
            account,
            storage,
            confirm: confirm(),
            started_ms: None,
            on_lang,
            on_sign_out: move |_| sign_out(false),
            on_discard: move |_| sign_out(true),
            on_sync_first: move |_| {
                confirm.set(None);
                let engine = use_context::<AppContext>().engine;
                spawn(async move {
                    if let Err(e) = engine.sync().await {
                        tracing::warn!("sync failed: {e}");
                    }
                });
                on_sync_first.call(());
            },
        }
    }
}

/// The foreman's task list with the answer being written.
#[component]
fn TasksView(
    lang: Lang,
    project: ProjectId,
    unit_labels: BTreeMap<UnitId, String>,
    queued: usize,
    on_toast: EventHandler<Option<String>>,
) -> Element {
    let engine = use_context::<AppContext>().engine;
    let mut tasks = use_signal({
        let engine = engine.clone();
        let project = project.clone();
        move || engine.cached_tasks(&project).unwrap_or_default()
    });
    let mut open = use_signal(|| None::<FindingId>);
    let mut text = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let photos = use_signal(DraftPhotos::default);
    let refresh = {
        let project = project.clone();
        move || {
            let engine = use_context::<AppContext>().engine;
            let project = project.clone();
            spawn(async move {
                match engine.refresh_tasks(&project).await {
                    Ok(t) => tasks.set(t),
                    // Offline: the kept list stays, with its age on screen.
                    Err(e) => tracing::info!("task list not refreshed: {e}"),
                }
            });
        }
    };
    use_hook({
        let refresh = refresh.clone();
        move || refresh()
    });
    let now_ms = use_context::<AppContext>().engine.now();
    let rows: Vec<TaskRow> = tasks
        .read()
        .cases
        .iter()
        .map(|c| {
            let case = &c.case;
            let running = case.clock_running;
            let respond_by = case
                .response_deadline
                .filter(|_| case.status == Status::Notified && running);
            let overdue = running
                && ((case.status == Status::Notified
                    && case.response_deadline.is_some_and(|d| d < now_ms))
                    || (matches!(case.status, Status::Notified | Status::InRepair)
                        && case.repair_deadline.is_some_and(|d| d < now_ms)));
            let room = case
                .room
                .parse()
                .ok()
                .and_then(|id| TEMPLATE.room(&id))
                .map_or_else(|| case.room.clone(), |r| lang.pick(&r.zh, &r.en).to_owned());
            let item = case
                .item
                .parse()
                .ok()
                .and_then(|id| TEMPLATE.item(&id))
                .map_or_else(
                    || case.item.clone(),
                    |(_, i)| lang.pick(&i.zh, &i.en).to_owned(),
                );
            TaskRow {
                finding: case.finding.clone(),
                unit: unit_labels
                    .get(&c.unit)
                    .cloned()
                    .unwrap_or_else(|| c.unit.to_string()),
                place: format!("{room} · {item}"),
                description: case.description.clone(),
                status: lang
                    .pick(case.status.label_zh(), case.status.label_en())
                    .to_owned(),
                notice: case.notice_no.clone(),
                respond_by: respond_by.map(Timestamp::china_minute),
                repair_by: case.repair_deadline.map(Timestamp::china_minute),
                overdue,
            }
        })
        .collect();
    let p = photos.read().clone();
    let form = TaskForm {
        text: text(),
        photos: p.view(),
        processing: p.processing,
        error: error(),
    };
    rsx! {
        TasksScreen {
            lang,
            rows,
            fetched: tasks.read().fetched_at.map(Timestamp::china_minute),
            queued,
            open: open(),
            form,
            on_refresh: {
                let refresh = refresh.clone();
                move |_| refresh()
            },
            on_open: move |id: FindingId| {
                let same = open.read().as_ref() == Some(&id);
                open.set(if same { None } else { Some(id) });
                text.set(String::new());
                error.set(None);
                let mut photos = photos;
                photos.set(DraftPhotos::default());
            },
            on_text: move |t| text.set(t),
            on_files: move |evt| take_files(evt, photos, move |e| error.set(e), lang),
            on_remove: move |key| {
                let mut photos = photos;
                photos.write().remove(key);
            },
            on_answer: move |answer: Answer| {
                let Some(id) = open() else { return };
                let Some(case) = tasks.read().cases.iter().find(|c| c.case.finding == id).cloned() else {
                    return;
                };
                let note = text().trim().to_owned();
                let shots = photos.read().photos();
                let step = match answer {
                    Answer::OnSite => ForemanStep::OnSite { note },
                    Answer::Plan => ForemanStep::Plan { note },
                    Answer::RepairDone if shots.is_empty() => {
                        error.set(Some(Msg::RepairPhotosRequired.text(lang).to_owned()));
                        return;
                    }
                    Answer::RepairDone => ForemanStep::RepairDone { note },
                    Answer::Dispute if note.is_empty() => {
                        error.set(Some(Msg::DisputeReasonRequired.text(lang).to_owned()));
                        return;
                    }
                    Answer::Dispute => ForemanStep::Dispute { reason: note },
                };
                let engine = use_context::<AppContext>().engine;
                match engine.foreman_act(&case, step, shots) {
                    Ok(_) => {
                        open.set(None);
                        text.set(String::new());
                        let mut photos = photos;
                        photos.set(DraftPhotos::default());
                        on_toast.call(Some(Msg::ActionQueued.text(lang).to_owned()));
                    }
                    Err(e) => error.set(Some(describe(&e, lang))),
                }
            },
        }
    }
}
