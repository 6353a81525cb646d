//! Concurrent edits of one field: both values are kept, and this says so.
//!
//! When two people change a finding's severity (or category, or description) while offline,
//! automerge keeps both values and picks one deterministically as the winner. Plumbline does
//! not hide the loser: [`field_conflicts`] lists every field with more than one value, each with
//! the device that wrote it and, through the document's `editors` map, the person.

use automerge::{AutoCommit, ObjId, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use crate::doc::device_of;
use crate::ids::{DeviceId, UserId};

/// The plain fields of a finding that people edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingField {
    /// Defect category.
    Category,
    /// Severity.
    Severity,
    /// Description.
    Description,
}

impl FindingField {
    /// All editable fields.
    pub const ALL: [FindingField; 3] = [
        FindingField::Category,
        FindingField::Severity,
        FindingField::Description,
    ];

    /// The key in the finding's map.
    pub fn key(self) -> &'static str {
        match self {
            FindingField::Category => "category",
            FindingField::Severity => "severity",
            FindingField::Description => "description",
        }
    }
}

/// A field that holds more than one value after concurrent edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// Which field.
    pub field: FindingField,
    /// Every value, the one currently shown first.
    pub values: Vec<ConflictValue>,
}

/// One of the values of a conflicting field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value, as text.
    pub value: String,
    /// The device that wrote it.
    pub device: Option<DeviceId>,
    /// The person behind that device, when the document knows.
    pub user: Option<UserId>,
    /// Whether this is the value automerge picked and screens show by default.
    pub shown: bool,
}

pub(crate) fn field_conflicts(
    doc: &AutoCommit,
    finding: &ObjId,
    editor_of: impl Fn(&DeviceId) -> Option<UserId>,
) -> Result<Vec<FieldConflict>, automerge::AutomergeError> {
    let mut out = Vec::new();
    for field in FindingField::ALL {
        let all = doc.get_all(finding, field.key())?;
        if all.len() < 2 {
            continue;
        }
        let shown = doc.get(finding, field.key())?.map(|(_, id)| id);
        let mut values: Vec<ConflictValue> = all
            .into_iter()
            .map(|(value, id)| {
                let device = match &id {
                    automerge::ObjId::Id(_, actor, _) => device_of(actor),
                    automerge::ObjId::Root => None,
                };
                ConflictValue {
                    value: scalar_text(&value),
                    user: device.as_ref().and_then(&editor_of),
                    device,
                    shown: Some(&id) == shown.as_ref(),
                }
            })
            .collect();
        values.sort_by_key(|v| !v.shown);
        out.push(FieldConflict { field, values });
    }
    Ok(out)
}

fn scalar_text(value: &Value<'_>) -> String {
    match value {
        Value::Scalar(s) => match s.as_str() {
            Some(text) => text.to_owned(),
            None => s.to_string(),
        },
        Value::Object(kind) => format!("<{kind:?}>"),
    }
}
