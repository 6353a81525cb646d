//! Writing the script through the server's own write path.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::finding::OwnerContact;
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::{
    CallbackChannel, Event, EventKind, EvidenceRequestReason, FineApprovalStep, Origin,
};
use plumbline_shared::ids::{BlobHash, ContractorId, DeviceId, EventId, FindingId, FineId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::{MINUTE_MS, Timestamp};

use plumbline_shared::ids::ItemId;
use plumbline_shared::template::residential;

use super::*;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NumberClaim, OwnerContactRecord, Series};
use crate::unit_write;

/// Who writes which event: people of every office role and one foreman per contractor.
#[derive(Debug, Clone)]
pub struct Cast {
    /// The inspectors, at least one; each unit is walked by one of them (by floor band).
    pub inspectors: Vec<Actor>,
    pub front_desk: Actor,
    pub manager: Actor,
    pub coordinator: Actor,
    /// One per contractor of [`Generated::contractors`], in that order.
    pub contractors: Vec<Actor>,
}

/// An actor whose device is named after the person (`<user>-device`).
pub fn actor(user: &str, role: Role) -> Actor {
    Actor {
        user: UserId::new(user).expect("a valid user id"),
        role,
        device: DeviceId::new(format!("{user}-device")).expect("a valid device id"),
    }
}

impl Cast {
    /// People who exist only in the documents: `<project>-inspector`, `<project>-desk`, …,
    /// and `<contractor>-foreman`.
    pub fn synthetic(project: &str, contractors: &[ContractorId]) -> Self {
        Self {
            inspectors: vec![actor(&format!("{project}-inspector"), Role::Inspector)],
            front_desk: actor(&format!("{project}-desk"), Role::FrontDesk),
            manager: actor(&format!("{project}-manager"), Role::Manager),
            coordinator: actor(&format!("{project}-coordinator"), Role::Coordinator),
            contractors: contractors
                .iter()
                .map(|c| actor(&format!("{c}-foreman"), Role::Contractor))
                .collect(),
        }
    }

    /// The inspector who walks `unit`: buildings split into bands of six floors, the bands
    /// dealt out in turn.
    fn inspector(&self, unit: &UnitInfo) -> &Actor {
        let band = unit.building_index as usize * 4 + (unit.floor as usize).saturating_sub(1) / 6;
        &self.inspectors[band % self.inspectors.len()]
    }
}

/// What a photo step leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Photos {
    /// A reference by a hash of the case and the photo's number; no image is stored (for the
    /// report tests, which count photos and never open one).
    Referenced,
    /// A generated picture, different for every photo, referenced by its real hash and
    /// stored like a phone's upload (type checked, thumbnail made) when it was taken before
    /// `uploaded_before`; later ones are still on the phone, on their way.
    Stored {
        /// Photos taken from this instant on are not stored yet.
        uploaded_before: i64,
    },
}

pub(crate) fn evidence_hash(project: &str, case: usize, n: u32) -> BlobHash {
    BlobHash::of(format!("{project}/{case}/{n}").as_bytes())
}

/// The workflow event of one step, and who appends it.
pub(crate) fn event_of(
    g: &Generated,
    cast: &Cast,
    inspector: &Actor,
    step: &Step,
) -> (Actor, EventKind) {
    let contractor_actor = || {
        let k = step
            .contractor
            .expect("a contractor's step names the contractor");
        cast.contractors[k].clone()
    };
    let id = |k: usize| g.contractors[k].clone();
    let fine = |f: &str| FineId::new(f).expect("a valid fine id");
    match &step.kind {
        StepKind::Evidence(_) | StepKind::MergeInto(_) => {
            unreachable!("written separately")
        }
        StepKind::Notice {
            no,
            contractor,
            deadline,
        } => (
            inspector.clone(),
            EventKind::NoticeIssued {
                notice_no: no.clone(),
                contractor: id(*contractor),
                repair_deadline: Timestamp(*deadline),
            },
        ),
        StepKind::Reassign {
            no,
            contractor,
            deadline,
        } => (
            inspector.clone(),
            EventKind::Reassigned {
                notice_no: no.clone(),
                contractor: id(*contractor),
                repair_deadline: Timestamp(*deadline),
            },
        ),
        StepKind::Refuse => (
            contractor_actor(),
            EventKind::NoticeRefused {
                reason: "不属于我方施工范围".into(),
            },
        ),
        StepKind::Respond(mode) => (
            contractor_actor(),
            EventKind::ContractorResponded {
                mode: *mode,
                note: "已到场".into(),
            },
        ),
        StepKind::Dispute => (
            contractor_actor(),
            EventKind::Disputed {
                reason: "应由其他施工单位负责".into(),
            },
        ),
        StepKind::Report => (
            contractor_actor(),
            EventKind::RepairReported {
                note: "已整改".into(),
                evidence: Vec::new(),
            },
        ),
        StepKind::Fail => (
            inspector.clone(),
            EventKind::AcceptanceFailed {
                reason: "仍有渗漏".into(),
            },
        ),
        StepKind::Pass => (
            inspector.clone(),
            EventKind::AcceptancePassed {
                note: "合格".into(),
            },
        ),
        StepKind::Return => (
            contractor_actor(),
            EventKind::NoticeReturned {
                reply: "已按要求整改完毕".into(),
            },
        ),
        StepKind::EmergencyStart => (
            cast.manager.clone(),
            EventKind::EmergencyRepairStarted {
                team: "物业维修队".into(),
                reason: "施工单位逾期未修".into(),
            },
        ),
        StepKind::EmergencyFinish(cost) => (
            cast.manager.clone(),
            EventKind::EmergencyRepairFinished { cost_fen: *cost },
        ),
        StepKind::FineDraft {
            fine: f,
            contractor,
            condition,
            amount,
        } => (
            // Drafted by the inspector: the coordinator who approves first is a second person.
            inspector.clone(),
            EventKind::FineDrafted {
                fine: fine(f),
                contractor: id(*contractor),
                condition: *condition,
                amount_fen: *amount,
            },
        ),
        StepKind::FineApprove { fine: f, step } => (
            match step {
                FineApprovalStep::Leader => cast.coordinator.clone(),
                FineApprovalStep::Manager => cast.manager.clone(),
            },
            EventKind::FineApproved {
                fine: fine(f),
                step: *step,
            },
        ),
        StepKind::FineVoid { fine: f } => (
            cast.coordinator.clone(),
            EventKind::FineVoided {
                fine: fine(f),
                reason: "条件不成立".into(),
            },
        ),
        StepKind::Callback(level) => (
            cast.front_desk.clone(),
            EventKind::Callback {
                channel: CallbackChannel::Phone,
                level: *level,
                note: String::new(),
            },
        ),
        StepKind::RequestEvidence => (
            cast.front_desk.clone(),
            EventKind::EvidenceRequested {
                reason: EvidenceRequestReason::Unclear,
                note: "照片看不清渗水位置，请重拍".into(),
            },
        ),
        StepKind::Close => (
            inspector.clone(),
            EventKind::Closed {
                reason: "已完成".into(),
            },
        ),
        StepKind::Cancel { not_a_defect } => (
            cast.manager.clone(),
            EventKind::Cancelled {
                reason: if *not_a_defect {
                    "经核实不属于质量问题".into()
                } else {
                    "业主撤回投诉".into()
                },
                not_a_defect: *not_a_defect,
            },
        ),
    }
}

/// A photo as a finding references it.
#[derive(Debug, Clone)]
struct Picture {
    hash: BlobHash,
    bytes: u64,
    width: u32,
    height: u32,
}

/// The pictures of one unit's photo steps, by case and photo number, stored (when `photos`
/// says so) before the document that references them is written.
async fn pictures(
    state: &AppState,
    g: &Generated,
    cases: &[usize],
    photos: Photos,
) -> anyhow::Result<BTreeMap<(usize, u32), Picture>> {
    let mut out = BTreeMap::new();
    for &i in cases {
        for step in &g.cases[i].steps {
            let StepKind::Evidence(n) = step.kind else {
                continue;
            };
            let picture = match photos {
                Photos::Referenced => Picture {
                    hash: evidence_hash(&g.params.project, i, n),
                    bytes: 180_000 + u64::from(n),
                    width: 2048,
                    height: 1536,
                },
                Photos::Stored { uploaded_before } => {
                    let seed = g.params.seed ^ ((i as u64) << 8) ^ u64::from(n);
                    let image =
                        tokio::task::spawn_blocking(move || super::photos::picture(seed)).await??;
                    let size = image.bytes.len() as u64;
                    if step.at >= uploaded_before {
                        let picture = Picture {
                            hash: BlobHash::of(&image.bytes),
                            bytes: size,
                            width: image.width,
                            height: image.height,
                        };
                        out.insert((i, n), picture);
                        continue;
                    }
                    let (hash, _) = state
                        .uploads
                        .store_whole(
                            &*state.store,
                            &*state.blobs,
                            image.bytes.into(),
                            Timestamp(step.at),
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("storing a generated photo: {e}"))?;
                    Picture {
                        hash,
                        bytes: size,
                        width: image.width,
                        height: image.height,
                    }
                }
            };
            out.insert((i, n), picture);
        }
    }
    Ok(out)
}

/// Writes one unit's rounds and findings into its document; returns the findings' ids in the
/// order of `cases`.
fn write_unit(
    doc: &mut UnitDoc,
    (g, cast): (&Generated, &Cast),
    unit: usize,
    cases: &[usize],
    pictures: &BTreeMap<(usize, u32), Picture>,
) -> anyhow::Result<(Vec<FindingId>, Vec<OwnerContactRecord>)> {
    let mut contacts = Vec::new();
    let inspector = cast.inspector(&g.units[unit]);
    let template = residential();
    let mut pre_round = None;
    for r in g.rounds.iter().filter(|r| r.unit == unit) {
        let id = doc.start_round(inspector, Timestamp(r.at), r.kind)?;
        for (k, item) in r.passed.iter().enumerate() {
            let at = Timestamp(r.at + (k as i64 + 1) * MINUTE_MS);
            doc.record_result(inspector, at, &id, item, Outcome::Pass, None)?;
        }
        if r.kind == RoundKind::PreHandover && pre_round.is_none() {
            pre_round = Some(id);
        }
    }
    let mut ids = Vec::with_capacity(cases.len());
    for &i in cases {
        let c = &g.cases[i];
        let at = Timestamp(c.recorded);
        let item: ItemId = c.item.parse()?;
        let new = NewFinding {
            origin: c.origin,
            round: (c.origin == Origin::Inspection)
                .then(|| pre_round.clone())
                .flatten(),
            room: c.room.parse()?,
            description: super::words::description(&template, &item, c.index),
            item,
            category: c.category.parse()?,
            severity: c.severity,
        };
        let id = match c.origin {
            Origin::OwnerCall | Origin::OwnerVisit => {
                let owner = OwnerContact::new(
                    &super::words::owner_name(c.index),
                    &format!("139{:08}", c.index),
                )?;
                // As at the front desk: the document gets the masked contact, the server
                // keeps the full one.
                let finding = doc.record_complaint(&cast.front_desk, at, new, owner.clone())?;
                contacts.push(OwnerContactRecord {
                    finding: finding.clone(),
                    project: g.project.id.clone(),
                    unit: g.units[unit].id.clone(),
                    contact: owner,
                    recorded_at: at,
                });
                finding
            }
            Origin::Inspection | Origin::HandoverWalk => doc.record_finding(inspector, at, new)?,
            Origin::PropertyCompany => doc.record_finding(&cast.front_desk, at, new)?,
        };
        ids.push(id);
    }
    let local: BTreeMap<usize, FindingId> =
        cases.iter().copied().zip(ids.iter().cloned()).collect();
    for (&i, id) in cases.iter().zip(&ids) {
        let c = &g.cases[i];
        for step in &c.steps {
            let at = Timestamp(step.at);
            match &step.kind {
                StepKind::Evidence(n) => {
                    let picture = &pictures[&(i, *n)];
                    let evidence = EvidenceRef {
                        hash: picture.hash.clone(),
                        kind: EvidenceKind::Photo,
                        bytes: picture.bytes,
                        width: picture.width,
                        height: picture.height,
                        captured_at: at,
                        device: inspector.device.clone(),
                        author: inspector.user.clone(),
                        location: None,
                        pin: None,
                        thumbnail: None,
                    };
                    doc.attach_evidence(inspector, at, id, evidence)?;
                }
                StepKind::MergeInto(survivor) => {
                    let kept = local.get(survivor).ok_or_else(|| {
                        anyhow::anyhow!("case {i}: survivor {survivor} not in its unit")
                    })?;
                    let event = |kind| Event {
                        id: EventId::random(),
                        kind,
                        actor: inspector.clone(),
                        at,
                    };
                    doc.append_together(vec![
                        (
                            id.clone(),
                            event(EventKind::MergedInto {
                                other: kept.clone(),
                            }),
                        ),
                        (
                            kept.clone(),
                            event(EventKind::MergedFrom { other: id.clone() }),
                        ),
                    ])?;
                }
                _ => {
                    let (who, kind) = event_of(g, cast, inspector, step);
                    doc.append_event(&who, at, id, kind)?;
                }
            }
        }
    }
    Ok((ids, contacts))
}

/// Gives the script's notices and fine slips the numbers the office would have issued them
/// under: the server's own series (`ZG-2026-0001`, `FK-2026-0001` …) in the order they went
/// out. The claims that take those numbers from the gapless counters are returned, for the
/// first unit's write to take them all in its transaction, so that a notice or slip issued
/// after the history continues its series and nothing is taken when the write fails.
async fn number_documents(state: &AppState, g: &mut Generated) -> anyhow::Result<Vec<NumberClaim>> {
    let mut issued: Vec<(i64, Series, usize, String)> = Vec::new();
    for (c, case) in g.cases.iter().enumerate() {
        for step in &case.steps {
            match &step.kind {
                StepKind::Notice { no, .. } | StepKind::Reassign { no, .. } => {
                    issued.push((step.at, Series::Notice, c, no.clone()));
                }
                StepKind::FineDraft { fine, .. } => {
                    issued.push((step.at, Series::Fine, c, fine.clone()));
                }
                _ => {}
            }
        }
    }
    issued.sort_by(|x, y| (x.0, x.2, &x.3).cmp(&(y.0, y.2, &y.3)));
    let mut next: BTreeMap<(Series, i32), u32> = BTreeMap::new();
    let mut claims = Vec::with_capacity(issued.len());
    for (at, series, c, old) in issued {
        let year = Timestamp(at).date_cst().year();
        let number = match next.get(&(series, year)) {
            Some(n) => *n,
            None => state.store.next_number(series, year).await?,
        };
        next.insert((series, year), number + 1);
        claims.push(NumberClaim {
            series,
            year,
            number,
        });
        renumber(&mut g.cases[c], &old, &series.format(year, number));
    }
    // The claims of one series and year are taken in order.
    claims.sort_by_key(|c| (c.series, c.year, c.number));
    Ok(claims)
}

/// Gives the notice or slip `old` of a case its number `new`, wherever the script names it.
fn renumber(case: &mut ScriptCase, old: &str, new: &str) {
    for step in &mut case.steps {
        match &mut step.kind {
            StepKind::Notice { no, .. } | StepKind::Reassign { no, .. } if no == old => {
                *no = new.to_owned();
            }
            StepKind::FineDraft { fine, .. }
            | StepKind::FineApprove { fine, .. }
            | StepKind::FineVoid { fine }
                if fine == old =>
            {
                *fine = new.to_owned();
            }
            _ => {}
        }
    }
    for n in case.facts.notices.iter_mut().filter(|n| n.no == old) {
        n.no = new.to_owned();
    }
    for f in case.facts.fines.iter_mut().filter(|f| f.id == old) {
        f.id = new.to_owned();
    }
}

/// Stores every unit document of the script through the server's write path (receipts,
/// projection and owners' contacts included) into its project, which the caller created, and
/// notes each finding's id in the script. `cast` names who writes what; `photos` whether
/// photos are stored or only referenced.
pub async fn write(
    state: &AppState,
    g: &mut Generated,
    cast: &Cast,
    photos: Photos,
) -> anyhow::Result<()> {
    anyhow::ensure!(!cast.inspectors.is_empty(), "the cast has no inspector");
    anyhow::ensure!(
        cast.contractors.len() >= g.contractors.len(),
        "the cast has {} foremen for {} contractors",
        cast.contractors.len(),
        g.contractors.len()
    );
    let mut claims = number_documents(state, g).await?;
    let mut by_unit: Vec<Vec<usize>> = vec![Vec::new(); g.units.len()];
    for c in &g.cases {
        by_unit[c.unit].push(c.index);
    }
    let with_rounds: BTreeSet<usize> = g.rounds.iter().map(|r| r.unit).collect();
    for (unit, cases) in by_unit.iter().enumerate() {
        if cases.is_empty() && !with_rounds.contains(&unit) {
            continue;
        }
        let doc_id = DocId::Unit(g.units[unit].id.clone());
        let pictures = pictures(state, g, cases, photos).await?;
        let generated: &Generated = g;
        let ids = unit_write::edit_unit_recording(
            state,
            &doc_id,
            None,
            0,
            std::mem::take(&mut claims),
            |doc, _, _| {
                write_unit(doc, (generated, cast), unit, cases, &pictures)
                    .map_err(ApiError::Internal)
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("writing {doc_id}: {e:?}"))?;
        for (&i, id) in cases.iter().zip(ids) {
            g.cases[i].finding = Some(id);
        }
    }
    Ok(())
}
