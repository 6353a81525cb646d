//! The product suggestion table (产品建议表): the month's defects grouped by check item and
//! category, with how many units they touch, where they cluster, who repaired them and how
//! long it took; groups over a threshold are the candidates product R&D and design look at.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use plumbline_shared::ids::{BuildingId, ContractorId, FindingId, UnitId};
use plumbline_shared::projection::EvidenceRow;

use super::{Figures, Index, ReportParams, Value};
use crate::store::CaseRecord;

/// How many sample photos a group shows.
pub const SAMPLE_PHOTOS: usize = 3;
/// How many stacks and floors a group lists.
pub const CLUSTERS_SHOWN: usize = 3;

/// The units a group touches in one place, and its cases there.
type Spread<'a> = (BTreeSet<&'a UnitId>, BTreeSet<FindingId>);

/// When a group becomes a candidate: at least `units` units affected, **or** at least
/// `share_tenths` of the units inspected — the department sets either or both. With neither
/// set, three units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// At least this many units affected.
    pub units: Option<u32>,
    /// At least this share of the units inspected, in tenths of a percent (25 = 2.5%).
    pub share_tenths: Option<u32>,
}

impl Default for Threshold {
    /// Three units: a defect seen in three homes is no accident of one.
    fn default() -> Self {
        Threshold {
            units: Some(3),
            share_tenths: None,
        }
    }
}

impl Threshold {
    /// The threshold as the page's form fields, `(min_units, min_share)`; an unset one empty.
    pub fn form_values(self) -> (String, String) {
        (
            self.units.map(|n| n.to_string()).unwrap_or_default(),
            self.share_tenths
                .map(|t| format!("{}.{}", t / 10, t % 10))
                .unwrap_or_default(),
        )
    }

    /// Whether `units` affected out of `inspected` reach it. Exact integer arithmetic: a
    /// count or a share at the threshold itself is a candidate.
    pub fn reached(self, units: u64, inspected: u64) -> bool {
        let by_units = self.units.is_some_and(|n| units >= u64::from(n));
        let by_share = self
            .share_tenths
            .is_some_and(|t| inspected > 0 && units * 1000 >= u64::from(t) * inspected);
        by_units || by_share
    }
}

/// A stack or floor where a group's units cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The building.
    pub building: BuildingId,
    /// The position on the floor (a stack) or the floor number.
    pub at: u32,
    /// The figure key (units affected there).
    pub key: String,
}

/// One row of the table: a check item and category.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Check item id.
    pub item: String,
    /// Category id.
    pub category: String,
    /// Figure keys.
    pub cases: String,
    /// Units affected.
    pub units: String,
    /// Share of the units inspected.
    pub share: String,
    /// Mean time to repair.
    pub mttr: String,
    /// Whether it is a candidate (and its figure key, 1 or 0).
    pub candidate: (bool, String),
    /// The stacks with two or more affected units, most first.
    pub stacks: Vec<Cluster>,
    /// The floors with two or more affected units, most first.
    pub floors: Vec<Cluster>,
    /// The responsible contractors and their figure keys (cases without one are in none).
    pub contractors: Vec<(ContractorId, String)>,
    /// Sample photos, earliest first.
    pub photos: Vec<(UnitId, EvidenceRow)>,
}

impl Suggestion {
    /// The key of this group's note in the project document.
    pub fn note_key(&self, month: super::Month) -> String {
        format!("{month}/{}/{}", self.item, self.category)
    }
}

pub(super) fn compute(
    index: &Index<'_>,
    params: &ReportParams,
    figures: &mut Figures,
) -> Vec<Suggestion> {
    let month = params.month;
    // The month's cases by item and category, each group in finding order.
    let mut groups: BTreeMap<(&str, &str), Vec<&CaseRecord>> = BTreeMap::new();
    let in_range = month.range();
    for c in index
        .counted()
        .filter(|c| in_range.contains(&c.case.created_at))
    {
        groups
            .entry((c.case.item.as_str(), c.case.category.as_str()))
            .or_default()
            .push(c);
    }
    let inspected = index.input.inspected.len() as u64;
    // Units, not cases: the page links this figure to the unit list, so it holds no cases.
    figures.put("suggest.inspected", Value::Count(inspected), []);

    // Notices (for the time to repair) and photos of the month's cases only: the project's
    // other months hold most of its rows.
    let in_month: HashSet<&str> = groups
        .values()
        .flatten()
        .map(|c| c.case.finding.as_str())
        .collect();
    let mut notices: HashMap<&str, Vec<&plumbline_shared::projection::NoticeRow>> = HashMap::new();
    for n in &index.input.rows.notices {
        if let Some(f) = in_month.get(n.finding.as_str()) {
            notices.entry(f).or_default().push(n);
        }
    }
    let mut photos: HashMap<&str, Vec<&EvidenceRow>> = HashMap::new();
    for p in &index.input.rows.photos {
        if let Some(f) = in_month.get(p.finding.as_str()) {
            photos.entry(f).or_default().push(p);
        }
    }

    let mut out = Vec::new();
    for ((item, category), group) in groups {
        let cases: BTreeSet<FindingId> = group.iter().map(|c| c.case.finding.clone()).collect();
        let prefix = format!("suggest.{item}.{category}");
        let units: BTreeSet<&UnitId> = group.iter().map(|c| &c.unit).collect();
        let cases_key = figures.count(format!("{prefix}.cases"), &cases);
        let n_units = units.len() as u64;
        let units_key = figures.put(
            format!("{prefix}.units"),
            Value::Count(n_units),
            cases.clone(),
        );
        let share = figures.put(
            format!("{prefix}.share"),
            Value::Share {
                part: n_units,
                whole: inspected,
            },
            cases.clone(),
        );

        let mut total_ms = 0i64;
        let mut repaired = BTreeSet::new();
        for c in &group {
            let Some(ns) = notices.get(c.case.finding.as_str()) else {
                continue;
            };
            let first = ns.iter().map(|n| n.issued_at).min();
            let accepted = ns.iter().filter_map(|n| n.accepted_at).max();
            if let (Some(first), Some(accepted)) = (first, accepted) {
                total_ms += accepted.0 - first.0;
                repaired.insert(c.case.finding.clone());
            }
        }
        let mttr = figures.put(
            format!("{prefix}.mttr"),
            Value::Mean {
                total_ms,
                n: repaired.len() as u64,
                days: true,
            },
            repaired,
        );
        let is_candidate = params.threshold.reached(n_units, inspected);
        let candidate = figures.put(
            format!("{prefix}.candidate"),
            Value::Count(u64::from(is_candidate)),
            cases.clone(),
        );

        let cluster = |figures: &mut Figures, kind: &str, at: &dyn Fn(&super::Place) -> u32| {
            let mut by: BTreeMap<(BuildingId, u32), Spread<'_>> = BTreeMap::new();
            for c in &group {
                let Some(place) = index.places.get(&c.unit) else {
                    continue;
                };
                let entry = by.entry((place.building.clone(), at(place))).or_default();
                entry.0.insert(&c.unit);
                entry.1.insert(c.case.finding.clone());
            }
            // Most units first; ties by the figure key, as the page lists them.
            let mut ranked: Vec<_> = by
                .into_iter()
                .filter(|(_, (u, _))| u.len() >= 2)
                .map(|((building, at), (units, cases))| {
                    let key = format!("{prefix}.{kind}.{building}-{at}");
                    (key, building, at, units.len() as u64, cases)
                })
                .collect();
            ranked.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(&b.0)));
            ranked
                .into_iter()
                .take(CLUSTERS_SHOWN)
                .map(|(key, building, at, units, cases)| {
                    let key = figures.put(key, Value::Count(units), cases);
                    Cluster { building, at, key }
                })
                .collect::<Vec<_>>()
        };
        let stacks = cluster(figures, "stack", &|p| p.position);
        let floors = cluster(figures, "floor", &|p| p.floor);

        // Cases without a notice yet have no responsible contractor and are in no row here.
        let mut by_contractor: BTreeMap<&ContractorId, BTreeSet<FindingId>> = BTreeMap::new();
        for c in &group {
            if let Some(contractor) = c.case.contractor.as_ref() {
                by_contractor
                    .entry(contractor)
                    .or_default()
                    .insert(c.case.finding.clone());
            }
        }
        let contractors = by_contractor
            .into_iter()
            .map(|(c, cs)| {
                (
                    c.clone(),
                    figures.count(format!("{prefix}.contractor.{c}"), &cs),
                )
            })
            .collect();

        let mut samples: Vec<(plumbline_shared::time::Timestamp, &UnitId, &EvidenceRow)> = group
            .iter()
            .flat_map(|c| {
                photos
                    .get(c.case.finding.as_str())
                    .into_iter()
                    .flatten()
                    .map(move |p| (p.captured_at, &c.unit, *p))
            })
            .collect();
        samples.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.hash.cmp(&b.2.hash)));
        let photos_shown = samples
            .into_iter()
            .take(SAMPLE_PHOTOS)
            .map(|(_, u, p)| (u.clone(), p.clone()))
            .collect();

        out.push((
            n_units,
            Suggestion {
                item: item.to_owned(),
                category: category.to_owned(),
                cases: cases_key,
                units: units_key,
                share,
                mttr,
                candidate: (is_candidate, candidate),
                stacks,
                floors,
                contractors,
                photos: photos_shown,
            },
        ));
    }
    // Most units first; then by item and category, so the order never changes between runs.
    out.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.item.cmp(&b.1.item))
            .then_with(|| a.1.category.cmp(&b.1.category))
    });
    out.into_iter().map(|(_, s)| s).collect()
}
