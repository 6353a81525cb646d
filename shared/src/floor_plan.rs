//! Floor plans (平面图): the drawing of a building's floors on which an inspector pins where in
//! the unit a defect is.
//!
//! A [`FloorPlan`] belongs to one building and an inclusive range of its floors, because the
//! typical floors of a tower share one plan (标准层): "标准层 3–17F" covers floors 3 to 17, and
//! the ground floor or the penthouse have their own. The image is a content-addressed blob
//! (PNG or JPEG, named by its BLAKE3 [`BlobHash`] like evidence); the project document holds
//! only its hash and pixel size, so every device of the project learns of a new plan with its
//! next sync and then fetches the image once.
//!
//! A pin ([`crate::doc::evidence::PlanPin`]) names the plan's image hash and a point in 0–1
//! from the top-left, so it stays right whatever size the screen shows the plan at, and a plan
//! replaced later (a new image, a new hash) never moves the pins made on the old one.
//!
//! ```
//! use chrono::NaiveDate;
//! use plumbline_shared::demo::demo_project;
//! use plumbline_shared::floor_plan::FloorPlan;
//! use plumbline_shared::ids::{BlobHash, FloorPlanId};
//! use plumbline_shared::inspection_plan::FloorRange;
//!
//! let mut project = demo_project(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).unwrap();
//! let building = project.buildings[0].clone();
//! project
//!     .put_floor_plan(FloorPlan {
//!         id: FloorPlanId::new("typical").unwrap(),
//!         building: building.id.clone(),
//!         floors: FloorRange { first: 2, last: 5 },
//!         name: "标准层 2–5F".into(),
//!         image: BlobHash::of(b"png bytes"),
//!         width: 1200,
//!         height: 800,
//!         retired: false,
//!     })
//!     .unwrap();
//! let on_third = building.units.iter().find(|u| u.floor == 3).unwrap();
//! assert_eq!(project.plan_for(&on_third.id).unwrap().name, "标准层 2–5F");
//! let on_first = building.units.iter().find(|u| u.floor == 1).unwrap();
//! assert!(project.plan_for(&on_first.id).is_none());
//! ```

use crate::ids::{BlobHash, FloorPlanId, UnitId};
use crate::inspection_plan::FloorRangeError;
pub use crate::project::FloorPlan;
use crate::project::Project;

/// The most characters a plan's name may hold (it is a label on a list, not a description).
pub const PLAN_NAME_MAX_CHARS: usize = 60;
/// The largest plan image, in bytes (10 MiB): a clear plan of a floor is a few hundred KB, and
/// every phone of the project downloads it.
pub const MAX_PLAN_BYTES: u64 = 10 * 1024 * 1024;
/// The largest pixel side of a plan image: enough for a scanned A1 drawing at a readable
/// resolution, small enough that a phone can decode it.
pub const MAX_PLAN_EDGE_PX: u32 = 12_000;
/// The most pixels a plan image may have (25 megapixels, about 100 MB once a phone decodes it
/// to show it): a long thin scan may have long sides, but not both.
pub const MAX_PLAN_PIXELS: u64 = 25_000_000;

/// Why a floor plan does not fit its project. The office web words each case in both
/// languages; these messages are for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FloorPlanError {
    /// The building or its floors.
    #[error(transparent)]
    Floors(#[from] FloorRangeError),
    /// The name is empty or longer than [`PLAN_NAME_MAX_CHARS`].
    #[error("a plan's name must have 1 to {PLAN_NAME_MAX_CHARS} characters")]
    BadName,
    /// The image's size is zero or over [`MAX_PLAN_EDGE_PX`] on a side, or over
    /// [`MAX_PLAN_PIXELS`] in all.
    #[error(
        "the plan image is {width}×{height} px; each side must be between 1 and \
         {MAX_PLAN_EDGE_PX} px, and the whole at most {MAX_PLAN_PIXELS} pixels"
    )]
    BadSize {
        /// Pixel width.
        width: u32,
        /// Pixel height.
        height: u32,
    },
    /// No plan has this id.
    #[error("floor plan `{0}` does not exist (it may have been removed)")]
    NoSuchPlan(FloorPlanId),
}

impl Project {
    /// The floor plan to show for `unit`: one of its building whose floors include the unit's.
    ///
    /// When several cover it, the one with the fewest floors wins (a plan drawn for the 18th
    /// floor says more than the tower's typical plan), and among equally narrow ones the last
    /// added — the list keeps upload order, so a newer drawing of the same floors wins.
    /// `None` for a unit that is not in the project or has no plan.
    pub fn plan_for(&self, unit: &UnitId) -> Option<&FloorPlan> {
        let (building, unit) = self.unit(unit)?;
        self.floor_plans
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.retired && p.covers(&building.id, unit.floor))
            // Fewest floors first, then the later in the list: `min_by_key` keeps the first
            // of equal keys, so the position is negated.
            .min_by_key(|(at, p)| (p.floors.last - p.floors.first, std::cmp::Reverse(*at)))
            .map(|(_, p)| p)
    }

    /// Finds a floor plan by id.
    pub fn floor_plan(&self, id: &FloorPlanId) -> Option<&FloorPlan> {
        self.floor_plans.iter().find(|p| &p.id == id)
    }

    /// Whether `hash` is the image of one of the project's floor plans (who may download it).
    pub fn has_plan_image(&self, hash: &BlobHash) -> bool {
        self.floor_plans.iter().any(|p| &p.image == hash)
    }

    /// Checks that a plan fits this project: its building exists, its floors are within the
    /// building and in order, its name is 1 to [`PLAN_NAME_MAX_CHARS`] characters (after
    /// trimming) and its image has a plausible size.
    pub fn check_floor_plan(&self, plan: &FloorPlan) -> Result<(), FloorPlanError> {
        self.check_floors(&plan.building, Some(plan.floors))?;
        let name = plan.name.trim().chars().count();
        if name == 0 || name > PLAN_NAME_MAX_CHARS {
            return Err(FloorPlanError::BadName);
        }
        let edge_ok = |v: u32| (1..=MAX_PLAN_EDGE_PX).contains(&v);
        let pixels = u64::from(plan.width) * u64::from(plan.height);
        if !edge_ok(plan.width) || !edge_ok(plan.height) || pixels > MAX_PLAN_PIXELS {
            return Err(FloorPlanError::BadSize {
                width: plan.width,
                height: plan.height,
            });
        }
        Ok(())
    }

    /// Adds `plan` (its name trimmed), or replaces the plan with its id, after
    /// [`Project::check_floor_plan`]; on an error nothing changes.
    pub fn put_floor_plan(&mut self, mut plan: FloorPlan) -> Result<(), FloorPlanError> {
        self.check_floor_plan(&plan)?;
        plan.name = plan.name.trim().to_owned();
        match self.floor_plans.iter_mut().find(|p| p.id == plan.id) {
            Some(slot) => *slot = plan,
            None => self.floor_plans.push(plan),
        }
        Ok(())
    }

    /// Retires the floor plan `id` and returns it: it is no longer offered for new pins, but
    /// it stays in the document, so the pins already made on its image still show on every
    /// phone. A plan retired already is not there to remove.
    pub fn remove_floor_plan(&mut self, id: &FloorPlanId) -> Result<FloorPlan, FloorPlanError> {
        let plan = self
            .floor_plans
            .iter_mut()
            .find(|p| &p.id == id && !p.retired)
            .ok_or_else(|| FloorPlanError::NoSuchPlan(id.clone()))?;
        plan.retired = true;
        Ok(plan.clone())
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
    use crate::ids::BuildingId;
    use crate::ids::DeviceId;
    use crate::project::FloorRange;
    use crate::time::Timestamp;

    fn project() -> Project {
        demo_project(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).unwrap()
    }

    fn plan(id: &str, building: &BuildingId, first: u32, last: u32) -> FloorPlan {
        FloorPlan {
            id: FloorPlanId::new(id).unwrap(),
            building: building.clone(),
            floors: FloorRange { first, last },
            name: format!("{id} {first}–{last}F"),
            image: BlobHash::of(id.as_bytes()),
            width: 1200,
            height: 800,
            retired: false,
        }
    }

    /// A unit of building `b` on `floor`.
    fn unit_on(p: &Project, b: usize, floor: u32) -> UnitId {
        p.buildings[b]
            .units
            .iter()
            .find(|u| u.floor == floor)
            .unwrap()
            .id
            .clone()
    }

    #[test]
    fn the_narrowest_covering_plan_wins_and_ties_go_to_the_last_added() {
        let mut p = project();
        let b1 = p.buildings[0].id.clone();
        let b2 = p.buildings[1].id.clone();
        let top = p.buildings[0].floors;
        p.put_floor_plan(plan("typical", &b1, 2, top)).unwrap();
        p.put_floor_plan(plan("third", &b1, 3, 3)).unwrap();
        p.put_floor_plan(plan("other", &b2, 1, 5)).unwrap();

        assert!(p.plan_for(&unit_on(&p, 0, 1)).is_none(), "floor 1 has none");
        fn id(p: &Project, u: &UnitId) -> Option<String> {
            p.plan_for(u).map(|x| x.id.to_string())
        }
        assert_eq!(id(&p, &unit_on(&p, 0, 2)).as_deref(), Some("typical"));
        assert_eq!(id(&p, &unit_on(&p, 0, 3)).as_deref(), Some("third"));
        assert_eq!(id(&p, &unit_on(&p, 0, top)).as_deref(), Some("typical"));
        assert_eq!(id(&p, &unit_on(&p, 1, 2)).as_deref(), Some("other"));
        assert!(p.plan_for(&UnitId::new("nowhere").unwrap()).is_none());

        // A newer drawing of the same floors wins over the older one.
        p.put_floor_plan(plan("third-v2", &b1, 3, 3)).unwrap();
        assert_eq!(id(&p, &unit_on(&p, 0, 3)).as_deref(), Some("third-v2"));
        // Removing it brings the older one back; the removed one stays, retired, for its pins.
        p.remove_floor_plan(&FloorPlanId::new("third-v2").unwrap())
            .unwrap();
        assert_eq!(id(&p, &unit_on(&p, 0, 3)).as_deref(), Some("third"));
        let retired = p
            .floor_plan(&FloorPlanId::new("third-v2").unwrap())
            .unwrap();
        assert!(retired.retired && p.has_plan_image(&retired.image));
        assert!(matches!(
            p.remove_floor_plan(&FloorPlanId::new("third-v2").unwrap()),
            Err(FloorPlanError::NoSuchPlan(_))
        ));
    }

    #[rstest]
    #[case::floor_zero(0, 3)]
    #[case::above_the_roof(17, 99)]
    #[case::upside_down(5, 3)]
    fn floors_outside_the_building_are_refused(#[case] first: u32, #[case] last: u32) {
        let mut p = project();
        let b = p.buildings[0].id.clone();
        let before = p.clone();
        let err = p.put_floor_plan(plan("x", &b, first, last)).unwrap_err();
        assert!(
            matches!(
                err,
                FloorPlanError::Floors(FloorRangeError::BadFloors { .. })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("lowest floor first"));
        assert_eq!(p, before);
    }

    #[test]
    fn bad_names_sizes_and_buildings_are_refused_and_names_trimmed() {
        let mut p = project();
        let b = p.buildings[0].id.clone();
        let before = p.clone();
        for name in ["", "   ", &"层".repeat(PLAN_NAME_MAX_CHARS + 1)] {
            let mut x = plan("x", &b, 1, 2);
            x.name = name.to_owned();
            assert_eq!(p.put_floor_plan(x), Err(FloorPlanError::BadName));
        }
        let mut x = plan("x", &b, 1, 2);
        x.width = 0;
        assert!(matches!(
            p.put_floor_plan(x),
            Err(FloorPlanError::BadSize { .. })
        ));
        let mut x = plan("x", &b, 1, 2);
        x.height = MAX_PLAN_EDGE_PX + 1;
        assert!(matches!(
            p.put_floor_plan(x),
            Err(FloorPlanError::BadSize { .. })
        ));
        let mut x = plan("x", &b, 1, 2);
        (x.width, x.height) = (MAX_PLAN_EDGE_PX, MAX_PLAN_EDGE_PX);
        assert!(matches!(
            p.put_floor_plan(x),
            Err(FloorPlanError::BadSize { .. })
        ));
        let nowhere = BuildingId::new("nowhere").unwrap();
        assert_eq!(
            p.put_floor_plan(plan("x", &nowhere, 1, 2)),
            Err(FloorPlanError::Floors(FloorRangeError::NoSuchBuilding(
                nowhere
            )))
        );
        assert_eq!(p, before);

        let mut x = plan("x", &b, 1, 2);
        x.name = format!("  {} ", "层".repeat(PLAN_NAME_MAX_CHARS));
        p.put_floor_plan(x).unwrap();
        assert_eq!(p.floor_plans[0].name, "层".repeat(PLAN_NAME_MAX_CHARS));
        assert!(matches!(
            p.remove_floor_plan(&FloorPlanId::new("y").unwrap()),
            Err(FloorPlanError::NoSuchPlan(_))
        ));
    }

    #[test]
    fn plans_survive_the_document_and_old_documents_have_none() {
        let mut p = project();
        let b = p.buildings[0].id.clone();
        let device = DeviceId::new("server").unwrap();
        // A document written before plans existed has no `floor_plans` key.
        let mut old = ProjectDoc::create(&p, &device, Timestamp(1)).unwrap();
        {
            use automerge::ReadDoc;
            use automerge::transaction::Transactable;
            let am = old.automerge_mut();
            let (_, project) = am.get(automerge::ROOT, "project").unwrap().unwrap();
            am.delete(&project, "floor_plans").unwrap();
        }
        let back = ProjectDoc::load(&old.save()).unwrap().project().unwrap();
        assert!(back.floor_plans.is_empty());

        p.put_floor_plan(plan("typical", &b, 2, 5)).unwrap();
        let mut doc = ProjectDoc::create(&p, &device, Timestamp(1)).unwrap();
        let back = ProjectDoc::load(&doc.save()).unwrap().project().unwrap();
        assert_eq!(back.floor_plans, p.floor_plans);
        let cheap = crate::doc::project::floor_plans_of(doc.automerge_mut()).unwrap();
        assert_eq!(cheap, p.floor_plans);
        assert!(
            crate::doc::project::floor_plans_of(old.automerge_mut())
                .unwrap()
                .is_empty()
        );
        assert!(back.has_plan_image(&BlobHash::of(b"typical")));
        assert!(!back.has_plan_image(&BlobHash::of(b"other")));
    }
}
