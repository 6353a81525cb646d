//! The demo project, 郦城 (Licheng): what a fresh install, the end-to-end tests and a sales
//! demo all start from.
//!
//! Licheng has two buildings (1栋, 2栋) of 18 floors with four units a floor, 144 units in all,
//! five contractors (土建 civil, 机电 MEP, 精装修 fit-out, 门窗 doors and windows, 园林
//! landscape), and every unit is handed over six
//! weeks after the day the demo is created, which puts a fresh demo in the middle of the
//! pre-handover inspection window (交付前 1–2 个月).
//!
//! The project is kept as a compact *spec* in `assets/demo/licheng.json` (buildings as floor and
//! unit counts, the handover as a number of days) and [`expand`]ed into a full [`Project`] for a
//! given day. Unit ids are `<building id>-<floor><position:02>`, e.g. `licheng-b1-1201`, and
//! labels are `<building number>-<floor><position:02>`, e.g. `1-1201`, or `1-302` on floor 3.
//!
//! ```
//! use chrono::NaiveDate;
//! use plumbline_shared::demo;
//!
//! let today = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
//! let project = demo::demo_project(today).unwrap();
//! assert_eq!(project.units().count(), 144);
//! let (_, unit) = project.units().next().unwrap();
//! assert_eq!((unit.id.as_str(), unit.label.as_str()), ("licheng-b1-101", "1-101"));
//! assert_eq!(unit.handover, NaiveDate::from_ymd_opt(2025, 4, 12).unwrap());
//! ```

use std::collections::HashSet;

use chrono::{Days, NaiveDate};
use serde::Deserialize;

use crate::ids::{BuildingId, ContractorId, IdError, ProjectId, UnitId};
use crate::project::{Building, Contractor, Project, Trade, Unit};

/// The Licheng spec, `assets/demo/licheng.json`.
pub const LICHENG_SPEC: &str = include_str!("../../assets/demo/licheng.json");

/// The most floors a building in a spec may have.
pub const MAX_FLOORS: u32 = 200;
/// The most units a floor in a spec may have (positions must stay two digits in unit numbers).
pub const MAX_UNITS_PER_FLOOR: u32 = 50;
/// The latest handover a spec may ask for, in days after the demo is created.
pub const MAX_HANDOVER_DAYS: u32 = 3_650;

/// A demo spec that cannot be expanded, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    /// The spec is not JSON, or not shaped like a spec (a field missing, unknown or mistyped).
    #[error("demo spec, line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde's description.
        message: String,
    },
    /// An id in the spec, or a unit id made from it, breaks the id rules.
    #[error("demo spec: {0}")]
    Id(#[from] IdError),
    /// A required text is empty.
    #[error("demo spec: `{field}` is empty; give it a value")]
    EmptyText {
        /// The field, e.g. `name_zh` or ``contractor `x`: phone``.
        field: String,
    },
    /// The spec has no buildings.
    #[error("demo spec has no buildings; add at least one")]
    NoBuildings,
    /// A building's floor count is outside `1..=`[`MAX_FLOORS`].
    #[error("demo spec, building `{building}`: {floors} floors is outside 1..={MAX_FLOORS}")]
    Floors {
        /// The building id.
        building: String,
        /// The floor count given.
        floors: u32,
    },
    /// A building's units per floor is outside `1..=`[`MAX_UNITS_PER_FLOOR`].
    #[error(
        "demo spec, building `{building}`: {units} units per floor is outside \
         1..={MAX_UNITS_PER_FLOOR}"
    )]
    UnitsPerFloor {
        /// The building id.
        building: String,
        /// The count given.
        units: u32,
    },
    /// A building's number is 0.
    #[error("demo spec, building `{building}`: `number` must be 1 or more (it starts unit labels)")]
    BuildingNumber {
        /// The building id.
        building: String,
    },
    /// Two buildings share an id or a number.
    #[error(
        "demo spec: two buildings have the {what} `{value}`; building ids and numbers must be unique"
    )]
    DuplicateBuilding {
        /// `id` or `number`.
        what: &'static str,
        /// The repeated value.
        value: String,
    },
    /// Two contractors share an id.
    #[error("demo spec: two contractors have the id `{0}`; contractor ids must be unique")]
    DuplicateContractor(String),
    /// A contractor has no trades.
    #[error(
        "demo spec, contractor `{0}`: no trades; list at least one of civil, mep, fit_out, \
         doors_windows, landscape"
    )]
    NoTrades(String),
    /// The handover date cannot be computed or is too far away.
    #[error(
        "demo spec: a handover {days} days after {today} is not allowed; use 0 to \
         {MAX_HANDOVER_DAYS} days"
    )]
    Handover {
        /// `handover_after_days` as given.
        days: u32,
        /// The day the demo is created.
        today: NaiveDate,
    },
}

/// The spec as written in the asset. Ids stay strings here so that a bad one is reported by
/// [`expand`] with the building or contractor it belongs to.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    id: String,
    name_zh: String,
    name_en: String,
    template: String,
    handover_after_days: u32,
    buildings: Vec<BuildingSpec>,
    contractors: Vec<ContractorSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildingSpec {
    id: String,
    number: u32,
    name: String,
    floors: u32,
    units_per_floor: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractorSpec {
    id: String,
    name: String,
    trades: Vec<Trade>,
    phone: String,
}

/// The Licheng demo project, with every unit handed over 42 days after `today`.
pub fn demo_project(today: NaiveDate) -> Result<Project, DemoError> {
    expand(LICHENG_SPEC, today)
}

/// Expands a demo spec (JSON, shaped like `assets/demo/licheng.json`) into a [`Project`] whose
/// units are handed over `handover_after_days` after `today`.
///
/// Units are listed per building by floor, then position on the floor.
pub fn expand(spec_json: &str, today: NaiveDate) -> Result<Project, DemoError> {
    let spec: Spec = serde_json::from_str(spec_json).map_err(|e| {
        // serde_json appends " at line L column C"; we report those as fields instead.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        DemoError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;

    let id = ProjectId::new(spec.id)?;
    for (field, value) in [
        ("name_zh", &spec.name_zh),
        ("name_en", &spec.name_en),
        ("template", &spec.template),
    ] {
        non_empty(field.to_owned(), value)?;
    }
    let handover = Some(spec.handover_after_days)
        .filter(|days| *days <= MAX_HANDOVER_DAYS)
        .and_then(|days| today.checked_add_days(Days::new(u64::from(days))))
        .ok_or(DemoError::Handover {
            days: spec.handover_after_days,
            today,
        })?;

    if spec.buildings.is_empty() {
        return Err(DemoError::NoBuildings);
    }
    let mut building_ids = HashSet::new();
    let mut building_numbers = HashSet::new();
    let mut buildings = Vec::with_capacity(spec.buildings.len());
    for b in spec.buildings {
        buildings.push(expand_building(
            b,
            handover,
            &mut building_ids,
            &mut building_numbers,
        )?);
    }

    let mut contractor_ids = HashSet::new();
    let mut contractors = Vec::with_capacity(spec.contractors.len());
    for c in spec.contractors {
        let id = ContractorId::new(c.id)?;
        if !contractor_ids.insert(id.clone()) {
            return Err(DemoError::DuplicateContractor(id.to_string()));
        }
        non_empty(format!("contractor `{id}`: name"), &c.name)?;
        non_empty(format!("contractor `{id}`: phone"), &c.phone)?;
        if c.trades.is_empty() {
            return Err(DemoError::NoTrades(id.to_string()));
        }
        contractors.push(Contractor {
            id,
            name: c.name,
            trades: c.trades,
            phone: c.phone,
        });
    }

    Ok(Project {
        id,
        name_zh: spec.name_zh,
        name_en: spec.name_en,
        template: spec.template,
        buildings,
        contractors,
        assignments: Vec::new(),
        suggestion_notes: Vec::new(),
        floor_plans: Vec::new(),
        workflow: crate::workflow::WorkflowSettings::default(),
    })
}

fn expand_building(
    b: BuildingSpec,
    handover: NaiveDate,
    ids: &mut HashSet<BuildingId>,
    numbers: &mut HashSet<u32>,
) -> Result<Building, DemoError> {
    let id = BuildingId::new(b.id)?;
    if !ids.insert(id.clone()) {
        return Err(DemoError::DuplicateBuilding {
            what: "id",
            value: id.to_string(),
        });
    }
    if b.number == 0 {
        return Err(DemoError::BuildingNumber {
            building: id.to_string(),
        });
    }
    if !numbers.insert(b.number) {
        return Err(DemoError::DuplicateBuilding {
            what: "number",
            value: b.number.to_string(),
        });
    }
    non_empty(format!("building `{id}`: name"), &b.name)?;
    if !(1..=MAX_FLOORS).contains(&b.floors) {
        return Err(DemoError::Floors {
            building: id.to_string(),
            floors: b.floors,
        });
    }
    if !(1..=MAX_UNITS_PER_FLOOR).contains(&b.units_per_floor) {
        return Err(DemoError::UnitsPerFloor {
            building: id.to_string(),
            units: b.units_per_floor,
        });
    }

    let mut units = Vec::with_capacity((b.floors * b.units_per_floor) as usize);
    for floor in 1..=b.floors {
        for position in 1..=b.units_per_floor {
            // Positions stay below 100 (MAX_UNITS_PER_FLOOR), so floor 3 position 2 is 302.
            let number = floor * 100 + position;
            units.push(Unit {
                id: UnitId::new(format!("{id}-{number}"))?,
                label: format!("{}-{number}", b.number),
                floor,
                position,
                handover,
            });
        }
    }
    Ok(Building {
        id,
        name: b.name,
        floors: b.floors,
        units,
    })
}

fn non_empty(field: String, value: &str) -> Result<(), DemoError> {
    if value.trim().is_empty() {
        Err(DemoError::EmptyText { field })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::{Value, json};

    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
    }

    #[test]
    fn licheng_has_144_units_in_two_buildings() {
        let p = demo_project(day()).unwrap();
        assert_eq!(p.id.as_str(), "licheng");
        assert_eq!(p.name_zh, "郦城");
        assert_eq!(p.template, "residential");
        assert_eq!(p.buildings.len(), 2);
        assert_eq!(p.units().count(), 144);
        for b in &p.buildings {
            assert_eq!(b.floors, 18);
            assert_eq!(b.units.len(), 72);
        }
        assert_eq!(p.buildings[1].name, "2栋");
    }

    #[test]
    fn unit_ids_and_labels_follow_floor_and_position() {
        let p = demo_project(day()).unwrap();
        let (b, u) = p.unit(&UnitId::new("licheng-b1-1201").unwrap()).unwrap();
        assert_eq!(b.id.as_str(), "licheng-b1");
        assert_eq!((u.label.as_str(), u.floor, u.position), ("1-1201", 12, 1));
        let (_, u) = p.unit(&UnitId::new("licheng-b2-302").unwrap()).unwrap();
        assert_eq!(u.label, "2-302");
        let b1: Vec<&str> = p.buildings[0]
            .units
            .iter()
            .map(|u| u.label.as_str())
            .collect();
        assert_eq!(
            &b1[..6],
            ["1-101", "1-102", "1-103", "1-104", "1-201", "1-202"]
        );
        assert_eq!(b1.last(), Some(&"1-1804"));
        let ordered = p.buildings[0]
            .units
            .windows(2)
            .all(|w| (w[0].floor, w[0].position) < (w[1].floor, w[1].position));
        assert!(ordered);
        let ids: HashSet<_> = p.units().map(|(_, u)| u.id.clone()).collect();
        assert_eq!(ids.len(), 144);
    }

    #[test]
    fn handover_is_six_weeks_after_today() {
        let p = demo_project(day()).unwrap();
        let expected = NaiveDate::from_ymd_opt(2025, 4, 12).unwrap();
        assert!(p.units().all(|(_, u)| u.handover == expected));
    }

    #[test]
    fn five_contractors_cover_every_trade() {
        let p = demo_project(day()).unwrap();
        assert_eq!(p.contractors.len(), 5);
        for trade in [
            Trade::Civil,
            Trade::Mep,
            Trade::FitOut,
            Trade::DoorsWindows,
            Trade::Landscape,
        ] {
            assert!(
                p.contractors.iter().any(|c| c.trades.contains(&trade)),
                "{trade:?}"
            );
        }
        for c in &p.contractors {
            assert_eq!(c.phone.len(), 11, "{}", c.phone);
            assert!(c.phone.starts_with('1') && c.phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(p.contractor(&c.id).is_some());
        }
    }

    fn spec_with(change: impl FnOnce(&mut Value)) -> String {
        let mut spec: Value = serde_json::from_str(LICHENG_SPEC).unwrap();
        change(&mut spec);
        spec.to_string()
    }

    #[rstest]
    #[case::no_buildings(|s: &mut Value| s["buildings"] = json!([]), "no buildings")]
    #[case::zero_floors(|s: &mut Value| s["buildings"][0]["floors"] = json!(0), "0 floors")]
    #[case::too_many_floors(|s: &mut Value| s["buildings"][1]["floors"] = json!(201), "201 floors")]
    #[case::units_per_floor(
        |s: &mut Value| s["buildings"][0]["units_per_floor"] = json!(51),
        "51 units per floor"
    )]
    #[case::bad_building_id(
        |s: &mut Value| s["buildings"][0]["id"] = json!("1 栋"),
        "building id `1 栋`"
    )]
    #[case::bad_project_id(|s: &mut Value| s["id"] = json!(""), "project id is empty")]
    #[case::duplicate_building(
        |s: &mut Value| s["buildings"][1]["id"] = json!("licheng-b1"),
        "two buildings have the id `licheng-b1`"
    )]
    #[case::duplicate_number(
        |s: &mut Value| s["buildings"][1]["number"] = json!(1),
        "two buildings have the number `1`"
    )]
    #[case::zero_number(|s: &mut Value| s["buildings"][0]["number"] = json!(0), "`number`")]
    #[case::duplicate_contractor(
        |s: &mut Value| s["contractors"][2]["id"] = json!("hengzhu-civil"),
        "two contractors have the id `hengzhu-civil`"
    )]
    #[case::no_trades(|s: &mut Value| s["contractors"][0]["trades"] = json!([]), "no trades")]
    #[case::unknown_trade(
        |s: &mut Value| s["contractors"][0]["trades"] = json!(["plumbing"]),
        "unknown variant `plumbing`"
    )]
    #[case::typo(
        |s: &mut Value| s["buildings"][0]["unit_per_floor"] = json!(4),
        "unknown field `unit_per_floor`"
    )]
    #[case::empty_name(|s: &mut Value| s["name_zh"] = json!(" "), "`name_zh` is empty")]
    #[case::far_handover(
        |s: &mut Value| s["handover_after_days"] = json!(3651),
        "3651 days after 2025-03-01"
    )]
    #[case::unit_id_too_long(
        |s: &mut Value| s["buildings"][0]["id"] = json!("b".repeat(62)),
        "longer than 64 bytes"
    )]
    fn broken_specs_are_refused(#[case] change: fn(&mut Value), #[case] expected: &str) {
        let err = expand(&spec_with(change), day()).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("demo spec"), "{message}");
        assert!(message.contains(expected), "{message}");
    }
}
