//! The project document: created deterministically, round-trips the demo project, refuses a
//! foreign project and bytes that are not a project document.
#![allow(clippy::unwrap_used)] // test helpers panic on bad fixtures, by design

use chrono::NaiveDate;
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::{DeviceId, ProjectId, UnitId};
use plumbline_shared::time::Timestamp;

#[test]
fn the_demo_project_round_trips_through_its_document() {
    let project = demo_project(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).unwrap();
    let admin = DeviceId::new("server-1").unwrap();
    let mut doc = ProjectDoc::create(&project, &admin, Timestamp(1_000)).unwrap();
    let loaded = ProjectDoc::load(&doc.save()).unwrap();
    assert_eq!(loaded.project().unwrap(), project);
    assert_eq!(loaded.id().unwrap(), project.id);

    let mut edited = project.clone();
    edited.buildings[0].units[0].label = "1-101A".into();
    doc.update(&edited, &admin, Timestamp(2_000)).unwrap();
    assert_eq!(doc.project().unwrap().buildings[0].units[0].label, "1-101A");

    let mut other = project;
    other.id = ProjectId::new("other").unwrap();
    let err = doc.update(&other, &admin, Timestamp(3_000)).unwrap_err();
    assert!(err.to_string().contains("`other`"), "{err}");
}

#[test]
fn a_unit_document_is_not_a_project_document() {
    let mut unit = UnitDoc::new(&ProjectId::new("p").unwrap(), &UnitId::new("u").unwrap());
    let err = ProjectDoc::load(&unit.save()).unwrap_err();
    assert!(err.to_string().contains("plumbline/project"), "{err}");
}
