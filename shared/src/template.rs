//! Checklist templates: what an inspector checks in a unit, room by room.
//!
//! A [`ChecklistTemplate`] lists [`Room`]s (玄关, 客厅, 厨房, …), and each room lists the
//! [`CheckItem`]s to look at there ("入户门开启关闭灵活…"). Every item names a [`Category`]
//! (防水, 电气, …) that the monthly product-suggestion table groups defects by, a default
//! [`Severity`] the inspector may change per finding, the [`Finish`]es it applies to (毛坯
//! shell or 精装 fitted units), and the standard it checks against (`ref`). The template also
//! carries the four [`SeverityDef`]s: their labels, meaning and the proposed repair deadline.
//!
//! Templates are data, not code: the default, [`residential`], ships in
//! `assets/checklists/residential.json`, and an administrator can load others. Findings store
//! room, item and category ids taken from a template and keep them forever, so a template with a
//! typo in a category, a repeated item id or a missing label would leave findings that no
//! report can group or show. That is why [`from_json`] refuses such a template whole, and says
//! which file, which item and what is wrong, instead of loading what it can.
//!
//! ```
//! use plumbline_shared::ids::ItemId;
//! use plumbline_shared::severity::Severity;
//! use plumbline_shared::template;
//!
//! let template = template::residential();
//! let item: ItemId = "kitchen.drain".parse().unwrap();
//! let (room, check) = template.item(&item).unwrap();
//! assert_eq!(room.id.as_str(), "kitchen");
//! assert_eq!(template.category(&check.category).unwrap().zh, "给排水");
//! assert_eq!(template.severity(Severity::S1).unwrap().proposed_rectify_days, 3);
//!
//! let err = template::from_json("mine.json", r#"{"id": "mine"}"#).unwrap_err();
//! assert!(err.to_string().starts_with("checklist template `mine.json`: "));
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{CategoryId, ItemId, RoomId};
use crate::severity::Severity;

/// The largest template file [`from_json`] reads, in bytes (1 MiB). The default is about 36 KiB.
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;
/// The most rooms a template may have.
pub const MAX_ROOMS: usize = 100;
/// The most check items a template may have, over all rooms.
pub const MAX_ITEMS: usize = 2_000;

/// A checklist template: rooms × check items, with the categories and severities they use.
///
/// Build one with [`from_json`] (or take the default, [`residential`]); a template obtained that
/// way has passed every check listed on [`TemplateProblem`].
//
// Unknown JSON fields are ignored rather than refused, so a newer template with extra fields
// still loads on an older app; every field that is read is required and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistTemplate {
    /// Stable id, e.g. `residential`; projects name their template by it.
    pub id: String,
    /// Version of the template's content, e.g. `0.1`.
    pub version: String,
    /// Chinese name, e.g. 住宅交付前验收.
    pub name_zh: String,
    /// English name, e.g. Residential pre-handover inspection.
    pub name_en: String,
    /// Free-text note on where the content comes from and how far to trust it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Rooms, in the order an inspector walks them.
    pub rooms: Vec<Room>,
    /// Defect categories the items use.
    pub categories: Vec<Category>,
    /// The four severities, S1 to S4.
    pub severities: Vec<SeverityDef>,
}

/// A room (or area) of a unit, with the items checked there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// Stable id, e.g. `kitchen`; every item id in the room starts with it and a `.`.
    pub id: RoomId,
    /// Chinese label, e.g. 厨房.
    pub zh: String,
    /// English label, e.g. Kitchen.
    pub en: String,
    /// The items, in checking order.
    pub items: Vec<CheckItem>,
}

/// One thing to check, e.g. "sink drains freely".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// Stable id, `<room id>.<name>`, e.g. `kitchen.drain`; unique in the template.
    pub id: ItemId,
    /// What to check, in Chinese.
    pub zh: String,
    /// What to check, in English.
    pub en: String,
    /// The defect category a finding on this item falls in.
    pub category: CategoryId,
    /// The severity a finding on this item starts with.
    pub default_severity: Severity,
    /// The kinds of unit the item is checked in (never empty).
    pub applies_to: Vec<Finish>,
    /// The standard or rule the item checks against, e.g. `GB 50242-2002 通水试验`.
    #[serde(rename = "ref")]
    pub reference: String,
}

/// A defect category (问题类别), e.g. `waterproofing` (防水).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Stable id.
    pub id: CategoryId,
    /// Chinese label.
    pub zh: String,
    /// English label.
    pub en: String,
}

/// What a template says about one [`Severity`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityDef {
    /// Which severity (`"id"` in JSON).
    #[serde(rename = "id")]
    pub severity: Severity,
    /// Chinese label, e.g. 严重.
    pub zh: String,
    /// English label, e.g. Critical.
    pub en: String,
    /// Sort rank, 1 the most serious.
    pub rank: u8,
    /// What a defect of this severity looks like.
    pub meaning: String,
    /// Days the center proposes for the repair deadline.
    pub proposed_rectify_days: u32,
}

/// How a unit is handed over: as a shell (毛坯) or fitted out (精装).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// 毛坯: bare shell, the owner fits it out.
    Shell,
    /// 精装: fitted out by the developer.
    Fitted,
}

impl Finish {
    /// Both, in display order.
    pub const ALL: [Finish; 2] = [Finish::Shell, Finish::Fitted];

    /// `shell` or `fitted`, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Finish::Shell => "shell",
            Finish::Fitted => "fitted",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Finish::Shell => "毛坯",
            Finish::Fitted => "精装",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Finish::Shell => "Shell",
            Finish::Fitted => "Fitted",
        }
    }
}

impl fmt::Display for Finish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CheckItem {
    /// Whether the item is checked in a unit with this finish.
    pub fn applies(&self, finish: Finish) -> bool {
        self.applies_to.contains(&finish)
    }
}

/// Why a finding's place on the checklist was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    /// The check item is not on the checklist.
    #[error("check item `{0}` is not on the checklist")]
    UnknownItem(ItemId),
    /// The check item is in another room.
    #[error("check item `{item}` is in room `{actual}`, not `{named}`")]
    ItemNotInRoom {
        /// The item.
        item: ItemId,
        /// The room the finding names.
        named: RoomId,
        /// The item's room.
        actual: RoomId,
    },
    /// The category is not on the checklist.
    #[error("category `{0}` is not on the checklist")]
    UnknownCategory(CategoryId),
}

impl ChecklistTemplate {
    /// Checks that a finding's room, check item and category are on this checklist, the item
    /// in that room: what is recorded is counted (product suggestions, reports) under them.
    pub fn check_place(
        &self,
        room: &RoomId,
        item: &ItemId,
        category: &CategoryId,
    ) -> Result<(), PlaceError> {
        let (actual, _) = self
            .item(item)
            .ok_or_else(|| PlaceError::UnknownItem(item.clone()))?;
        if &actual.id != room {
            return Err(PlaceError::ItemNotInRoom {
                item: item.clone(),
                named: room.clone(),
                actual: actual.id.clone(),
            });
        }
        if self.category(category).is_none() {
            return Err(PlaceError::UnknownCategory(category.clone()));
        }
        Ok(())
    }

    /// Finds a room by id.
    pub fn room(&self, id: &RoomId) -> Option<&Room> {
        self.rooms.iter().find(|r| &r.id == id)
    }

    /// Finds an item by id, with the room it is in.
    pub fn item(&self, id: &ItemId) -> Option<(&Room, &CheckItem)> {
        self.items().find(|(_, item)| &item.id == id)
    }

    /// Finds a category by id.
    pub fn category(&self, id: &CategoryId) -> Option<&Category> {
        self.categories.iter().find(|c| &c.id == id)
    }

    /// What the template says about a severity (always present in a validated template).
    pub fn severity(&self, severity: Severity) -> Option<&SeverityDef> {
        self.severities.iter().find(|s| s.severity == severity)
    }

    /// Every item, room by room, in checking order.
    pub fn items(&self) -> impl Iterator<Item = (&Room, &CheckItem)> {
        self.rooms
            .iter()
            .flat_map(|r| r.items.iter().map(move |i| (r, i)))
    }

    /// The number of items over all rooms.
    pub fn item_count(&self) -> usize {
        self.rooms.iter().map(|r| r.items.len()).sum()
    }
}

/// A checklist template that cannot be used, and where the problem is.
///
/// Displays as ``checklist template `residential.json`, item `kitchen.drain`: category
/// `plumbin` is not defined in `categories` (defined: structure, waterproofing, …)``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checklist template `{file}`{}: {problem}", located(.at))]
pub struct TemplateError {
    /// The file name given to [`from_json`].
    pub file: String,
    /// Where in the template, e.g. ``item `kitchen.drain` ``, ``room `kitchen` ``,
    /// ``category `gas` `` or ``severity `S2` ``; `None` for the template as a whole.
    pub at: Option<String>,
    /// What is wrong.
    pub problem: TemplateProblem,
}

fn located(at: &Option<String>) -> String {
    at.as_ref().map(|at| format!(", {at}")).unwrap_or_default()
}

/// The kinds of broken template [`from_json`] refuses, one variant per kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateProblem {
    /// The text is larger than [`MAX_TEMPLATE_BYTES`].
    #[error("the file is {bytes} bytes; a template may be at most 1 MiB")]
    TooLarge {
        /// Size of the text.
        bytes: usize,
    },
    /// The text is not JSON, or not shaped like a template (a field missing or of the wrong
    /// type, an invalid id, an unknown severity or finish).
    #[error("line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde's description.
        message: String,
    },
    /// More rooms than [`MAX_ROOMS`].
    #[error("{count} rooms is more than the limit of {MAX_ROOMS}")]
    TooManyRooms {
        /// How many rooms.
        count: usize,
    },
    /// More items than [`MAX_ITEMS`].
    #[error("{count} check items is more than the limit of {MAX_ITEMS}")]
    TooManyItems {
        /// How many items.
        count: usize,
    },
    /// A required text (a label, the template's id, version or name) is empty or blank.
    #[error("`{field}` is empty; give it a value")]
    EmptyText {
        /// The JSON field, e.g. `zh`.
        field: &'static str,
    },
    /// `rooms` is empty.
    #[error("there are no rooms; add at least one room with check items")]
    NoRooms,
    /// A room has no items.
    #[error("the room has no check items; add some or remove the room")]
    EmptyRoom,
    /// Two rooms share an id.
    #[error("rooms {first} and {second} have the same id; room ids must be unique")]
    DuplicateRoom {
        /// 1-based position of the first room with the id.
        first: usize,
        /// 1-based position of the repeat.
        second: usize,
    },
    /// Two items share an id (item ids are unique across the whole template).
    #[error(
        "the item id is already used in room `{first_room}`; item ids must be unique in the \
         whole template"
    )]
    DuplicateItem {
        /// The room holding the first item with the id.
        first_room: RoomId,
    },
    /// An item id does not start with its room's id and a `.`.
    #[error("the item id must start with its room id and a dot, `{room}.`")]
    ItemOutsideRoom {
        /// The room the item is listed in.
        room: RoomId,
    },
    /// An item names a category that `categories` does not define.
    #[error(
        "category `{category}` is not defined in `categories` (defined: {})",
        list(defined)
    )]
    UnknownCategory {
        /// The category the item names.
        category: CategoryId,
        /// The categories the template defines.
        defined: Vec<CategoryId>,
    },
    /// Two categories share an id.
    #[error("the category is defined more than once in `categories`")]
    DuplicateCategory,
    /// `severities` does not define S1, S2, S3 and S4 exactly once each.
    #[error(
        "`severities` must define S1, S2, S3 and S4 once each (missing: {}; repeated: {})",
        list(missing),
        list(repeated)
    )]
    BadSeverities {
        /// Severities not defined.
        missing: Vec<Severity>,
        /// Severities defined more than once.
        repeated: Vec<Severity>,
    },
    /// An item's `applies_to` is empty.
    #[error("`applies_to` is empty; list `shell`, `fitted` or both")]
    NoFinish,
    /// An item's `ref` is empty.
    #[error(
        "`ref` is empty; cite the standard the item checks against, or say where the rule comes \
         from (e.g. `交付标准 (no national clause)`)"
    )]
    EmptyReference,
}

/// Joins values for a message: `a, b, c`, cut after a dozen, `none` when empty.
fn list<T: fmt::Display>(values: &[T]) -> String {
    const SHOWN: usize = 12;
    if values.is_empty() {
        return "none".to_owned();
    }
    let mut out = values
        .iter()
        .take(SHOWN)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        out.push_str(", …");
    }
    out
}

/// Parses and validates a checklist template.
///
/// `file` names the template in error messages (a path or a file name); `text` is its JSON.
/// Returns the first problem found; see [`TemplateProblem`] for what is checked.
pub fn from_json(file: &str, text: &str) -> Result<ChecklistTemplate, TemplateError> {
    let fail = |at: Option<String>, problem| TemplateError {
        file: file.to_owned(),
        at,
        problem,
    };
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(fail(None, TemplateProblem::TooLarge { bytes: text.len() }));
    }
    let template: ChecklistTemplate = serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; we report those as fields instead.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        fail(
            None,
            TemplateProblem::Json {
                line: e.line(),
                column: e.column(),
                message,
            },
        )
    })?;
    validate(&template).map_err(|(at, problem)| fail(at, problem))?;
    Ok(template)
}

type Invalid = (Option<String>, TemplateProblem);

fn non_empty(at: &Option<String>, field: &'static str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        Err((at.clone(), TemplateProblem::EmptyText { field }))
    } else {
        Ok(())
    }
}

fn labels(at: &Option<String>, zh: &str, en: &str) -> Result<(), Invalid> {
    non_empty(at, "zh", zh)?;
    non_empty(at, "en", en)
}

fn validate(t: &ChecklistTemplate) -> Result<(), Invalid> {
    // Bounds first: a runaway file is refused as such, not for its thousandth repeated id.
    let count = t.rooms.len();
    if count > MAX_ROOMS {
        return Err((None, TemplateProblem::TooManyRooms { count }));
    }
    let count = t.item_count();
    if count > MAX_ITEMS {
        return Err((None, TemplateProblem::TooManyItems { count }));
    }

    let whole = None;
    non_empty(&whole, "id", &t.id)?;
    non_empty(&whole, "version", &t.version)?;
    non_empty(&whole, "name_zh", &t.name_zh)?;
    non_empty(&whole, "name_en", &t.name_en)?;
    if t.rooms.is_empty() {
        return Err((whole, TemplateProblem::NoRooms));
    }

    let mut categories: HashSet<&CategoryId> = HashSet::new();
    for c in &t.categories {
        let at = Some(format!("category `{}`", c.id));
        if !categories.insert(&c.id) {
            return Err((at, TemplateProblem::DuplicateCategory));
        }
        labels(&at, &c.zh, &c.en)?;
    }

    let mut missing = Vec::new();
    let mut repeated = Vec::new();
    for severity in Severity::ALL {
        match t
            .severities
            .iter()
            .filter(|s| s.severity == severity)
            .count()
        {
            0 => missing.push(severity),
            1 => {}
            _ => repeated.push(severity),
        }
    }
    if !missing.is_empty() || !repeated.is_empty() {
        return Err((whole, TemplateProblem::BadSeverities { missing, repeated }));
    }
    for s in &t.severities {
        labels(&Some(format!("severity `{}`", s.severity)), &s.zh, &s.en)?;
    }

    let mut rooms: HashMap<&RoomId, usize> = HashMap::new();
    let mut items: HashMap<&ItemId, &RoomId> = HashMap::new();
    for (index, room) in t.rooms.iter().enumerate() {
        let at = Some(format!("room `{}`", room.id));
        if let Some(first) = rooms.insert(&room.id, index + 1) {
            let problem = TemplateProblem::DuplicateRoom {
                first,
                second: index + 1,
            };
            return Err((at, problem));
        }
        labels(&at, &room.zh, &room.en)?;
        if room.items.is_empty() {
            return Err((at, TemplateProblem::EmptyRoom));
        }
        for item in &room.items {
            let at = Some(format!("item `{}`", item.id));
            let in_room = item
                .id
                .as_str()
                .strip_prefix(room.id.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'));
            if !in_room {
                return Err((
                    at,
                    TemplateProblem::ItemOutsideRoom {
                        room: room.id.clone(),
                    },
                ));
            }
            if let Some(first_room) = items.insert(&item.id, &room.id) {
                let problem = TemplateProblem::DuplicateItem {
                    first_room: first_room.clone(),
                };
                return Err((at, problem));
            }
            labels(&at, &item.zh, &item.en)?;
            if !categories.contains(&item.category) {
                let problem = TemplateProblem::UnknownCategory {
                    category: item.category.clone(),
                    defined: t.categories.iter().map(|c| c.id.clone()).collect(),
                };
                return Err((at, problem));
            }
            if item.applies_to.is_empty() {
                return Err((at, TemplateProblem::NoFinish));
            }
            if item.reference.trim().is_empty() {
                return Err((at, TemplateProblem::EmptyReference));
            }
        }
    }
    Ok(())
}

/// The checklist a project's units are inspected with, the one its findings are checked
/// against and the one `GET /api/v1/projects/{project}/template` serves. Every project uses the
/// built-in residential template today (the project names it in [`crate::project::Project::template`]);
/// when a project can choose its own, this becomes a lookup by that id.
pub fn of_project() -> &'static ChecklistTemplate {
    static RESIDENTIAL: std::sync::LazyLock<ChecklistTemplate> =
        std::sync::LazyLock::new(residential);
    &RESIDENTIAL
}

/// The built-in residential pre-handover template (`assets/checklists/residential.json`):
/// 7 rooms, 87 check items, 17 categories.
pub fn residential() -> ChecklistTemplate {
    from_json(
        "residential.json",
        include_str!("../../assets/checklists/residential.json"),
    )
    .expect("the built-in template is valid: the unit test `residential_template_loads` proves it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residential_template_loads() {
        let t = residential();
        assert_eq!(t.id, "residential");
        assert_eq!(t.name_zh, "住宅交付前验收");
        assert_eq!(t.rooms.len(), 7);
        assert_eq!(t.item_count(), 87);
        assert_eq!(t.items().count(), 87);
        assert_eq!(t.categories.len(), 17);
        assert_eq!(t.severities.len(), 4);
    }

    #[test]
    fn lookups_find_rooms_items_and_categories() {
        let t = residential();
        let kitchen = t.room(&"kitchen".parse().unwrap()).unwrap();
        assert_eq!(kitchen.zh, "厨房");
        let (room, item) = t.item(&"kitchen.drain".parse().unwrap()).unwrap();
        assert_eq!(room.id, kitchen.id);
        assert_eq!(item.category.as_str(), "plumbing");
        assert!(t.category(&item.category).is_some());
        assert!(t.item(&"kitchen.nope".parse().unwrap()).is_none());
        assert!(t.room(&"garage".parse().unwrap()).is_none());
        assert!(t.category(&"plumbin".parse().unwrap()).is_none());
    }

    #[test]
    fn severity_table_agrees_with_the_severity_type() {
        let t = residential();
        for s in Severity::ALL {
            let def = t.severity(s).unwrap();
            assert_eq!(def.zh, s.label_zh());
            assert_eq!(def.en, s.label_en());
            assert_eq!(def.proposed_rectify_days, s.proposed_rectify_days());
        }
    }

    #[test]
    fn finish_serializes_lowercase_and_has_labels() {
        assert_eq!(
            serde_json::to_string(&Finish::Fitted).unwrap(),
            "\"fitted\""
        );
        assert_eq!(Finish::Shell.label_zh(), "毛坯");
        assert_eq!(Finish::Fitted.label_zh(), "精装");
        let t = residential();
        assert!(t.items().any(|(_, i)| !i.applies(Finish::Shell)));
        assert!(t.items().all(|(_, i)| i.applies(Finish::Fitted)));
    }

    #[test]
    fn template_roundtrips_through_json() {
        let t = residential();
        let text = serde_json::to_string(&t).unwrap();
        assert!(text.contains("\"ref\":"));
        assert_eq!(from_json("again.json", &text).unwrap(), t);
    }

    #[test]
    fn error_message_names_file_item_and_problem() {
        let err = TemplateError {
            file: "residential.json".into(),
            at: Some("item `kitchen.drain`".into()),
            problem: TemplateProblem::UnknownCategory {
                category: "plumbin".parse().unwrap(),
                defined: vec![
                    "structure".parse().unwrap(),
                    "waterproofing".parse().unwrap(),
                ],
            },
        };
        assert_eq!(
            err.to_string(),
            "checklist template `residential.json`, item `kitchen.drain`: category \
             `plumbin` is not defined in `categories` (defined: structure, waterproofing)"
        );
    }

    #[test]
    fn json_errors_give_line_and_column_once() {
        let err = from_json("bad.json", "{\n  \"id\": \"x\",\n  oops\n}").unwrap_err();
        let TemplateProblem::Json { line, .. } = &err.problem else {
            panic!("{err:?}")
        };
        assert_eq!(*line, 3);
        let text = err.to_string();
        assert!(
            text.starts_with("checklist template `bad.json`: line 3, column"),
            "{text}"
        );
        assert!(!text.contains(" at line "), "{text}");
    }

    #[test]
    fn list_cuts_long_lists() {
        assert_eq!(list::<u8>(&[]), "none");
        assert_eq!(list(&[1, 2]), "1, 2");
        assert!(list(&(0..20).collect::<Vec<_>>()).ends_with("11, …"));
    }
}
