//! Handover readiness and inspection planning: the reason the pre-handover inspection exists.
//!
//! Every unit is walked by an inspector one to two months before it is handed over to its
//! owner (交付前 1–2 个月的前期验收). Two things follow, and both live here so that the office
//! web and the app apply the same rules:
//!
//! - **Readiness.** How far a unit's inspection has got ([`InspectionProgress`], projected from
//!   its document whenever it changes, and its [`InspectionState`] against the checklist
//!   template), and when a building is short of time ([`needs_attention`]: handover within
//!   [`WARNING_DAYS`] days and a unit not yet inspected).
//! - **Planning.** An [`Assignment`] gives an inspector a building, or a range of its floors,
//!   for a range of dates. Assignments are kept in the project document ([`Project`] reconciles
//!   them as a list keyed by [`AssignmentId`]), which every device of the project syncs, so an
//!   inspector's phone learns its work without a separate channel;
//!   [`Project::assignments_for`] is what a phone shows its user.
//!
//! ```
//! use chrono::NaiveDate;
//! use plumbline_shared::demo::demo_project;
//! use plumbline_shared::ids::{AssignmentId, UserId};
//! use plumbline_shared::inspection_plan::{Assignment, FloorRange};
//!
//! let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
//! let mut project = demo_project(day(1)).unwrap();
//! let wang = UserId::new("wangli").unwrap();
//! let assignment = Assignment {
//!     id: AssignmentId::new("a1").unwrap(),
//!     inspector: wang.clone(),
//!     building: project.buildings[0].id.clone(),
//!     floors: Some(FloorRange { first: 3, last: 5 }),
//!     from: day(7),
//!     to: day(9),
//!     assigned_by: UserId::new("zhao").unwrap(),
//! };
//! project.put_assignment(assignment).unwrap();
//! let mine = project.assignments_for(&wang);
//! assert_eq!(mine.len(), 1);
//! assert_eq!(project.assigned_units(mine[0]).len(), 3 * 4); // three floors of four units
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::doc::round::RoundKind;
use crate::doc::unit::UnitRecord;
use crate::ids::{AssignmentId, BuildingId, UserId};
pub use crate::project::{Assignment, FloorRange, FloorRangeError};
use crate::project::{Building, Project, Unit};

/// How many days before handover a building with uninspected units is flagged: the inspection
/// window opens two months before handover, so at 60 days every unit should be on someone's
/// list.
pub const WARNING_DAYS: i64 = 60;

/// Whether a building (or a project) needs attention now: its earliest handover is
/// [`WARNING_DAYS`] days away or less — or already past — and some unit is not inspected.
///
/// A handover that has passed stays flagged while units are uninspected: that is worse than a
/// near one, not better.
pub fn needs_attention(days_to_handover: i64, uninspected: usize) -> bool {
    uninspected > 0 && days_to_handover <= WARNING_DAYS
}

/// Days from `today` to the earliest handover among `units` (negative once it has passed);
/// `None` for no units.
pub fn days_to_handover<'a>(
    units: impl IntoIterator<Item = &'a Unit>,
    today: NaiveDate,
) -> Option<i64> {
    units
        .into_iter()
        .map(|u| u.handover)
        .min()
        .map(|first| (first - today).num_days())
}

/// How far a unit's pre-handover inspection has got, as its document says. Kept by the server
/// beside the case records (projected whenever the unit document changes), so the readiness
/// page reads one small row per unit instead of every unit document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionProgress {
    /// Pre-handover rounds started (交付前验收, rounds 1, 2, …).
    pub rounds: u32,
    /// The most check items marked in any one pre-handover round (pass, defect or not
    /// applicable).
    pub most_marked: u32,
}

/// Where a unit's inspection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionState {
    /// No pre-handover round started.
    NotStarted,
    /// A pre-handover round started, but none has every check item marked yet (验收中).
    UnderWay,
    /// Inspected (已验收): see [`InspectionProgress::state`].
    Inspected,
}

impl InspectionState {
    /// Every state, in order of progress.
    pub const ALL: [InspectionState; 3] = [
        InspectionState::NotStarted,
        InspectionState::UnderWay,
        InspectionState::Inspected,
    ];

    /// The stable machine name (`not_started`, `under_way`, `inspected`).
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionState::NotStarted => "not_started",
            InspectionState::UnderWay => "under_way",
            InspectionState::Inspected => "inspected",
        }
    }

    /// Parses the machine name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl InspectionProgress {
    /// The progress of the unit `record` holds.
    pub fn of(record: &UnitRecord) -> Self {
        let mut out = Self::default();
        for round in record
            .rounds
            .values()
            .filter(|r| r.kind == RoundKind::PreHandover)
        {
            out.rounds += 1;
            out.most_marked = out.most_marked.max(round.results.len() as u32);
        }
        out
    }

    /// Where the inspection stands for a checklist of `items` check items.
    ///
    /// **Inspected** means: at least one pre-handover round has a result — pass, defect or not
    /// applicable — for every check item of the checklist. That is what office staff mean by
    /// 已验收 ("has someone walked this unit end to end?"). A round that was merely started (an
    /// inspector opened the checklist, marked the kitchen and was called away) leaves most of
    /// the unit unchecked, and counting it would hide exactly the units the handover flag
    /// exists for; those are [`InspectionState::UnderWay`], which counts as not inspected.
    /// "Not applicable" counts as checked: the inspector looked and decided. Any complete
    /// round counts, not only the latest, so starting a second walk does not undo the first.
    ///
    /// Results are keyed by check item, so the number of results in a round is the number of
    /// items checked; a device marks only items of the template it shows, the same template.
    /// A checklist with no items inspects nothing, so nothing is ever inspected against it.
    pub fn state(&self, items: usize) -> InspectionState {
        if self.rounds == 0 {
            InspectionState::NotStarted
        } else if items > 0 && self.most_marked as usize >= items {
            InspectionState::Inspected
        } else {
            InspectionState::UnderWay
        }
    }
}

/// Why an assignment does not fit its project. The office web words each case in both
/// languages; these messages are for logs and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The building or its floors.
    #[error(transparent)]
    Floors(#[from] FloorRangeError),
    /// The last day comes before the first.
    #[error("the assignment ends ({to}) before it starts ({from}); give the first day first")]
    DatesReversed {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
    /// No assignment has this id.
    #[error("assignment `{0}` does not exist (it may have been removed)")]
    NoSuchAssignment(AssignmentId),
}

impl Project {
    /// The assignments of `user`, by first day (then building order and floor): what the app
    /// shows an inspector as their own work.
    pub fn assignments_for(&self, user: &UserId) -> Vec<&Assignment> {
        let order = |b: &BuildingId| self.buildings.iter().position(|x| &x.id == b);
        let mut mine: Vec<&Assignment> = self
            .assignments
            .iter()
            .filter(|a| &a.inspector == user)
            .collect();
        mine.sort_by_key(|a| {
            (
                a.from,
                order(&a.building),
                a.floors.map_or(0, |r| r.first),
                a.id.clone(),
            )
        });
        mine
    }

    /// The units an assignment covers, in the building's order.
    pub fn assigned_units(&self, assignment: &Assignment) -> Vec<&Unit> {
        self.building(&assignment.building)
            .map(|b| {
                b.units
                    .iter()
                    .filter(|u| assignment.covers(&b.id, u.floor))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Finds a building by id.
    pub fn building(&self, id: &BuildingId) -> Option<&Building> {
        self.buildings.iter().find(|b| &b.id == id)
    }

    /// Checks that an assignment fits this project: its building exists, its floors are
    /// within the building and in order, its dates in order. (That the inspector holds the
    /// inspector role is for the server to check: roles are not in the project document.)
    pub fn check_assignment(&self, a: &Assignment) -> Result<(), PlanError> {
        self.check_floors(&a.building, a.floors)?;
        if a.to < a.from {
            return Err(PlanError::DatesReversed {
                from: a.from,
                to: a.to,
            });
        }
        Ok(())
    }

    /// Adds `a`, or replaces the assignment with its id, after [`Project::check_assignment`];
    /// on an error nothing changes.
    pub fn put_assignment(&mut self, a: Assignment) -> Result<(), PlanError> {
        self.check_assignment(&a)?;
        match self.assignments.iter_mut().find(|x| x.id == a.id) {
            Some(slot) => *slot = a,
            None => self.assignments.push(a),
        }
        Ok(())
    }

    /// Removes the assignment `id` and returns it.
    pub fn remove_assignment(&mut self, id: &AssignmentId) -> Result<Assignment, PlanError> {
        let at = self
            .assignments
            .iter()
            .position(|a| &a.id == id)
            .ok_or_else(|| PlanError::NoSuchAssignment(id.clone()))?;
        Ok(self.assignments.remove(at))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::NaiveDate;
    use rstest::rstest;

    use super::*;
    use crate::demo::demo_project;
    use crate::doc::project::ProjectDoc;
    use crate::ids::DeviceId;
    use crate::time::Timestamp;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn assignment(
        id: &str,
        who: &str,
        floors: Option<(u32, u32)>,
        from: u32,
        to: u32,
    ) -> Assignment {
        let project = demo_project(day(1)).unwrap();
        Assignment {
            id: AssignmentId::new(id).unwrap(),
            inspector: UserId::new(who).unwrap(),
            building: project.buildings[0].id.clone(),
            floors: floors.map(|(first, last)| FloorRange { first, last }),
            from: day(from),
            to: day(to),
            assigned_by: UserId::new("zhao").unwrap(),
        }
    }

    #[rstest]
    #[case::whole_building(None, true)]
    #[case::in_range(Some((1, 18)), true)]
    #[case::floor_zero(Some((0, 3)), false)]
    #[case::above_the_roof(Some((17, 19)), false)]
    #[case::upside_down(Some((5, 3)), false)]
    fn floors_must_be_within_the_building(#[case] floors: Option<(u32, u32)>, #[case] ok: bool) {
        let project = demo_project(day(1)).unwrap();
        let a = assignment("a", "wangli", floors, 2, 3);
        assert_eq!(project.check_assignment(&a).is_ok(), ok);
    }

    #[test]
    fn bad_assignments_change_nothing() {
        let mut project = demo_project(day(1)).unwrap();
        let before = project.clone();
        let reversed = assignment("a", "wangli", None, 9, 3);
        assert!(matches!(
            project.put_assignment(reversed),
            Err(PlanError::DatesReversed { .. })
        ));
        let mut elsewhere = assignment("a", "wangli", None, 1, 3);
        elsewhere.building = BuildingId::new("nowhere").unwrap();
        assert!(project.put_assignment(elsewhere).is_err());
        assert_eq!(project, before);
    }

    #[test]
    fn an_inspector_sees_only_their_assignments_in_date_order() {
        let mut project = demo_project(day(1)).unwrap();
        project
            .put_assignment(assignment("late", "wangli", Some((5, 6)), 20, 21))
            .unwrap();
        project
            .put_assignment(assignment("other", "liuyang", None, 2, 3))
            .unwrap();
        project
            .put_assignment(assignment("early", "wangli", Some((1, 2)), 7, 8))
            .unwrap();
        let wang = UserId::new("wangli").unwrap();
        let mine: Vec<&str> = project
            .assignments_for(&wang)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(mine, ["early", "late"]);
        // Changing one keeps its place in the list and its id.
        project
            .put_assignment(assignment("early", "wangli", Some((1, 4)), 7, 8))
            .unwrap();
        assert_eq!(project.assignments.len(), 3);
        let units = project.assigned_units(project.assignments_for(&wang)[0]);
        assert_eq!(units.len(), 16);
        assert!(units.iter().all(|u| (1..=4).contains(&u.floor)));
        project
            .remove_assignment(&AssignmentId::new("early").unwrap())
            .unwrap();
        assert_eq!(project.assignments_for(&wang).len(), 1);
    }

    #[test]
    fn assignments_survive_the_project_document_and_old_documents_read_as_none() {
        let device = DeviceId::new("server").unwrap();
        let old = demo_project(day(1)).unwrap();
        // A document written before assignments existed has no `assignments` key at all.
        let mut doc = ProjectDoc::create(&old, &device, Timestamp(1)).unwrap();
        {
            use automerge::ReadDoc;
            use automerge::transaction::Transactable;
            let am = doc.automerge_mut();
            let (_, project_obj) = am.get(automerge::ROOT, "project").unwrap().unwrap();
            am.delete(&project_obj, "assignments").unwrap();
        }
        let loaded = ProjectDoc::load(&doc.save()).unwrap();
        assert!(loaded.project().unwrap().assignments.is_empty());

        let mut project = old.clone();
        project
            .put_assignment(assignment("a1", "wangli", Some((3, 5)), 7, 9))
            .unwrap();
        let mut doc = ProjectDoc::load(&doc.save()).unwrap();
        doc.update(&project, &device, Timestamp(2)).unwrap();
        let again = ProjectDoc::load(&doc.save()).unwrap().project().unwrap();
        assert_eq!(again, project);
    }

    #[test]
    fn a_unit_is_inspected_when_one_round_marks_every_item() {
        let none = InspectionProgress::default();
        assert_eq!(none.state(87), InspectionState::NotStarted);
        let started = InspectionProgress {
            rounds: 1,
            most_marked: 0,
        };
        assert_eq!(started.state(87), InspectionState::UnderWay);
        let most = InspectionProgress {
            rounds: 2,
            most_marked: 86,
        };
        assert_eq!(most.state(87), InspectionState::UnderWay);
        let all = InspectionProgress {
            rounds: 2,
            most_marked: 87,
        };
        assert_eq!(all.state(87), InspectionState::Inspected);
        assert_eq!(all.state(0), InspectionState::UnderWay);
    }

    #[rstest]
    #[case::far(61, 3, false)]
    #[case::boundary(60, 3, true)]
    #[case::near(10, 1, true)]
    #[case::past(-5, 1, true)]
    #[case::all_inspected(10, 0, false)]
    fn the_flag_is_raised_within_sixty_days(
        #[case] days: i64,
        #[case] uninspected: usize,
        #[case] flagged: bool,
    ) {
        assert_eq!(needs_attention(days, uninspected), flagged);
    }

    #[test]
    fn days_to_handover_counts_from_the_earliest_unit() {
        let project = demo_project(day(1)).unwrap();
        // The demo hands every unit over six weeks after it is created.
        assert_eq!(
            days_to_handover(project.buildings[0].units.iter(), day(1)),
            Some(42)
        );
        assert_eq!(days_to_handover(std::iter::empty(), day(1)), None);
    }
}
