//! The floors × units grid of a building, each unit coloured by how far its inspection is.

use std::collections::BTreeMap;

use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::UnitRecord;
use plumbline_shared::ids::{BuildingId, ProjectId, UnitId};
use plumbline_shared::project::{Building, Project};
use plumbline_shared::template::ChecklistTemplate;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{Status, WorkflowSettings};

use crate::ui::i18n::{Lang, Msg};

/// How far a unit is, in the order an inspector cares about: a unit with open defects is red
/// whatever else is true of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitProgress {
    /// No round, no finding.
    NotStarted,
    /// Some items checked, no open defect.
    InProgress,
    /// At least one finding still open.
    OpenDefects,
    /// Every item of the latest round checked, no finding.
    AllPassed,
    /// Every finding's repair accepted (or closed).
    RepairsAccepted,
}

impl UnitProgress {
    /// Every state, in the legend's order.
    pub const ALL: [UnitProgress; 5] = [
        UnitProgress::NotStarted,
        UnitProgress::InProgress,
        UnitProgress::OpenDefects,
        UnitProgress::AllPassed,
        UnitProgress::RepairsAccepted,
    ];

    /// The CSS class that colours a tile.
    pub fn class(self) -> &'static str {
        match self {
            UnitProgress::NotStarted => "not-started",
            UnitProgress::InProgress => "in-progress",
            UnitProgress::OpenDefects => "open-defects",
            UnitProgress::AllPassed => "all-passed",
            UnitProgress::RepairsAccepted => "repairs-accepted",
        }
    }

    /// The label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            UnitProgress::NotStarted => Msg::NotStarted,
            UnitProgress::InProgress => Msg::InProgress,
            UnitProgress::OpenDefects => Msg::OpenDefects,
            UnitProgress::AllPassed => Msg::AllPassed,
            UnitProgress::RepairsAccepted => Msg::RepairsAccepted,
        }
        .text(lang)
    }
}

/// Whether a case with this status still needs work.
pub fn is_open(status: Status) -> bool {
    !matches!(
        status,
        Status::Accepted | Status::Closed | Status::Cancelled | Status::Merged
    )
}

/// One unit's tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTile {
    /// The unit.
    pub id: UnitId,
    /// Its label, e.g. `1-1201`.
    pub label: String,
    /// Its state.
    pub progress: UnitProgress,
    /// Findings still open.
    pub open: usize,
    /// Whether its document is on the phone (a unit not synced yet cannot be opened).
    pub on_device: bool,
}

/// One floor's row, units by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorRow {
    /// The floor number.
    pub floor: u32,
    /// Its units.
    pub units: Vec<UnitTile>,
}

/// A building's grid, top floor first as on the building itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingGrid {
    /// The project.
    pub project: ProjectId,
    /// The project's name in the chosen language.
    pub project_name: String,
    /// The building.
    pub building: BuildingId,
    /// Its name.
    pub name: String,
    /// Floors, top first.
    pub floors: Vec<FloorRow>,
    /// Units in each state.
    pub counts: BTreeMap<UnitProgress, usize>,
}

/// The state of one unit from its record (`None`: not on the phone yet) and the number of
/// findings still open.
pub fn unit_progress(
    record: Option<&UnitRecord>,
    template: &ChecklistTemplate,
    now: Timestamp,
    settings: &WorkflowSettings,
) -> (UnitProgress, usize) {
    let Some(record) = record else {
        return (UnitProgress::NotStarted, 0);
    };
    let statuses: Vec<Status> = record
        .findings
        .values()
        .map(|f| f.state(now, settings).status)
        .filter(|s| !matches!(s, Status::Cancelled | Status::Merged))
        .collect();
    let open = statuses.iter().filter(|s| is_open(**s)).count();
    if open > 0 {
        return (UnitProgress::OpenDefects, open);
    }
    if !statuses.is_empty() {
        return (UnitProgress::RepairsAccepted, 0);
    }
    let latest = record
        .rounds
        .values()
        .filter(|r| r.kind == RoundKind::PreHandover)
        .max_by_key(|r| (r.number, r.started_at));
    match latest {
        None => (UnitProgress::NotStarted, 0),
        Some(round) => {
            let all_checked = template.items().all(|(_, item)| {
                round
                    .results
                    .get(&item.id)
                    .is_some_and(|r| r.outcome != Outcome::Defect || r.finding.is_some())
            });
            if all_checked {
                (UnitProgress::AllPassed, 0)
            } else {
                (UnitProgress::InProgress, 0)
            }
        }
    }
}

/// The grid of `building`, from the unit records on the phone.
pub fn building_grid(
    project: &Project,
    building: &Building,
    records: &BTreeMap<UnitId, UnitRecord>,
    template: &ChecklistTemplate,
    now: Timestamp,
    settings: &WorkflowSettings,
    lang: Lang,
) -> BuildingGrid {
    let mut floors: BTreeMap<u32, Vec<(u32, UnitTile)>> = BTreeMap::new();
    let mut counts: BTreeMap<UnitProgress, usize> = BTreeMap::new();
    for unit in &building.units {
        let record = records.get(&unit.id);
        let (progress, open) = unit_progress(record, template, now, settings);
        *counts.entry(progress).or_default() += 1;
        floors.entry(unit.floor).or_default().push((
            unit.position,
            UnitTile {
                id: unit.id.clone(),
                label: unit.label.clone(),
                progress,
                open,
                on_device: record.is_some(),
            },
        ));
    }
    BuildingGrid {
        project: project.id.clone(),
        project_name: lang.pick(&project.name_zh, &project.name_en).to_owned(),
        building: building.id.clone(),
        name: building.name.clone(),
        floors: floors
            .into_iter()
            .rev()
            .map(|(floor, mut units)| {
                units.sort_by_key(|(position, _)| *position);
                FloorRow {
                    floor,
                    units: units.into_iter().map(|(_, tile)| tile).collect(),
                }
            })
            .collect(),
        counts,
    }
}

/// A project on the home screen: the person's inspection assignments, and its buildings, each
/// with its grid (for the counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectOverview {
    /// The project.
    pub id: ProjectId,
    /// Its name in the chosen language.
    pub name: String,
    /// What the office planned for this person, soonest first.
    pub assignments: Vec<AssignmentLine>,
    /// Its buildings.
    pub buildings: Vec<BuildingGrid>,
}

/// One inspection assignment, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentLine {
    /// The building it is in.
    pub building: BuildingId,
    /// The building's name, and the floors when not all of them (e.g. `1栋 3–7层`).
    pub place: String,
    /// The dates, e.g. `2026-12-07 – 2026-12-09`.
    pub dates: String,
    /// It runs today.
    pub today: bool,
}

/// The assignments of `user` in `project`, soonest first, as the home screen lists them.
pub fn assignment_lines(
    project: &Project,
    user: &plumbline_shared::ids::UserId,
    today: chrono::NaiveDate,
    lang: Lang,
) -> Vec<AssignmentLine> {
    project
        .assignments_for(user)
        .into_iter()
        .map(|a| {
            let building = project
                .building(&a.building)
                .map_or_else(|| a.building.to_string(), |b| b.name.clone());
            let place = match &a.floors {
                Some(f) if f.first == f.last => {
                    format!("{building} {}{}", f.first, Msg::Floor.text(lang))
                }
                Some(f) => format!("{building} {}–{}{}", f.first, f.last, Msg::Floor.text(lang)),
                None => building,
            };
            let dates = if a.from == a.to {
                a.from.to_string()
            } else {
                format!("{} – {}", a.from, a.to)
            };
            AssignmentLine {
                building: a.building.clone(),
                place,
                dates,
                today: a.is_on(today),
            }
        })
        .collect()
}

impl BuildingGrid {
    /// Units in the building.
    pub fn units(&self) -> usize {
        self.counts.values().sum()
    }
}
