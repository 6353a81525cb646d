//! The project hierarchy: project (楼盘) → building (楼栋) → unit (户), and contractors (施工单位).
//!
//! A [`Project`] is what the project document holds. It changes rarely (an administrator imports
//! units, adds a contractor), so it is reconciled whole with autosurgeon; the busy per-unit
//! records live in unit documents ([`crate::doc::unit`]).

use autosurgeon::{Hydrate, Reconcile};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{BuildingId, ContractorId, ProjectId, UnitId};
use crate::plan::Assignment;

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
