//! A unit's checklist: rooms with how far each is checked, and a room's items with their mark
//! in the current pre-handover round.

use plumbline_shared::doc::round::{Outcome, Round, RoundKind};
use plumbline_shared::doc::unit::UnitRecord;
use plumbline_shared::ids::{FindingId, ItemId, RoomId};
use plumbline_shared::template::ChecklistTemplate;

use crate::ui::i18n::Lang;

/// One room in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSummary {
    /// The room.
    pub id: RoomId,
    /// Its name in the chosen language.
    pub name: String,
    /// Items in the room.
    pub items: usize,
    /// Items marked in the current round.
    pub marked: usize,
    /// Items marked as defects.
    pub defects: usize,
}

/// One check item with its mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// The item.
    pub id: ItemId,
    /// What to check, in the chosen language.
    pub name: String,
    /// The standard it checks against.
    pub reference: String,
    /// The mark in the current round, if any.
    pub mark: Option<Outcome>,
    /// The finding that records the defect.
    pub finding: Option<FindingId>,
}

/// The round the inspector is walking: the latest pre-handover round.
pub fn current_round(record: &UnitRecord) -> Option<&Round> {
    record
        .rounds
        .values()
        .filter(|r| r.kind == RoundKind::PreHandover)
        .max_by_key(|r| (r.number, r.started_at))
}

/// The rooms of the template, with the current round's marks counted.
pub fn rooms(template: &ChecklistTemplate, record: &UnitRecord, lang: Lang) -> Vec<RoomSummary> {
    let round = current_round(record);
    template
        .rooms
        .iter()
        .map(|room| {
            let marks: Vec<Outcome> = room
                .items
                .iter()
                .filter_map(|i| round.and_then(|r| r.results.get(&i.id)).map(|r| r.outcome))
                .collect();
            RoomSummary {
                id: room.id.clone(),
                name: lang.pick(&room.zh, &room.en).to_owned(),
                items: room.items.len(),
                marked: marks.len(),
                defects: marks.iter().filter(|o| **o == Outcome::Defect).count(),
            }
        })
        .collect()
}

/// The items of one room with their marks; empty for a room the template does not have.
pub fn items(
    template: &ChecklistTemplate,
    record: &UnitRecord,
    room: &RoomId,
    lang: Lang,
) -> Vec<ItemRow> {
    let round = current_round(record);
    let Some(room) = template.room(room) else {
        return Vec::new();
    };
    room.items
        .iter()
        .map(|item| {
            let result = round.and_then(|r| r.results.get(&item.id));
            ItemRow {
                id: item.id.clone(),
                name: lang.pick(&item.zh, &item.en).to_owned(),
                reference: item.reference.clone(),
                mark: result.map(|r| r.outcome),
                finding: result.and_then(|r| r.finding.clone()),
            }
        })
        .collect()
}
