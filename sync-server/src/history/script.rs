//! What is generated: the parameters, the script of every finding's life, and the facts
//! those lives establish.

use std::collections::BTreeSet;

use plumbline_shared::doc::round::RoundKind;
use plumbline_shared::event::{FineApprovalStep, Origin, ResponseMode, Satisfaction};
use plumbline_shared::ids::{BuildingId, ContractorId, FindingId, ItemId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{DAY_MS, HOUR_MS, SECOND_MS, Timestamp};
use plumbline_shared::workflow::{PenaltyCondition, Status};

use super::*;

pub(crate) const RESPONSE_MS: i64 = 4 * HOUR_MS;
// ---------------------------------------------------------------------------------------------
// Parameters and the generated script
// ---------------------------------------------------------------------------------------------

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    /// The project id; buildings, units and contractors are named after it.
    pub project: String,
    /// Buildings.
    pub buildings: u32,
    /// Floors per building. Keep it at 9 or fewer where stack and floor ties must sort the
    /// same as strings and as numbers (the report tests' reading 7).
    pub floors: u32,
    /// Units per floor.
    pub per_floor: u32,
    /// Findings in all, about 25 of them scripted edge cases (the rest random).
    pub findings: usize,
    /// Seed of the PRNG.
    pub seed: u64,
    /// The clock the script is drawn against: every event is before it, and the report month
    /// is the one before the month it falls in. Always an instant the test chose (the server
    /// it writes to runs on a clock set to it), never the machine's date.
    pub now: Timestamp,
    /// The project to script, when it is not to be built from the sizes above (the demo's):
    /// its units are taken in building order, and it needs at least five contractors (the
    /// random lives use the first four, the scripted edge cases the fifth too).
    pub base: Option<Project>,
    /// Why a drawn life will not do (it is drawn again), or `None` to take it.
    pub redraw: Redraw,
    /// Whether to add the open work of the morning of `now`: a case in every queue of the
    /// dashboard ([`crate::history::OPEN_WORK`]).
    pub open_work_today: bool,
}

/// A check on a drawn life: given the case, the report month and `now`, why it must be drawn
/// again, or `None`.
pub type Redraw = fn(&ScriptCase, Month, i64) -> Option<&'static str>;

/// Takes every life as drawn.
pub fn any_life(_: &ScriptCase, _: Month, _: i64) -> Option<&'static str> {
    None
}

impl Params {
    /// `buildings × floors × per_floor` units and `findings` findings, drawn against `now`.
    pub fn new(
        project: &str,
        (buildings, floors, per_floor): (u32, u32, u32),
        findings: usize,
        seed: u64,
        now: Timestamp,
    ) -> Self {
        Self {
            project: project.to_owned(),
            buildings,
            floors,
            per_floor,
            findings,
            seed,
            now,
            base: None,
            redraw: any_life,
            open_work_today: false,
        }
    }
}

/// One unit, where it is.
#[derive(Debug, Clone)]
pub struct UnitInfo {
    pub id: UnitId,
    pub building: BuildingId,
    /// Index of the building (0-based).
    pub building_index: u32,
    pub floor: u32,
    pub position: u32,
}

/// One rectification notice as the script made it go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    pub no: String,
    /// Index into [`Generated::contractors`].
    pub contractor: usize,
    pub issued: i64,
    pub response_deadline: i64,
    pub repair_deadline: i64,
    /// On site, a plan, or a repair report without either before it.
    pub answered: Option<i64>,
    pub refused: Option<i64>,
    /// When this contractor's clocks stopped (the first stop).
    pub stopped: Option<i64>,
    pub first_report: Option<i64>,
    pub failed: Vec<i64>,
    pub accepted: Option<i64>,
    pub returned: Option<i64>,
}

impl NoticeFacts {
    /// The notice as it stood before `cutoff` (every fact when `None`).
    pub fn known(&self, cutoff: Option<i64>) -> Self {
        let k = |t: Option<i64>| t.filter(|t| known(*t, cutoff));
        Self {
            answered: k(self.answered),
            refused: k(self.refused),
            stopped: k(self.stopped),
            first_report: k(self.first_report),
            failed: self
                .failed
                .iter()
                .copied()
                .filter(|t| known(*t, cutoff))
                .collect(),
            accepted: k(self.accepted),
            returned: k(self.returned),
            ..self.clone()
        }
    }
}

/// An emergency repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyFacts {
    pub started: i64,
    pub charged_to: usize,
    /// When it finished and its cost in fen.
    pub finished: Option<(i64, i64)>,
}

/// A fine slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FineFacts {
    pub id: String,
    pub contractor: usize,
    pub condition: PenaltyCondition,
    pub drafted: i64,
    pub amount: i64,
    /// Approvals given (leader, then manager).
    pub approvals: u8,
    pub voided: Option<i64>,
}

/// What a finding's steps established.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub notices: Vec<NoticeFacts>,
    /// Closed, or cancelled for another reason than "not a defect".
    pub closed: Option<i64>,
    /// Merged into another finding, or cancelled as "not a defect": from then on it does not
    /// count.
    pub uncounted: Option<i64>,
    pub emergencies: Vec<EmergencyFacts>,
    pub fines: Vec<FineFacts>,
    pub callbacks: Vec<(i64, Satisfaction)>,
}

/// One scripted event after the `recorded` one.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: i64,
    pub kind: StepKind,
    /// The contractor who answers, for the contractor's own steps.
    pub contractor: Option<usize>,
}

/// What a step does (contractors by index into [`Generated::contractors`]).
#[derive(Debug, Clone)]
pub enum StepKind {
    /// A photo (the n-th of the finding).
    Evidence(u32),
    Notice {
        no: String,
        contractor: usize,
        deadline: i64,
    },
    Reassign {
        no: String,
        contractor: usize,
        deadline: i64,
    },
    Refuse,
    Respond(ResponseMode),
    Dispute,
    Report,
    Fail,
    Pass,
    Return,
    EmergencyStart,
    EmergencyFinish(i64),
    FineDraft {
        fine: String,
        contractor: usize,
        condition: PenaltyCondition,
        amount: i64,
    },
    FineApprove {
        fine: String,
        step: FineApprovalStep,
    },
    FineVoid {
        fine: String,
    },
    Callback(Satisfaction),
    /// The office asks for the photo to be taken again.
    RequestEvidence,
    Close,
    Cancel {
        not_a_defect: bool,
    },
    /// Merged into the case with this index (same unit); it gets the `merged_from`.
    MergeInto(usize),
}

/// One finding of the script.
#[derive(Debug, Clone)]
pub struct ScriptCase {
    pub index: usize,
    /// Index into [`Generated::units`].
    pub unit: usize,
    pub origin: Origin,
    pub room: String,
    pub item: String,
    pub category: String,
    pub severity: Severity,
    pub recorded: i64,
    pub steps: Vec<Step>,
    pub facts: Facts,
    /// The status the script means the case to end in.
    pub status: Status,
    /// A name for the scripted edge cases.
    pub special: Option<&'static str>,
    /// The finding's id, once written.
    pub finding: Option<FindingId>,
}

impl ScriptCase {
    /// Whether the case counts now (not merged away, not "not a defect").
    pub fn counts(&self) -> bool {
        self.facts.uncounted.is_none()
    }

    /// The contractor of its current notice.
    pub fn contractor(&self) -> Option<usize> {
        self.facts.notices.last().map(|n| n.contractor)
    }
}

/// An inspection round the script starts.
#[derive(Debug, Clone)]
pub struct ScriptRound {
    pub unit: usize,
    pub at: i64,
    pub kind: RoundKind,
    /// Check items marked as passed.
    pub passed: Vec<ItemId>,
}

/// The project, the script and what the reports must say about it.
#[derive(Debug, Clone)]
pub struct Generated {
    pub params: Params,
    pub project: Project,
    /// The report month.
    pub month: Month,
    pub units: Vec<UnitInfo>,
    pub contractors: Vec<ContractorId>,
    pub cases: Vec<ScriptCase>,
    pub rounds: Vec<ScriptRound>,
    /// Units with a pre-handover round.
    pub inspected: BTreeSet<usize>,
}

impl Generated {
    /// The cases of one unit, in script order.
    pub fn cases_of(&self, unit: usize) -> Vec<&ScriptCase> {
        self.cases.iter().filter(|c| c.unit == unit).collect()
    }
}

/// Whether a fact at `t` is known before `cutoff` (every fact when `None`).
pub fn known(t: i64, cutoff: Option<i64>) -> bool {
    cutoff.is_none_or(|c| t < c)
}

/// Ages at which whole days counted down, counted up, or calendar days give different backlog
/// buckets (7, 30 and 90 days, a second either side); the script records no finding at such an
/// age at the report month's end.
pub fn forbidden_age(age: i64) -> bool {
    [7, 30, 90]
        .iter()
        .any(|d| (d * DAY_MS - SECOND_MS..=(d + 1) * DAY_MS + SECOND_MS).contains(&age))
}
