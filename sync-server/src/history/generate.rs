//! The project and the whole script.

use std::collections::BTreeSet;

use plumbline_shared::doc::round::RoundKind;
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{BuildingId, ContractorId, ItemId, ProjectId, UnitId};
use plumbline_shared::project::{Building, Contractor, Project, Trade, Unit};
use plumbline_shared::template::residential;
use plumbline_shared::time::{DAY_MS, HOUR_MS, SECOND_MS};

use super::*;

// ---------------------------------------------------------------------------------------------
// The project and the whole script
// ---------------------------------------------------------------------------------------------

pub(crate) fn contractor_specs(project: &str) -> Vec<(String, &'static str, Trade)> {
    [
        ("civil", "恒筑土建工程有限公司", Trade::Civil),
        ("mep", "安达机电安装有限公司", Trade::Mep),
        ("fitout", "美居精装修工程有限公司", Trade::FitOut),
        ("windows", "明光门窗有限公司", Trade::DoorsWindows),
        ("landscape", "绿城园林有限公司", Trade::Landscape),
        ("civil-b", "宏基建设有限公司", Trade::Civil),
    ]
    .into_iter()
    .map(|(id, name, trade)| (format!("{project}-{id}"), name, trade))
    .collect()
}

/// The given project's units in building order, for a script of a project given whole.
pub(crate) fn units_of(project: &Project) -> Vec<UnitInfo> {
    let mut units = Vec::new();
    for (b, building) in project.buildings.iter().enumerate() {
        for unit in &building.units {
            units.push(UnitInfo {
                id: unit.id.clone(),
                building: building.id.clone(),
                building_index: b as u32,
                floor: unit.floor,
                position: unit.position,
            });
        }
    }
    units
}

pub(crate) fn build_project(p: &Params) -> (Project, Vec<UnitInfo>) {
    if let Some(base) = &p.base {
        assert!(
            base.contractors.len() >= 5,
            "a scripted project needs at least five contractors"
        );
        return (base.clone(), units_of(base));
    }
    let today = p.now.date_cst();
    let handover = today + chrono::Days::new(45);
    let mut units = Vec::new();
    let mut buildings: Vec<Building> = Vec::new();
    for b in 1..=p.buildings {
        let building = BuildingId::new(format!("{}-b{b}", p.project)).expect("a valid id");
        let mut list = Vec::new();
        for floor in 1..=p.floors {
            for position in 1..=p.per_floor {
                let id =
                    UnitId::new(format!("{building}-{floor}{position:02}")).expect("a valid id");
                units.push(UnitInfo {
                    id: id.clone(),
                    building: building.clone(),
                    building_index: b - 1,
                    floor,
                    position,
                });
                list.push(Unit {
                    id,
                    label: format!("{b}-{floor}{position:02}"),
                    floor,
                    position,
                    handover,
                });
            }
        }
        buildings.push(Building {
            id: building,
            name: format!("{b}栋"),
            floors: p.floors,
            units: list,
        });
    }
    let contractors: Vec<Contractor> = contractor_specs(&p.project)
        .into_iter()
        .enumerate()
        .map(|(i, (id, name, trade))| Contractor {
            id: ContractorId::new(id).expect("a valid id"),
            name: name.to_owned(),
            trades: vec![trade],
            phone: format!("1380000{i:04}"),
        })
        .collect();
    // Through serde rather than a struct literal: fields the project gains later with a
    // default (assignments, notes…) need no change here.
    let id = ProjectId::new(p.project.as_str()).expect("a valid project id");
    let project: Project = serde_json::from_value(serde_json::json!({
        "id": id,
        "name_zh": "报表测试苑",
        "name_en": "Report Court",
        "template": "residential",
        "buildings": buildings,
        "contractors": contractors,
    }))
    .expect("a project with every required field");
    (project, units)
}

/// Builds the project and the script for `p`.
pub fn generate(p: &Params) -> Generated {
    let month = Month::containing(p.now.0).previous();
    let m1 = month.end();
    let earliest = month.minus(3).start();
    // Every event is before `now`; past the month, the limit is kept to a whole hour so that
    // the same seed draws the same script for an hour.
    let before_now = p.now.0 - SECOND_MS;
    let limit = if before_now - m1 > 2 * HOUR_MS {
        m1 + (before_now - m1) / HOUR_MS * HOUR_MS
    } else {
        before_now
    };
    let (project, units) = build_project(p);
    let contractors: Vec<ContractorId> = project.contractors.iter().map(|c| c.id.clone()).collect();
    let template = residential();
    let hot: BTreeSet<&str> = HOT.iter().map(|h| h.0).collect();
    let rare: Vec<String> = template
        .items()
        .map(|(_, i)| i.id.to_string())
        .filter(|id| !hot.contains(id.as_str()))
        .step_by(4)
        .collect();
    // Items no random finding is about: the threshold groups below own them alone.
    let reserved: Vec<String> = template
        .items()
        .map(|(_, i)| i.id.to_string())
        .filter(|id| !hot.contains(id.as_str()) && !rare.contains(id))
        .collect();
    let mut b = Builder {
        rng: Rng::new(p.seed),
        month,
        limit,
        now: p.now.0,
        units: &units,
        template,
        rare,
        cases: Vec::new(),
        redraw: p.redraw,
    };

    // Inspection rounds: three units in four have a pre-handover round (some two); a few of
    // the others only a handover walk, which does not count.
    let mut rounds = Vec::new();
    let mut inspected = BTreeSet::new();
    let items: Vec<ItemId> = b.template.items().map(|(_, i)| i.id.clone()).collect();
    for u in 0..units.len() {
        let at = b.rng.range(earliest - 30 * DAY_MS, m1 - 2 * DAY_MS);
        if b.rng.chance(0.75) {
            inspected.insert(u);
            let passed = items[..b.rng.below(6)].to_vec();
            rounds.push(ScriptRound {
                unit: u,
                at,
                kind: RoundKind::PreHandover,
                passed,
            });
            if b.rng.chance(0.1) {
                rounds.push(ScriptRound {
                    unit: u,
                    at: at + DAY_MS,
                    kind: RoundKind::PreHandover,
                    passed: Vec::new(),
                });
            }
        } else if b.rng.chance(0.2) {
            rounds.push(ScriptRound {
                unit: u,
                at,
                kind: RoundKind::HandoverWalk,
                passed: Vec::new(),
            });
        }
    }

    specials(&mut b);

    // Random findings, unit by unit; a few are duplicates of an earlier finding of their unit.
    let remaining = p.findings.saturating_sub(b.cases.len());
    let mut per_unit = vec![0usize; units.len()];
    for _ in 0..remaining {
        per_unit[b.rng.below(units.len())] += 1;
    }
    for (u, n) in per_unit.into_iter().enumerate() {
        let mut originals: Vec<usize> = Vec::new();
        for _ in 0..n {
            let dup_of = (!originals.is_empty() && b.rng.chance(0.06))
                .then(|| originals[b.rng.below(originals.len())])
                .filter(|s| b.cases[*s].recorded < limit - 10 * DAY_MS);
            match dup_of {
                Some(s) => {
                    let original = &b.cases[s];
                    let meta = Meta {
                        origin: Origin::OwnerCall,
                        room: original.room.clone(),
                        item: original.item.clone(),
                        category: original.category.clone(),
                        severity: original.severity,
                    };
                    let mut recorded = original.recorded + b.rng.range(HOUR_MS, 5 * DAY_MS);
                    while forbidden_age(m1 - recorded) {
                        recorded += DAY_MS + HOUR_MS;
                    }
                    if recorded < limit {
                        b.random(u, &meta, recorded, Some(s));
                    }
                }
                None => {
                    let meta = b.meta(u, None);
                    let recorded = b.record_time(earliest);
                    originals.push(b.random(u, &meta, recorded, None));
                }
            }
        }
    }
    // Units inspected: with a pre-handover round or any finding. The threshold groups go to
    // such units only, so they do not change the count their sizes are drawn from.
    inspected.extend(b.cases.iter().map(|c| c.unit));
    threshold_groups(&mut b, &reserved, &inspected);
    if p.open_work_today {
        super::today::open_work(&mut b);
        inspected.extend(b.cases.iter().map(|c| c.unit));
    }
    let cases = b.cases;
    Generated {
        params: p.clone(),
        project,
        month,
        units,
        contractors,
        cases,
        rounds,
        inspected,
    }
}

/// The groups of a product-suggestion threshold's borders, there by construction (not by the
/// draw): for `min_units` 3 (the default) and 5, a group of 4 units (a candidate at 3, not at 5)
/// and one of 5 (a candidate at both: reaching counts); for `min_share=4`, a group at exactly
/// 4 % of the units inspected and one a unit below it. Each group is about an item no random
/// finding is about, recorded in distinct units in the middle of the report month, with no
/// life after (open backlog). A project too small for a group goes without it.
pub const THRESHOLD_GROUPS: [&str; 4] = [
    "4 units: min_units 3 yes, 5 no",
    "5 units: min_units 5 yes",
    "min_share=4 reached",
    "min_share=4 a unit short",
];

pub(crate) fn threshold_groups(
    b: &mut Builder<'_>,
    reserved: &[String],
    inspected: &BTreeSet<usize>,
) {
    let at_share = (4 * inspected.len()).div_ceil(100);
    let sizes = [4, 5, at_share, at_share.saturating_sub(1)];
    let pool: Vec<usize> = inspected.iter().copied().collect();
    let n = pool.len();
    for (g, (name, size)) in THRESHOLD_GROUPS.into_iter().zip(sizes).enumerate() {
        let Some(item) = reserved.get(g) else {
            panic!("the template has too few items for the threshold groups")
        };
        if size == 0 || size > n {
            continue;
        }
        let item_id: ItemId = item.parse().expect("template item ids are valid");
        let (room, check) = b.template.item(&item_id).expect("an item of the template");
        let meta = Meta {
            origin: Origin::Inspection,
            room: room.id.to_string(),
            item: item.clone(),
            category: check.category.to_string(),
            severity: check.default_severity,
        };
        // Distinct units, spread over the project.
        let stride = (n / size).max(1);
        let units: BTreeSet<usize> = (0..size).map(|k| pool[(g + k * stride) % n]).collect();
        assert_eq!(
            units.len(),
            size,
            "the threshold group `{name}` has distinct units"
        );
        for (k, unit) in units.into_iter().enumerate() {
            let recorded = b.month.start() + 10 * DAY_MS + (g * 10 + k) as i64 * HOUR_MS;
            let sim = b.sim(recorded);
            let mut case = b.case(unit, &meta, recorded, sim);
            case.special = Some(name);
            if let Some(why) = (b.redraw)(&case, b.month, b.now) {
                panic!("the threshold group `{name}` is ambiguous: {why}");
            }
            b.cases.push(case);
        }
    }
}
