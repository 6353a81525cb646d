//! What findings are about and when they are recorded.

use plumbline_shared::event::Origin;
use plumbline_shared::ids::ItemId;
use plumbline_shared::severity::Severity;
use plumbline_shared::template::ChecklistTemplate;
use plumbline_shared::time::MINUTE_MS;

use super::*;

// ---------------------------------------------------------------------------------------------
// What findings are about
// ---------------------------------------------------------------------------------------------

/// Where a recurring defect concentrates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Affinity {
    None,
    /// (building index, position): one stack.
    Stack(u32, u32),
    /// (building index, floor).
    Floor(u32, u32),
}

/// The recurring item + category groups (product-suggestion candidates); the rest of the
/// template's items come up rarely.
pub(crate) const HOT: [(&str, Option<&str>, u32, Affinity); 12] = [
    ("bathroom.ponding_test", None, 30, Affinity::Stack(0, 1)),
    ("bathroom.ceiling_stain", None, 24, Affinity::Stack(1, 2)),
    ("living.wall_hollow", None, 24, Affinity::Floor(0, 2)),
    ("kitchen.drain", None, 21, Affinity::None),
    ("bedroom.window_seal", None, 18, Affinity::Floor(2, 3)),
    ("entry.door_operation", None, 18, Affinity::None),
    ("balcony.railing_fixing", None, 12, Affinity::Stack(0, 3)),
    ("living.sockets", None, 12, Affinity::None),
    ("bathroom.floor_drain", None, 12, Affinity::None),
    ("general.structural_crack", None, 9, Affinity::None),
    // The same item in its own category and in another: two groups.
    ("bathroom.wall_tiles", Some("finishes"), 9, Affinity::None),
    ("bathroom.wall_tiles", None, 6, Affinity::None),
];

#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) origin: Origin,
    pub(crate) room: String,
    pub(crate) item: String,
    pub(crate) category: String,
    pub(crate) severity: Severity,
}

pub(crate) struct Builder<'a> {
    pub(crate) rng: Rng,
    pub(crate) month: Month,
    pub(crate) limit: i64,
    /// The clock the report is judged at (promises still open are judged against it).
    pub(crate) now: i64,
    pub(crate) units: &'a [UnitInfo],
    pub(crate) template: ChecklistTemplate,
    pub(crate) rare: Vec<String>,
    pub(crate) cases: Vec<ScriptCase>,
    pub(crate) redraw: Redraw,
}

impl Builder<'_> {
    pub(crate) fn affine(&self, unit: usize, affinity: Affinity) -> bool {
        let u = &self.units[unit];
        let buildings = self.units.last().map_or(1, |l| l.building_index + 1);
        match affinity {
            Affinity::None => false,
            Affinity::Stack(b, p) => u.building_index == b % buildings && u.position == p,
            Affinity::Floor(b, f) => u.building_index == b % buildings && u.floor == f,
        }
    }

    pub(crate) fn meta(&mut self, unit: usize, origin: Option<Origin>) -> Meta {
        let mut weights: Vec<u32> = HOT
            .iter()
            .map(|(_, _, w, a)| if self.affine(unit, *a) { w * 8 } else { *w })
            .collect();
        weights.extend(std::iter::repeat_n(1, self.rare.len()));
        let pick = self.rng.weighted(&weights);
        let (item, category) = if pick < HOT.len() {
            (HOT[pick].0.to_owned(), HOT[pick].1.map(str::to_owned))
        } else {
            (self.rare[pick - HOT.len()].clone(), None)
        };
        let item_id: ItemId = item.parse().expect("template item ids are valid");
        let (room, check) = self
            .template
            .item(&item_id)
            .expect("an item of the template");
        let severity = if self.rng.chance(0.2) {
            Severity::ALL[self.rng.below(4)]
        } else {
            check.default_severity
        };
        let origin = origin.unwrap_or_else(|| Origin::ALL[self.rng.weighted(&[55, 15, 10, 12, 8])]);
        Meta {
            origin,
            room: room.id.to_string(),
            category: category.unwrap_or_else(|| check.category.to_string()),
            item,
            severity,
        }
    }

    pub(crate) fn case(&self, unit: usize, meta: &Meta, recorded: i64, sim: Sim) -> ScriptCase {
        ScriptCase {
            index: self.cases.len(),
            unit,
            origin: meta.origin,
            room: meta.room.clone(),
            item: meta.item.clone(),
            category: meta.category.clone(),
            severity: meta.severity,
            recorded,
            steps: sim.steps,
            facts: sim.facts,
            status: sim.status,
            special: None,
            finding: None,
        }
    }

    pub(crate) fn sim(&self, recorded: i64) -> Sim {
        Sim::new(self.cases.len(), recorded, self.limit)
    }

    /// A scripted edge case; panics when it is ambiguous (a mistake in the script).
    pub(crate) fn special(
        &mut self,
        name: &'static str,
        (unit, origin): (usize, Origin),
        recorded: i64,
        life: impl FnOnce(&mut Sim) -> Option<()>,
    ) -> usize {
        let unit = unit % self.units.len();
        let meta = self.meta(unit, Some(origin));
        let mut sim = self.sim(recorded);
        let _ = life(&mut sim);
        let mut case = self.case(unit, &meta, recorded, sim);
        case.special = Some(name);
        if let Some(why) = (self.redraw)(&case, self.month, self.now) {
            panic!("the scripted case `{name}` is ambiguous: {why}");
        }
        self.cases.push(case);
        self.cases.len() - 1
    }

    /// A random life for a finding recorded at `recorded`, drawn again while ambiguous.
    pub(crate) fn random(
        &mut self,
        unit: usize,
        meta: &Meta,
        recorded: i64,
        survivor: Option<usize>,
    ) -> usize {
        let life = Life {
            repair_days: i64::from(meta.severity.proposed_rectify_days()),
            dissatisfied: recorded < self.month.start(),
        };
        for _ in 0..60 {
            let mut sim = self.sim(recorded);
            let _ = match survivor {
                Some(s) => duplicate_life(&mut sim, &mut self.rng, s),
                None => random_life(&mut sim, &mut self.rng, life),
            };
            let case = self.case(unit, meta, recorded, sim);
            if (self.redraw)(&case, self.month, self.now).is_none() {
                self.cases.push(case);
                return self.cases.len() - 1;
            }
        }
        // Nothing happens to it; or, at an age on a bucket border, it is closed at once.
        let plain = self.case(unit, meta, recorded, self.sim(recorded));
        let case = if (self.redraw)(&plain, self.month, self.now).is_none() {
            plain
        } else {
            let mut sim = self.sim(recorded);
            let _ = sim.close(recorded + MINUTE_MS);
            self.case(unit, meta, recorded, sim)
        };
        if let Some(why) = (self.redraw)(&case, self.month, self.now) {
            panic!("no unambiguous life for a finding recorded at {recorded}: {why}");
        }
        self.cases.push(case);
        self.cases.len() - 1
    }

    /// When a random finding is recorded: mostly in the month, a third before it, a few after.
    pub(crate) fn record_time(&mut self, earliest: i64) -> i64 {
        let (m0, m1) = (self.month.start(), self.month.end());
        let after_ok = self.limit > m1 + MINUTE_MS;
        loop {
            let r = self.rng.range(0, 100);
            let t = if r < 60 {
                self.rng.range(m0, m1)
            } else if r < 95 || !after_ok {
                self.rng.range(earliest, m0)
            } else {
                self.rng.range(m1, self.limit)
            };
            if !forbidden_age(m1 - t) {
                return t;
            }
        }
    }
}
