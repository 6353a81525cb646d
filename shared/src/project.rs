//! The project hierarchy: project (楼盘) → building (楼栋) → unit (户), and contractors (施工单位).
//!
//! A [`Project`] is what the project document holds. It changes rarely (an administrator imports
//! units, adds a contractor), so it is reconciled whole with autosurgeon; the busy per-unit
//! records live in unit documents ([`crate::doc::unit`]).

use autosurgeon::{Hydrate, Reconcile};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{
    AssignmentId, BlobHash, BuildingId, ContractorId, FloorPlanId, ProjectId, UnitId, UserId,
};

/// A residential development (楼盘).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Project {
    /// Stable id.
    pub id: ProjectId,
    /// Chinese name, e.g. 郦城.
    pub name_zh: String,
    /// English name, e.g. Licheng.
    pub name_en: String,
    /// The checklist template its units are inspected with (see [`crate::template`]).
    pub template: String,
    /// Buildings, in display order.
    pub buildings: Vec<Building>,
    /// Contractors engaged on the project.
    pub contractors: Vec<Contractor>,
    /// Inspection assignments (验收任务): who walks which building or floors, and when. Kept
    /// here so that every device of the project receives them with its next sync. Documents
    /// written before assignments existed have no such key and read as having none.
    #[serde(default)]
    #[autosurgeon(missing = "Vec::new")]
    pub assignments: Vec<Assignment>,
    /// The office's reading of the product-suggestion candidates (产品建议): root cause and
    /// proposed design change per month, check item and category. Kept in the document so it
    /// lasts as long as the project and survives a rebuild of the server's tables.
    #[serde(default)]
    #[autosurgeon(missing = "Vec::new")]
    pub suggestion_notes: Vec<SuggestionNote>,
    /// Floor-plan images (平面图) of the buildings' floors, uploaded by an administrator, on
    /// which an inspector pins a defect ([`crate::floor_plan`]). Kept here so that every device
    /// of the project learns of them with its next sync; older documents read as having none.
    #[serde(default)]
    #[autosurgeon(missing = "Vec::new")]
    pub floor_plans: Vec<FloorPlan>,
    /// The project's clock rules (response window, reminder lead, callback window, …), set by
    /// an administrator. Kept here so the server and every phone of the project derive the
    /// same deadlines; a document written before they existed reads as holding the defaults.
    #[serde(default)]
    #[autosurgeon(missing = "crate::workflow::WorkflowSettings::default")]
    pub workflow: crate::workflow::WorkflowSettings,
}

/// The most characters a suggestion note's field may hold.
pub const SUGGESTION_NOTE_MAX_CHARS: usize = 2_000;

/// Root cause and proposed design change for one product-suggestion candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SuggestionNote {
    /// `YYYY-MM/<check item id>/<category id>`: which month's which group.
    #[key]
    pub key: String,
    /// Why the defect recurs (根本原因).
    pub root_cause: String,
    /// What the design should change (设计改进建议).
    pub design_change: String,
    /// Who wrote it last.
    pub updated_by: crate::ids::UserId,
    /// When.
    pub updated_at: crate::time::Timestamp,
}

/// Why a suggestion note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuggestionNoteError {
    /// A field is longer than [`SUGGESTION_NOTE_MAX_CHARS`].
    #[error("a note field may hold at most {SUGGESTION_NOTE_MAX_CHARS} characters")]
    TooLong,
    /// The key does not name a month, item and category.
    #[error("`{0}` does not name a month, check item and category")]
    BadKey(String),
}

/// A building (楼栋).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Building {
    /// Stable id.
    #[key]
    pub id: BuildingId,
    /// Display name, e.g. `1栋`.
    pub name: String,
    /// Number of floors above ground.
    pub floors: u32,
    /// Units, ordered by floor then position.
    pub units: Vec<Unit>,
}

/// An apartment unit (户).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Unit {
    /// Stable id (also names the unit's document).
    #[key]
    pub id: UnitId,
    /// The label people use, e.g. `1-1201` (building 1, floor 12, unit 01).
    pub label: String,
    /// Floor number (1-based).
    pub floor: u32,
    /// Position on the floor (1-based), which with the floor gives the stack (立管/户型列).
    pub position: u32,
    /// Handover date (交付日期), `YYYY-MM-DD`.
    #[autosurgeon(with = "date_text")]
    pub handover: NaiveDate,
}

/// A contractor company (施工单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Contractor {
    /// Stable id.
    #[key]
    pub id: ContractorId,
    /// Company name in Chinese.
    pub name: String,
    /// Trades it is engaged for.
    pub trades: Vec<Trade>,
    /// Site foreman's phone, for phone notices.
    pub phone: String,
}

/// A contractor's trade.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Trade {
    /// 土建: civil works and structure.
    #[autosurgeon(rename = "civil")]
    Civil,
    /// 机电: mechanical, electrical and plumbing.
    #[autosurgeon(rename = "mep")]
    Mep,
    /// 精装修: interior fit-out.
    #[autosurgeon(rename = "fit_out")]
    FitOut,
    /// 门窗: doors and windows.
    #[autosurgeon(rename = "doors_windows")]
    DoorsWindows,
    /// 园林: landscaping.
    #[autosurgeon(rename = "landscape")]
    Landscape,
}

impl Trade {
    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Trade::Civil => "土建",
            Trade::Mep => "机电",
            Trade::FitOut => "精装修",
            Trade::DoorsWindows => "门窗",
            Trade::Landscape => "园林",
        }
    }
}

impl Project {
    /// The note on the suggestion group `key` (see [`SuggestionNote::key`]).
    pub fn suggestion_note(&self, key: &str) -> Option<&SuggestionNote> {
        self.suggestion_notes.iter().find(|n| n.key == key)
    }

    /// Writes (or replaces) a suggestion note; both fields empty removes it. Fields are
    /// trimmed; a field over [`SUGGESTION_NOTE_MAX_CHARS`] or a malformed key changes nothing.
    pub fn put_suggestion_note(&mut self, note: SuggestionNote) -> Result<(), SuggestionNoteError> {
        let parts: Vec<&str> = note.key.split('/').collect();
        let well_formed = parts.len() == 3
            && parts[0].len() == 7
            && parts
                .iter()
                .all(|p| !p.is_empty() && !p.chars().any(char::is_whitespace));
        if !well_formed {
            return Err(SuggestionNoteError::BadKey(
                note.key.chars().take(80).collect(),
            ));
        }
        let root_cause = note.root_cause.trim().to_owned();
        let design_change = note.design_change.trim().to_owned();
        if root_cause.chars().count() > SUGGESTION_NOTE_MAX_CHARS
            || design_change.chars().count() > SUGGESTION_NOTE_MAX_CHARS
        {
            return Err(SuggestionNoteError::TooLong);
        }
        self.suggestion_notes.retain(|n| n.key != note.key);
        if !root_cause.is_empty() || !design_change.is_empty() {
            self.suggestion_notes.push(SuggestionNote {
                root_cause,
                design_change,
                ..note
            });
        }
        Ok(())
    }

    /// Every unit of every building.
    pub fn units(&self) -> impl Iterator<Item = (&Building, &Unit)> {
        self.buildings
            .iter()
            .flat_map(|b| b.units.iter().map(move |u| (b, u)))
    }

    /// Finds a unit by id.
    pub fn unit(&self, id: &UnitId) -> Option<(&Building, &Unit)> {
        self.units().find(|(_, u)| &u.id == id)
    }

    /// Finds a contractor by id.
    pub fn contractor(&self, id: &ContractorId) -> Option<&Contractor> {
        self.contractors.iter().find(|c| &c.id == id)
    }
}

/// A range of floors of a building, both ends included (1-based, as [`Unit::floor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FloorRange {
    /// Lowest floor.
    pub first: u32,
    /// Highest floor.
    pub last: u32,
}

/// An inspection assignment (验收任务): an inspector walks a building, or some of its floors,
/// between two dates. Written by a manager or coordinator through the office web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Assignment {
    /// Stable id: the list in the project document merges by it, so two offices editing
    /// different assignments never overwrite each other.
    #[key]
    pub id: AssignmentId,
    /// The inspector (a user with the inspector role in the project).
    pub inspector: UserId,
    /// The building.
    pub building: BuildingId,
    /// Only these floors; `None` for the whole building.
    pub floors: Option<FloorRange>,
    /// First day (Beijing date).
    #[autosurgeon(with = "date_text")]
    pub from: NaiveDate,
    /// Last day, included.
    #[autosurgeon(with = "date_text")]
    pub to: NaiveDate,
    /// Who made (or last changed) it.
    pub assigned_by: UserId,
}

impl Assignment {
    /// Whether the assignment includes floor `floor` of building `building`.
    pub fn covers(&self, building: &BuildingId, floor: u32) -> bool {
        &self.building == building
            && self
                .floors
                .is_none_or(|r| (r.first..=r.last).contains(&floor))
    }

    /// Whether `day` falls within the assignment's dates.
    pub fn is_on(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// A floor-plan image of some floors of one building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FloorPlan {
    /// Stable id: the list in the project document merges by it.
    #[key]
    pub id: FloorPlanId,
    /// The building.
    pub building: BuildingId,
    /// The floors it shows, both ends included.
    pub floors: FloorRange,
    /// What people call it, e.g. `标准层 3–17F`.
    pub name: String,
    /// The image blob (PNG or JPEG).
    pub image: BlobHash,
    /// Pixel width of the image.
    pub width: u32,
    /// Pixel height of the image.
    pub height: u32,
    /// Taken off the project's list: no new pin goes on it, but the pins already made on it
    /// still show, so it stays in the document (and its image on the phones).
    #[serde(default)]
    #[autosurgeon(missing = "not_retired")]
    pub retired: bool,
}

/// Plans written before plans could be retired are in use.
fn not_retired() -> bool {
    false
}

impl FloorPlan {
    /// Whether the plan shows floor `floor` of building `building`.
    pub fn covers(&self, building: &BuildingId, floor: u32) -> bool {
        &self.building == building && (self.floors.first..=self.floors.last).contains(&floor)
    }
}

/// Why a building and a range of its floors do not fit a project: the part of the check that
/// inspection assignments and floor plans share, since both name a building and some of its
/// floors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FloorRangeError {
    /// The building is not in the project.
    #[error("building `{0}` is not in this project; pick one of the project's buildings")]
    NoSuchBuilding(BuildingId),
    /// A floor outside the building, or the range upside down.
    #[error(
        "floors {first}–{last} are not within building `{building}` (floors 1–{floors}); \
         give the lowest floor first"
    )]
    BadFloors {
        /// The building.
        building: BuildingId,
        /// Its floors.
        floors: u32,
        /// Asked lowest floor.
        first: u32,
        /// Asked highest floor.
        last: u32,
    },
}

impl Project {
    /// The building `id`, when it is in the project and `floors` (all of them when `None`) lie
    /// within it, lowest first.
    pub fn check_floors(
        &self,
        id: &BuildingId,
        floors: Option<FloorRange>,
    ) -> Result<&Building, FloorRangeError> {
        let building = self
            .building(id)
            .ok_or_else(|| FloorRangeError::NoSuchBuilding(id.clone()))?;
        if let Some(r) = floors
            && (r.first == 0 || r.first > r.last || r.last > building.floors)
        {
            return Err(FloorRangeError::BadFloors {
                building: building.id.clone(),
                floors: building.floors,
                first: r.first,
                last: r.last,
            });
        }
        Ok(building)
    }
}

/// Stores a [`NaiveDate`] as `YYYY-MM-DD` text, readable in any automerge viewer.
pub(crate) mod date_text {
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconciler};
    use chrono::NaiveDate;

    pub(crate) fn reconcile<R: Reconciler>(date: &NaiveDate, mut r: R) -> Result<(), R::Error> {
        r.str(date.format("%Y-%m-%d").to_string())
    }

    pub(crate) fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<NaiveDate, HydrateError> {
        let text = String::hydrate(doc, obj, prop)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| HydrateError::unexpected("a date as YYYY-MM-DD", text))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::doc::project::ProjectDoc;
    use crate::ids::{DeviceId, UserId};
    use crate::time::Timestamp;

    fn note(key: &str, root_cause: &str) -> SuggestionNote {
        SuggestionNote {
            key: key.to_owned(),
            root_cause: root_cause.to_owned(),
            design_change: "加设止水坎".to_owned(),
            updated_by: UserId::new("zhaomin").unwrap(),
            updated_at: Timestamp(1_000),
        }
    }

    #[test]
    fn suggestion_notes_are_replaced_by_key_and_survive_the_document() {
        let mut p =
            crate::demo::demo_project(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).unwrap();
        let key = "2026-11/bath.waterproof/waterproofing";
        p.put_suggestion_note(note(key, "  防水层上翻高度不足 "))
            .unwrap();
        p.put_suggestion_note(note(key, "防水层上翻高度不足 150mm"))
            .unwrap();
        assert_eq!(p.suggestion_notes.len(), 1);
        assert_eq!(
            p.suggestion_note(key).unwrap().root_cause,
            "防水层上翻高度不足 150mm"
        );

        let device = DeviceId::new("server").unwrap();
        let mut doc = ProjectDoc::create(&p, &device, Timestamp(1)).unwrap();
        let back = ProjectDoc::load(&doc.save()).unwrap().project().unwrap();
        assert_eq!(back.suggestion_note(key), p.suggestion_note(key));

        // Both fields emptied: the note goes.
        let mut empty = note(key, " ");
        empty.design_change.clear();
        p.put_suggestion_note(empty).unwrap();
        assert!(p.suggestion_notes.is_empty());
    }

    #[test]
    fn workflow_settings_survive_the_document_and_old_documents_read_the_defaults() {
        use crate::workflow::WorkflowSettings;
        let device = DeviceId::new("server").unwrap();
        let mut p =
            crate::demo::demo_project(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).unwrap();
        // A document written before the settings existed has no `workflow` key at all.
        let mut doc = ProjectDoc::create(&p, &device, Timestamp(1)).unwrap();
        {
            use automerge::ReadDoc;
            use automerge::transaction::Transactable;
            let am = doc.automerge_mut();
            let (_, project_obj) = am.get(automerge::ROOT, "project").unwrap().unwrap();
            am.delete(&project_obj, "workflow").unwrap();
        }
        let mut doc = ProjectDoc::load(&doc.save()).unwrap();
        assert_eq!(doc.project().unwrap().workflow, WorkflowSettings::default());

        p.workflow.reminder_lead_ms = 30 * crate::time::MINUTE_MS;
        p.workflow.fine_approval_working_days = 2;
        doc.update(&p, &device, Timestamp(2)).unwrap();
        let back = ProjectDoc::load(&doc.save()).unwrap().project().unwrap();
        assert_eq!(back.workflow, p.workflow);
    }

    #[test]
    fn bad_suggestion_notes_change_nothing() {
        let mut p =
            crate::demo::demo_project(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).unwrap();
        let long = "渗".repeat(SUGGESTION_NOTE_MAX_CHARS + 1);
        assert_eq!(
            p.put_suggestion_note(note("2026-11/a/b", &long)),
            Err(SuggestionNoteError::TooLong)
        );
        for key in [
            "2026-11/a",
            "2026-11/a/b/c",
            "2026-11//b",
            "2026-11/a b/c",
            "11/a/b",
        ] {
            assert!(
                matches!(
                    p.put_suggestion_note(note(key, "x")),
                    Err(SuggestionNoteError::BadKey(_))
                ),
                "{key}"
            );
        }
        assert!(p.suggestion_notes.is_empty());
    }
}
