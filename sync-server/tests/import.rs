//! Importing buildings and units from CSV: the pure parser against the demo project, and
//! `unit_import::import_units` against a real SQLite data folder.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use plumbline_shared::clock::Clock;
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::ids::{ProjectId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::time::Timestamp;
use plumbline_shared::units_csv::{
    self, ImportErrors, ImportSummary, MAX_FILE_BYTES, MAX_ROWS, parse_units_csv,
};
use plumbline_sync_server::config::Config;
use plumbline_sync_server::state::AppState;
use plumbline_sync_server::{build_state, setup, unit_import};
use rstest::rstest;

const HEADER: &str = "building_id,building_name,floors,unit_id,unit_label,floor,position,handover";

/// A new building 3栋 (two floors, two units each) and one more unit on floor 1 of 1栋.
const GOOD: &str = "\
building_id,building_name,floors,unit_id,unit_label,floor,position,handover
licheng-b3,3栋,2,licheng-b3-0201,3-201,2,1,2027-01-08
licheng-b3,3栋,2,licheng-b3-0101,3-101,1,1,2027-01-08
licheng-b3,3栋,2,licheng-b3-0102,3-102,1,2,2027-01-08

licheng-b3,3栋,2,licheng-b3-0202,3-202,2,2,2027-01-09
licheng-b1,1栋,18,licheng-b1-105,1-105,1,5,2026-12-31
";

fn demo() -> Project {
    demo_project(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).unwrap()
}

fn unit(id: &str) -> UnitId {
    UnitId::new(id).unwrap()
}

fn csv(rows: &[&str]) -> String {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

fn errors(text: &str) -> ImportErrors {
    parse_units_csv(&demo(), text).unwrap_err()
}

#[test]
fn a_good_file_adds_a_building_and_extends_another_in_floor_order() {
    let before = demo();
    let after = parse_units_csv(&before, GOOD).unwrap();
    assert_eq!(after.buildings.len(), 3);
    let b3 = &after.buildings[2];
    assert_eq!(
        (b3.id.as_str(), b3.name.as_str(), b3.floors),
        ("licheng-b3", "3栋", 2)
    );
    let labels: Vec<&str> = b3.units.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(labels, ["3-101", "3-102", "3-201", "3-202"]);
    assert_eq!(
        b3.units[3].handover,
        NaiveDate::from_ymd_opt(2027, 1, 9).unwrap()
    );
    let b1: Vec<&str> = after.buildings[0].units[..6]
        .iter()
        .map(|u| u.label.as_str())
        .collect();
    assert_eq!(b1, ["1-101", "1-102", "1-103", "1-104", "1-105", "1-201"]);
    assert_eq!(after.buildings[1], before.buildings[1]);
    assert_eq!(
        ImportSummary::between(&before, &after),
        ImportSummary {
            buildings_added: 1,
            buildings_extended: 1,
            units_added: 5,
        }
    );
}

#[rstest]
#[case::bom("\u{feff}")]
#[case::no_bom("")]
fn a_byte_order_mark_is_ignored(#[case] prefix: &str) {
    let text = format!("{prefix}{GOOD}");
    let after = parse_units_csv(&demo(), &text).unwrap();
    assert_eq!(after.units().count(), 149);
    let decoded = units_csv::decode(text.as_bytes()).unwrap();
    assert!(decoded.starts_with("building_id"), "{decoded:?}");
}

#[test]
fn headers_may_come_in_any_order_with_spaces_and_quotes() {
    let text = "\"unit_id\", Building_ID ,building_name,floors,unit_label,floor,position,handover\n\
                licheng-b3-0101,licheng-b3,\"3栋, 东\",2,3-101,1,1,2027-01-08\n";
    let after = parse_units_csv(&demo(), text).unwrap();
    let (b, u) = after.unit(&unit("licheng-b3-0101")).unwrap();
    assert_eq!((b.name.as_str(), u.label.as_str()), ("3栋, 东", "3-101"));
}

/// One bad row (or header) each: the line it is reported on and words the message must hold.
#[rstest]
#[case::duplicate_in_file(
    &["licheng-b3,3栋,2,licheng-b3-0101,3-101,1,1,2027-01-08",
      "licheng-b3,3栋,2,licheng-b3-0101,3-102,1,2,2027-01-08"],
    3, "unit `licheng-b3-0101` appears twice (first on line 2)"
)]
#[case::duplicate_of_existing(
    &["licheng-b1,1栋,18,licheng-b1-1201,1-1299,12,9,2027-01-08"],
    2, "unit `licheng-b1-1201` is already in project `licheng` (building `licheng-b1` 1栋)"
)]
#[case::slot_taken_in_file(
    &["licheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027-01-08",
      "licheng-b3,3栋,2,licheng-b3-b,3-102,1,1,2027-01-08"],
    3, "floor 1 position 1 is already unit `licheng-b3-a` (on line 2)"
)]
#[case::slot_taken_in_project(
    &["licheng-b1,1栋,18,licheng-b1-x,1-1X,1,1,2027-01-08"],
    2, "is already unit `licheng-b1-101` (in the project)"
)]
#[case::label_taken(
    &["licheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027-01-08",
      "licheng-b3,3栋,2,licheng-b3-b,3-101,1,2,2027-01-08"],
    3, "unit_label (房号) `3-101` is already unit `licheng-b3-a`"
)]
#[case::building_renamed_between_rows(
    &["licheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027-01-08",
      "licheng-b3,三栋,2,licheng-b3-b,3-102,1,2,2027-01-08"],
    3, "building `licheng-b3` is `3栋` with 2 floors on line 2, but `三栋` with 2 floors here"
)]
#[case::building_floors_differ_from_project(
    &["licheng-b1,1栋,20,licheng-b1-1901,1-1901,19,1,2027-01-08"],
    2, "`1栋` with 18 floors in the project, but `1栋` with 20 floors"
)]
#[case::bad_unit_id(
    &["licheng-b3,3栋,2,3-101 室,3-101,1,1,2027-01-08"],
    2, "unit id `3-101 室` has the character ' '"
)]
#[case::empty_building_id(&[",3栋,2,licheng-b3-a,3-101,1,1,2027-01-08"], 2, "building id is empty")]
#[case::empty_name(&["licheng-b3,,2,licheng-b3-a,3-101,1,1,2027-01-08"], 2, "building_name (楼栋名称) is empty")]
#[case::too_many_floors(&["licheng-b3,3栋,201,licheng-b3-a,3-101,1,1,2027-01-08"], 2, "floors (总层数) 201 is outside 1 to 200")]
#[case::floor_above_building(&["licheng-b3,3栋,2,licheng-b3-a,3-301,3,1,2027-01-08"], 2, "floor (楼层) 3 is above the building's 2 floors")]
#[case::floor_zero(&["licheng-b3,3栋,2,licheng-b3-a,3-001,0,1,2027-01-08"], 2, "floor (楼层) 0 is outside 1 to 200")]
#[case::position_zero(&["licheng-b3,3栋,2,licheng-b3-a,3-100,1,0,2027-01-08"], 2, "position (位置) 0 is outside 1 to 50")]
#[case::position_text(&["licheng-b3,3栋,2,licheng-b3-a,3-101,1,一,2027-01-08"], 2, "position (位置) `一` is not a whole number")]
#[case::excel_date(&["licheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027/1/8"], 2, "handover (交付日期) `2027/1/8` is not a date written YYYY-MM-DD")]
#[case::impossible_date(&["licheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027-02-30"], 2, "`2027-02-30` is not a real date")]
#[case::missing_value(&["licheng-b3,3栋,2,licheng-b3-a,3-101,1,1"], 2, "7 values, but the header has 8 columns")]
fn a_bad_row_is_reported_on_its_line(
    #[case] rows: &[&str],
    #[case] line: usize,
    #[case] expected: &str,
) {
    let errors = errors(&csv(rows));
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].line, Some(line), "{errors}");
    assert!(errors.0[0].message.contains(expected), "{errors}");
    assert!(
        errors.to_string().starts_with("nothing was imported"),
        "{errors}"
    );
}

#[rstest]
#[case::missing_column(
    "building_id,building_name,floors,unit_id,unit_label,floor,position",
    &["the header has no `handover` column"]
)]
#[case::unknown_column(
    "building_id,building_name,floors,unit_id,unit_label,floor,position,handover,楼层",
    &["unknown column `楼层`"]
)]
#[case::repeated_column(
    "building_id,building_name,floors,unit_id,unit_label,floor,position,handover,floor",
    &["column `floor` appears twice"]
)]
#[case::renamed_column(
    "building_id,building_name,floors,unit_id,label,floor,position,handover",
    &["unknown column `label`", "the header has no `unit_label` column"]
)]
#[case::no_header(
    "licheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027-01-08",
    &["the first line must be the header `building_id,building_name,floors,unit_id,unit_label,floor,position,handover`"]
)]
fn a_bad_header_is_reported_on_line_1(#[case] header: &str, #[case] expected: &[&str]) {
    let text = format!("{header}\nlicheng-b3,3栋,2,licheng-b3-a,3-101,1,1,2027-01-08\n");
    let errors = errors(&text);
    assert_eq!(errors.0.len(), expected.len(), "{errors}");
    for (e, expected) in errors.0.iter().zip(expected) {
        assert_eq!(e.line, Some(1), "{errors}");
        assert!(e.message.contains(expected), "{errors}");
    }
}

#[rstest]
#[case::empty("", "the file is empty")]
#[case::blank_lines("\n\n\u{3000}\n", "the file is empty")]
#[case::header_only(HEADER, "the file has a header but no units")]
#[case::header_and_empty_rows(&format!("{HEADER}\n,,,,,,,\n"), "the file has a header but no units")]
fn a_file_without_units_is_refused(#[case] text: &str, #[case] expected: &str) {
    let errors = errors(text);
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].line, None);
    assert!(errors.0[0].message.contains(expected), "{errors}");
}

#[test]
fn every_bad_line_is_reported_in_order() {
    let text = csv(&[
        "licheng-b3,3栋,2,licheng-b3-0101,3-101,1,1,2027-01-08",
        "licheng-b3,3栋,2,licheng-b3-0101,3-102,1,2,2027-01-08",
        "licheng-b3,3栋,2,licheng-b3-0103,3-103,1,3,2027-01-08",
        "licheng-b3,3栋,2,licheng-b3-0301,3-301,3,1,2027-13-01",
        "licheng-b1,1栋,18,licheng-b1-101,1-101,1,1,2026-12-31",
    ]);
    let errors = errors(&text);
    // Line 5 has two problems: floor 3 of 2, and month 13. Line 6 repeats a unit of the
    // project, and so its floor, position and label: that is said once.
    assert_eq!(errors.lines(), [3, 5, 5, 6], "{errors}");
    for e in &errors.0 {
        assert!(!e.message.starts_with(char::is_uppercase), "{e}");
    }
}

#[test]
fn line_numbers_count_blank_lines_crlf_and_quoted_line_breaks() {
    let text = format!(
        "{HEADER}\r\n\r\n\
         licheng-b3,\"3栋\n(东)\",2,licheng-b3-a,3-101,1,1,2027-01-08\r\n\r\n\r\n\
         licheng-b3,3栋,2,licheng-b3-a,3-102,1,2,2027-01-08\r\n\
         licheng-b3,3栋,2,licheng-b3-b,3-103,1,3,2027-1-8\r\n"
    );
    let errors = errors(&text);
    assert_eq!(errors.lines(), [3, 7, 8], "{errors}");
    assert!(errors.0[0].message.contains("has a line break"), "{errors}");
    assert!(errors.0[1].message.contains("first on line 3"), "{errors}");
}

#[test]
fn more_than_the_row_bound_is_refused() {
    let mut text = String::from(HEADER);
    // Valid rows, 10,000 per building (200 floors of 50), one more than the bound.
    for i in 0..=MAX_ROWS {
        let (b, n) = (i / 10_000 + 1, i % 10_000);
        let (floor, position) = (n / 50 + 1, n % 50 + 1);
        text.push_str(&format!(
            "\nbig-b{b},{b}栋,200,big-{i},{b}-{i},{floor},{position},2027-01-08"
        ));
    }
    let errors = errors(&text);
    assert_eq!(errors.0.len(), 1, "{errors}");
    let last = &errors.0[0];
    assert_eq!(last.line, Some(MAX_ROWS + 2), "{errors}");
    assert!(last.message.contains("more than 20000 units"), "{last}");
}

#[test]
fn a_file_over_5_mib_is_refused_before_parsing() {
    let text = format!("{HEADER}\n{}", " ".repeat(MAX_FILE_BYTES));
    let errors = errors(&text);
    assert_eq!(errors.0.len(), 1);
    assert!(
        errors.0[0].message.contains("at most 5242880 (5 MiB)"),
        "{errors}"
    );
    assert!(units_csv::decode(text.as_bytes()).is_err());
}

#[test]
fn a_gbk_file_is_refused_with_its_line() {
    // "3栋" in GBK is 0x33 0xB6 0xB0, which is not UTF-8.
    let mut bytes = format!("{HEADER}\nlicheng-b3,").into_bytes();
    bytes.extend_from_slice(&[0x33, 0xB6, 0xB0]);
    bytes.extend_from_slice(b",2,licheng-b3-a,3-101,1,1,2027-01-08\n");
    let errors = units_csv::decode(&bytes).unwrap_err();
    assert_eq!(errors.lines(), [2]);
    assert!(errors.0[0].message.contains("not UTF-8"), "{errors}");
}

/// A data folder holding the demo project.
async fn server() -> (tempfile::TempDir, AppState, Project) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_data_dir(dir.path(), "127.0.0.1:0".parse().unwrap()).unwrap();
    // The demo's own date, as the server's clock (no test reads the machine's date).
    let clock = Clock::manual(Timestamp::start_of_day_cst(
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
    ));
    let state = build_state(config, clock).await.unwrap();
    let project = demo();
    setup::create_project(&state, &project).await.unwrap();
    (dir, state, project)
}

async fn stored_project(state: &AppState, id: &ProjectId) -> Project {
    let doc = DocId::Project(id.clone());
    let mut guard = state.docs.lock(&doc).await;
    let loaded = state.docs.get(&mut guard, &doc).await.unwrap().unwrap();
    ProjectDoc::load(&loaded.doc.save())
        .unwrap()
        .project()
        .unwrap()
}

async fn has_doc(state: &AppState, id: &str) -> bool {
    state
        .store
        .doc_heads(&DocId::Unit(unit(id)))
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_good_file_is_stored_as_documents() {
    let (_dir, state, project) = server().await;
    let text = format!("\u{feff}{GOOD}");
    let summary = unit_import::import_units(&state, &project.id, &text)
        .await
        .unwrap();
    assert_eq!(summary.units_added, 5);
    assert_eq!(summary.buildings_added, 1);
    assert_eq!(
        summary.to_string(),
        "added 5 units (户): 1 new building (楼栋), 1 existing building extended"
    );

    let stored = stored_project(&state, &project.id).await;
    assert_eq!(stored, parse_units_csv(&project, GOOD).unwrap());
    for id in [
        "licheng-b3-0101",
        "licheng-b3-0102",
        "licheng-b3-0201",
        "licheng-b3-0202",
        "licheng-b1-105",
    ] {
        assert!(has_doc(&state, id).await, "{id} has no document");
        assert!(stored.unit(&unit(id)).is_some(), "{id} not in the project");
    }
    assert_eq!(stored.buildings[2].name, "3栋");

    // The same file again: every unit now exists, and nothing changes.
    let heads = state
        .store
        .doc_heads(&DocId::Project(project.id.clone()))
        .await
        .unwrap();
    let err = unit_import::import_units(&state, &project.id, GOOD)
        .await
        .unwrap_err();
    let errors = err.downcast_ref::<ImportErrors>().unwrap();
    assert_eq!(errors.lines(), [2, 3, 4, 6, 7], "{errors}");
    assert!(errors.0[0].message.contains("already in project `licheng`"));
    let after = state
        .store
        .doc_heads(&DocId::Project(project.id.clone()))
        .await
        .unwrap();
    assert_eq!(heads, after);
}

#[tokio::test]
async fn a_file_with_bad_rows_stores_nothing() {
    let (_dir, state, project) = server().await;
    let heads = state
        .store
        .doc_heads(&DocId::Project(project.id.clone()))
        .await
        .unwrap();
    let text = csv(&[
        "licheng-b3,3栋,2,licheng-b3-0101,3-101,1,1,2027-01-08",
        "licheng-b3,3栋,2,licheng-b3-0102,3-102,1,2,2027-01-08",
        "licheng-b3,3栋,2,licheng-b3-0101,3-103,1,3,2027-01-08",
        "licheng-b3,3栋,2,licheng-b3-0201,3-201,2,1,someday",
        "licheng-b3,3栋,2,licheng-b3-0202,3-202,2,2,2027-01-08",
        "licheng-b2,2栋,18,licheng-b2-101,2-1O1,1,9,2027-01-08",
    ]);
    let err = unit_import::import_units(&state, &project.id, &text)
        .await
        .unwrap_err();
    let errors = err.downcast_ref::<ImportErrors>().unwrap();
    assert_eq!(errors.lines(), [4, 5, 7], "{errors}");
    assert!(
        err.to_string()
            .contains("line 5: handover (交付日期) `someday`"),
        "{err}"
    );

    let after = state
        .store
        .doc_heads(&DocId::Project(project.id.clone()))
        .await
        .unwrap();
    assert_eq!(heads, after, "the project document changed");
    assert_eq!(stored_project(&state, &project.id).await, project);
    for id in ["licheng-b3-0101", "licheng-b3-0102", "licheng-b3-0202"] {
        assert!(!has_doc(&state, id).await, "{id} was stored");
    }
}

#[tokio::test]
async fn a_unit_of_another_project_is_refused() {
    let (_dir, state, project) = server().await;
    let mut other = project.clone();
    other.id = ProjectId::new("other").unwrap();
    other.buildings.truncate(1);
    other.buildings[0].units.truncate(1);
    other.buildings[0].id = "other-b1".parse().unwrap();
    other.buildings[0].units[0].id = unit("shared-101");
    setup::create_project(&state, &other).await.unwrap();

    let text = csv(&["licheng-b3,3栋,2,shared-101,3-101,1,1,2027-01-08"]);
    let err = unit_import::import_units(&state, &project.id, &text)
        .await
        .unwrap_err();
    let errors = err.downcast_ref::<ImportErrors>().unwrap();
    assert_eq!(errors.lines(), [2]);
    assert!(
        errors.0[0]
            .message
            .contains("already has a document on this server")
    );
    // The pure parser, which knows only the project, would have accepted it.
    assert!(parse_units_csv(&project, &text).is_ok());
}

#[tokio::test]
async fn an_unknown_project_is_a_clear_error() {
    let (_dir, state, _) = server().await;
    let err = unit_import::import_units(&state, &ProjectId::new("nowhere").unwrap(), GOOD)
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<ImportErrors>().is_none());
    assert!(
        err.to_string()
            .contains("project `nowhere` does not exist in this data folder"),
        "{err}"
    );
}
