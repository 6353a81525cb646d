//! A unit's findings as the inspector reads them: where, what, the status the workflow
//! derives, overdue marks, conflicting values and what the office asks for.

use std::collections::BTreeMap;

use plumbline_shared::doc::conflict::{FieldConflict, FindingField};
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::ids::{BlobHash, FindingId};
use plumbline_shared::project::Project;
use plumbline_shared::template::ChecklistTemplate;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{Status, WorkflowSettings};

use crate::ui::i18n::{Lang, Msg};

/// One conflicting field: its name and every value people gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    /// The field's name in the chosen language.
    pub field: String,
    /// The values, the one shown first.
    pub values: Vec<String>,
}

/// One event of the timeline, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRow {
    /// When, by the device that recorded it.
    pub at: String,
    /// What happened.
    pub what: String,
    /// The role of who did it.
    pub who: String,
}

/// One finding in the list and on its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    /// The finding.
    pub id: FindingId,
    /// Room name.
    pub room: String,
    /// Check item name.
    pub item: String,
    /// Category name.
    pub category: String,
    /// Severity code (`S1` … `S4`).
    pub severity: String,
    /// Severity label.
    pub severity_label: String,
    /// What is wrong.
    pub description: String,
    /// The derived status.
    pub status: Status,
    /// The status's label.
    pub status_label: String,
    /// A deadline has passed (response window, repair deadline or notice return).
    pub overdue: bool,
    /// The 4-hour response window in particular.
    pub response_overdue: bool,
    /// The contractor's name, once assigned.
    pub contractor: Option<String>,
    /// The repair deadline, once a notice is out.
    pub deadline: Option<String>,
    /// Fields two people changed apart.
    pub conflicts: Vec<ConflictRow>,
    /// Open evidence requests from the office, in words.
    pub evidence_requests: Vec<String>,
    /// The photos, by hash, oldest first.
    pub photos: Vec<BlobHash>,
    /// When it was recorded.
    pub recorded: String,
    /// The timeline, oldest first.
    pub timeline: Vec<TimelineRow>,
}

fn field_name(field: FindingField, lang: Lang) -> &'static str {
    match field {
        FindingField::Category => Msg::Category,
        FindingField::Severity => Msg::Severity,
        FindingField::Description => Msg::Description,
    }
    .text(lang)
}

/// Everything the phone shows of one finding.
pub fn finding_row(
    finding: &Finding,
    conflicts: &[FieldConflict],
    project: Option<&Project>,
    template: &ChecklistTemplate,
    now: Timestamp,
    settings: &WorkflowSettings,
    lang: Lang,
) -> FindingRow {
    let state = finding.state(now, settings);
    let room = template.room(&finding.room).map_or_else(
        || finding.room.to_string(),
        |r| lang.pick(&r.zh, &r.en).to_owned(),
    );
    let item = template.item(&finding.item).map_or_else(
        || finding.item.to_string(),
        |(_, i)| lang.pick(&i.zh, &i.en).to_owned(),
    );
    let category_name = |id: &str| {
        id.parse()
            .ok()
            .and_then(|c| template.category(&c))
            .map_or_else(|| id.to_owned(), |c| lang.pick(&c.zh, &c.en).to_owned())
    };
    let contractor = state.contractor.as_ref().map(|c| {
        project
            .and_then(|p| p.contractor(c))
            .map_or_else(|| c.to_string(), |c| c.name.clone())
    });
    let mut photos: Vec<_> = finding.evidence.values().collect();
    photos.sort_by_key(|e| (e.captured_at, e.hash.clone()));
    let mut events: Vec<_> = finding.events.iter().collect();
    events.sort_by_key(|e| (e.at, e.id.clone()));
    FindingRow {
        id: finding.id.clone(),
        room,
        item,
        category: category_name(finding.category.as_str()),
        severity: finding.severity.as_str().to_owned(),
        severity_label: lang
            .pick(finding.severity.label_zh(), finding.severity.label_en())
            .to_owned(),
        description: finding.description.clone(),
        status: state.status,
        status_label: lang
            .pick(state.status.label_zh(), state.status.label_en())
            .to_owned(),
        overdue: state.response_overdue || state.repair_overdue || state.return_overdue,
        response_overdue: state.response_overdue,
        contractor,
        deadline: state
            .notice
            .as_ref()
            .map(|n| n.repair_deadline.china_minute()),
        conflicts: conflicts
            .iter()
            .map(|c| ConflictRow {
                field: field_name(c.field, lang).to_owned(),
                values: c
                    .values
                    .iter()
                    .map(|v| match c.field {
                        FindingField::Category => category_name(&v.value),
                        _ => v.value.clone(),
                    })
                    .collect(),
            })
            .collect(),
        evidence_requests: state
            .open_evidence_requests
            .iter()
            .map(|r| {
                let reason = lang.pick(r.reason.label_zh(), r.reason.label_en());
                if r.note.is_empty() {
                    reason.to_owned()
                } else {
                    format!("{reason}: {}", r.note)
                }
            })
            .collect(),
        photos: photos.iter().map(|e| e.hash.clone()).collect(),
        recorded: finding.created_at.china_minute(),
        timeline: events
            .iter()
            .map(|e| TimelineRow {
                at: e.at.china_minute(),
                what: lang.pick(e.kind.label_zh(), e.kind.label_en()).to_owned(),
                who: lang
                    .pick(e.actor.role.label_zh(), e.actor.role.label_en())
                    .to_owned(),
            })
            .collect(),
    }
}

/// A unit's findings, open ones first, then by when they were recorded.
pub fn finding_rows(
    findings: &BTreeMap<FindingId, Finding>,
    conflicts: &BTreeMap<FindingId, Vec<FieldConflict>>,
    project: Option<&Project>,
    template: &ChecklistTemplate,
    now: Timestamp,
    settings: &WorkflowSettings,
    lang: Lang,
) -> Vec<FindingRow> {
    let mut rows: Vec<(bool, Timestamp, FindingRow)> = findings
        .values()
        .map(|f| {
            let row = finding_row(
                f,
                conflicts.get(&f.id).map_or(&[][..], Vec::as_slice),
                project,
                template,
                now,
                settings,
                lang,
            );
            (
                !crate::ui::model::grid::is_open(row.status),
                f.created_at,
                row,
            )
        })
        .collect();
    rows.sort_by_key(|(closed, at, _)| (*closed, std::cmp::Reverse(*at)));
    rows.into_iter().map(|(_, _, row)| row).collect()
}
