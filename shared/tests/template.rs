//! Checklist templates: the built-in default loads, and every kind of broken template is refused
//! with a message that names the file, the place and the problem.
#![allow(clippy::unwrap_used)] // test helpers panic on bad fixtures, by design

use std::path::PathBuf;

use plumbline_shared::ids::RoomId;
use plumbline_shared::severity::Severity;
use plumbline_shared::template::{
    self, ChecklistTemplate, Finish, MAX_ITEMS, MAX_ROOMS, MAX_TEMPLATE_BYTES, TemplateError,
    TemplateProblem,
};
use rstest::rstest;
use serde_json::{Value, json};

const FILE: &str = "residential.json";

fn fixture(name: &str) -> (String, String) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "templates", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    (path.display().to_string(), text)
}

fn default_value() -> Value {
    serde_json::to_value(template::residential()).expect("a template serializes")
}

/// The `index`-th item of the `room`-th room.
fn item(t: &mut Value, room: usize, index: usize) -> &mut Value {
    &mut t["rooms"][room]["items"][index]
}

fn load(t: &Value) -> Result<ChecklistTemplate, TemplateError> {
    template::from_json(FILE, &t.to_string())
}

fn room(id: &str) -> RoomId {
    id.parse().expect("valid room id")
}

#[test]
fn default_template_has_the_documented_shape() {
    let t = template::residential();
    assert_eq!(t.id, "residential");
    assert_eq!(t.version, "0.1");
    assert_eq!(t.name_en, "Residential pre-handover inspection");
    assert_eq!(t.rooms.len(), 7);
    assert_eq!(t.item_count(), 87);
    assert_eq!(t.categories.len(), 17);
    assert_eq!(t.severities.len(), 4);
    let rooms: Vec<&str> = t.rooms.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        rooms,
        [
            "entry", "living", "bedroom", "kitchen", "bathroom", "balcony", "general"
        ]
    );
    for (room, item) in t.items() {
        assert!(
            !item.reference.trim().is_empty(),
            "{} has no reference",
            item.id
        );
        assert!(item.id.as_str().starts_with(&format!("{}.", room.id)));
        assert!(t.category(&item.category).is_some(), "{}", item.id);
        assert_eq!(t.item(&item.id).map(|(r, _)| &r.id), Some(&room.id));
    }
    // 16 items only make sense once the developer has fitted the unit out.
    assert_eq!(
        t.items().filter(|(_, i)| !i.applies(Finish::Shell)).count(),
        16
    );
    let ranks: Vec<(Severity, u8)> = t.severities.iter().map(|s| (s.severity, s.rank)).collect();
    assert_eq!(
        ranks,
        [
            (Severity::S1, 1),
            (Severity::S2, 2),
            (Severity::S3, 3),
            (Severity::S4, 4)
        ]
    );
}

#[test]
fn minimal_fixture_loads() {
    let (file, text) = fixture("minimal.json");
    let t = template::from_json(&file, &text).unwrap();
    assert_eq!(t.item_count(), 1);
    assert_eq!(t.note, "");
}

#[test]
fn fixture_with_a_category_typo_names_file_item_and_the_defined_categories() {
    let (file, text) = fixture("unknown_category.json");
    let err = template::from_json(&file, &text).unwrap_err();
    assert!(
        matches!(err.problem, TemplateProblem::UnknownCategory { .. }),
        "{err:?}"
    );
    assert_eq!(err.at.as_deref(), Some("item `kitchen.drain`"));
    assert_eq!(
        err.to_string(),
        format!(
            "checklist template `{file}`, item `kitchen.drain`: category `plumbin` is not defined \
             in `categories` (defined: structure, plumbing)"
        )
    );
}

#[test]
fn truncated_fixture_is_refused_with_its_line() {
    let (file, text) = fixture("truncated.json");
    let err = template::from_json(&file, &text).unwrap_err();
    let TemplateProblem::Json { line, .. } = err.problem else {
        panic!("{err:?}")
    };
    assert_eq!(line, 10);
    assert!(
        err.to_string()
            .starts_with(&format!("checklist template `{file}`: line 10"))
    );
}

type Change = fn(&mut Value);
type Kind = fn(&TemplateProblem) -> bool;

#[rstest]
// Not JSON, or not shaped like a template.
#[case::missing_rooms(
    |t: &mut Value| { t.as_object_mut().unwrap().remove("rooms"); },
    |p: &TemplateProblem| matches!(p, TemplateProblem::Json { message, .. } if message.contains("missing field `rooms`")),
    None,
)]
#[case::unknown_severity(
    |t: &mut Value| item(t, 0, 0)["default_severity"] = json!("S5"),
    |p: &TemplateProblem| matches!(p, TemplateProblem::Json { message, .. } if message.contains("`S5`")),
    None,
)]
#[case::unknown_finish(
    |t: &mut Value| item(t, 0, 0)["applies_to"] = json!(["furnished"]),
    |p: &TemplateProblem| matches!(p, TemplateProblem::Json { message, .. } if message.contains("`furnished`")),
    None,
)]
#[case::invalid_item_id(
    |t: &mut Value| item(t, 0, 0)["id"] = json!("entry.door 1"),
    |p: &TemplateProblem| matches!(p, TemplateProblem::Json { message, .. } if message.contains("item id `entry.door 1`")),
    None,
)]
#[case::no_rooms(|t: &mut Value| t["rooms"] = json!([]), |p: &TemplateProblem| *p == TemplateProblem::NoRooms, None)]
#[case::empty_template_id(
    |t: &mut Value| t["id"] = json!(""),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyText { field: "id" },
    None,
)]
#[case::room_without_items(
    |t: &mut Value| t["rooms"][0]["items"] = json!([]),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyRoom,
    Some("room `entry`"),
)]
#[case::duplicate_room(
    |t: &mut Value| t["rooms"][2]["id"] = json!("living"),
    |p: &TemplateProblem| *p == TemplateProblem::DuplicateRoom { first: 2, second: 3 },
    Some("room `living`"),
)]
#[case::duplicate_item_in_a_room(
    |t: &mut Value| item(t, 3, 1)["id"] = json!("kitchen.wall_hollow"),
    |p: &TemplateProblem| *p == TemplateProblem::DuplicateItem { first_room: room("kitchen") },
    Some("item `kitchen.wall_hollow`"),
)]
#[case::duplicate_item_across_rooms(
    |t: &mut Value| {
        item(t, 0, 0)["id"] = json!("entry.hall.light");
        let mut hall = t["rooms"][0].clone();
        hall["id"] = json!("entry.hall");
        hall["items"] = json!([hall["items"][0].clone()]);
        t["rooms"].as_array_mut().unwrap().push(hall);
    },
    |p: &TemplateProblem| *p == TemplateProblem::DuplicateItem { first_room: room("entry") },
    Some("item `entry.hall.light`"),
)]
#[case::item_in_the_wrong_room(
    |t: &mut Value| item(t, 3, 0)["id"] = json!("bathroom.tiles"),
    |p: &TemplateProblem| *p == TemplateProblem::ItemOutsideRoom { room: room("kitchen") },
    Some("item `bathroom.tiles`"),
)]
#[case::item_id_without_dot(
    |t: &mut Value| item(t, 3, 0)["id"] = json!("kitchenette"),
    |p: &TemplateProblem| *p == TemplateProblem::ItemOutsideRoom { room: room("kitchen") },
    Some("item `kitchenette`"),
)]
#[case::item_id_is_only_the_room(
    |t: &mut Value| item(t, 3, 0)["id"] = json!("kitchen."),
    |p: &TemplateProblem| *p == TemplateProblem::ItemOutsideRoom { room: room("kitchen") },
    Some("item `kitchen.`"),
)]
#[case::unknown_category(
    |t: &mut Value| item(t, 3, 3)["category"] = json!("plumbin"),
    |p: &TemplateProblem| matches!(p, TemplateProblem::UnknownCategory { category, defined }
        if category.as_str() == "plumbin" && defined.len() == 17),
    Some("item `kitchen.drain`"),
)]
#[case::duplicate_category(
    |t: &mut Value| t["categories"][5]["id"] = json!("structure"),
    |p: &TemplateProblem| *p == TemplateProblem::DuplicateCategory,
    Some("category `structure`"),
)]
#[case::empty_room_label(
    |t: &mut Value| t["rooms"][1]["zh"] = json!(""),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyText { field: "zh" },
    Some("room `living`"),
)]
#[case::blank_item_label(
    |t: &mut Value| item(t, 4, 0)["en"] = json!("   "),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyText { field: "en" },
    Some("item `bathroom.ponding_test`"),
)]
#[case::empty_category_label(
    |t: &mut Value| t["categories"][1]["en"] = json!(""),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyText { field: "en" },
    Some("category `waterproofing`"),
)]
#[case::empty_severity_label(
    |t: &mut Value| t["severities"][0]["zh"] = json!(""),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyText { field: "zh" },
    Some("severity `S1`"),
)]
#[case::missing_severity(
    |t: &mut Value| { t["severities"].as_array_mut().unwrap().remove(2); },
    |p: &TemplateProblem| *p == TemplateProblem::BadSeverities { missing: vec![Severity::S3], repeated: vec![] },
    None,
)]
#[case::repeated_severity(
    |t: &mut Value| t["severities"][2]["id"] = json!("S2"),
    |p: &TemplateProblem| *p == TemplateProblem::BadSeverities {
        missing: vec![Severity::S3],
        repeated: vec![Severity::S2],
    },
    None,
)]
#[case::fifth_severity(
    |t: &mut Value| {
        let extra = t["severities"][3].clone();
        t["severities"].as_array_mut().unwrap().push(extra);
    },
    |p: &TemplateProblem| *p == TemplateProblem::BadSeverities { missing: vec![], repeated: vec![Severity::S4] },
    None,
)]
#[case::no_finish(
    |t: &mut Value| item(t, 5, 0)["applies_to"] = json!([]),
    |p: &TemplateProblem| *p == TemplateProblem::NoFinish,
    Some("item `balcony.railing_height`"),
)]
#[case::empty_reference(
    |t: &mut Value| item(t, 6, 0)["ref"] = json!(" "),
    |p: &TemplateProblem| *p == TemplateProblem::EmptyReference,
    Some("item `general.net_height`"),
)]
#[case::too_many_rooms(
    |t: &mut Value| {
        let rooms: Vec<Value> = (0..=MAX_ROOMS)
            .map(|n| {
                let mut r = t["rooms"][0].clone();
                r["id"] = json!(format!("r{n}"));
                r["items"] = json!([r["items"][0].clone()]);
                r["items"][0]["id"] = json!(format!("r{n}.x"));
                r
            })
            .collect();
        t["rooms"] = json!(rooms);
    },
    |p: &TemplateProblem| *p == TemplateProblem::TooManyRooms { count: MAX_ROOMS + 1 },
    None,
)]
#[case::too_many_items(
    |t: &mut Value| {
        let items: Vec<Value> = (0..=MAX_ITEMS)
            .map(|n| {
                let mut i = item(t, 0, 0).clone();
                i["id"] = json!(format!("entry.i{n}"));
                i
            })
            .collect();
        t["rooms"][0]["items"] = json!(items);
    },
    // The entry room now holds MAX_ITEMS + 1 items; the other six rooms keep their 80.
    |p: &TemplateProblem| *p == TemplateProblem::TooManyItems { count: MAX_ITEMS + 1 + 80 },
    None,
)]
fn broken_templates_are_refused(
    #[case] change: Change,
    #[case] kind: Kind,
    #[case] at: Option<&str>,
) {
    let mut t = default_value();
    change(&mut t);
    let err = load(&t).expect_err("the broken template is refused");
    assert!(kind(&err.problem), "unexpected problem: {err:?}");
    assert_eq!(err.file, FILE);
    assert_eq!(err.at.as_deref(), at, "{err}");
    let message = err.to_string();
    let place = at.map(|at| format!(", {at}")).unwrap_or_default();
    assert!(
        message.starts_with(&format!("checklist template `{FILE}`{place}: ")),
        "{message}"
    );
    let problem = err.problem.to_string();
    assert!(
        !problem.starts_with(char::is_uppercase),
        "messages are lower-case: {message}"
    );
}

#[test]
fn oversized_text_is_refused_before_parsing() {
    let text = format!("{}{}", default_value(), " ".repeat(MAX_TEMPLATE_BYTES));
    let err = template::from_json(FILE, &text).unwrap_err();
    assert_eq!(err.problem, TemplateProblem::TooLarge { bytes: text.len() });
    assert!(err.to_string().contains("at most 1 MiB"), "{err}");
}

#[test]
fn not_json_is_refused_with_line_and_column() {
    let err = template::from_json(FILE, "{\n\"id\": }").unwrap_err();
    assert!(
        matches!(
            err.problem,
            TemplateProblem::Json {
                line: 2,
                column: 7,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("checklist template `residential.json`: line 2, column 7")
    );
}
