//! A finding (问题 / 投诉案件) as a unit document holds it.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::doc::evidence::EvidenceRef;
use crate::event::{Event, Origin, Receipt};
use crate::ids::{BlobHash, CategoryId, EventId, FindingId, ItemId, RoomId, RoundId};
use crate::role::Actor;
use crate::severity::Severity;
use crate::time::Timestamp;
use crate::workflow::{CaseState, Timeline, WorkflowSettings};

/// One finding: where it is, what it is, its evidence and its timeline.
///
/// `category`, `severity` and `description` are last-writer-wins registers; see
/// [`crate::doc::conflict`] for concurrent edits. Everything else is written once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Finding {
    /// Its id (also its key in the unit document's `findings` map).
    pub id: FindingId,
    /// Where it came from.
    pub origin: Origin,
    /// The inspection round it was found in, if any.
    pub round: Option<RoundId>,
    /// The room (from the checklist template).
    pub room: RoomId,
    /// The check item (from the checklist template).
    pub item: ItemId,
    /// Defect category.
    pub category: CategoryId,
    /// Severity.
    pub severity: Severity,
    /// What is wrong, in the inspector's words.
    pub description: String,
    /// Who recorded it.
    pub created_by: Actor,
    /// When (device time).
    pub created_at: Timestamp,
    /// Photos and signatures, by hash.
    #[autosurgeon(with = "crate::doc::sealed::map")]
    pub evidence: BTreeMap<BlobHash, EvidenceRef>,
    /// The append-only timeline, in the order the document's list holds it (not the workflow's
    /// order: [`CaseState::derive`] sorts).
    #[autosurgeon(with = "crate::doc::sealed::list")]
    pub events: Vec<Event>,
    /// The server's receipts, by event id.
    #[autosurgeon(with = "crate::doc::sealed::map")]
    pub receipts: BTreeMap<EventId, Receipt>,
    /// Who to call about it, for a complaint an owner phoned in or brought to the front desk;
    /// `None` for findings from an inspection (and for every finding written before the field
    /// existed). See [`OwnerContact`] for why it lives here.
    #[autosurgeon(with = "crate::doc::sealed::optional")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerContact>,
}

/// The owner behind a complaint (业主姓名、联系电话), as the front desk took it down.
///
/// In full it lives on the server only: a unit document replicates to every inspector's phone
/// of the project, and a lost phone must not disclose the contacts of every owner who ever
/// complained (China's Personal Information Protection Law). The document holds the masked
/// form ([`OwnerContact::masked`]: 王**, 138****2046), which is what the work on a phone needs;
/// the office sees the full contact through a page that records who looked.
///
/// Where the masked form lives, and why there: in the finding, beside `origin`, as one sealed
/// value written with the finding in the same change. Not in the `recorded` event: events are the workflow's
/// input and every replica folds them, and a contact is not something that happened. Not in a
/// map of its own at the document's root: the contact belongs to the case (the callback after
/// the repair dials it) and goes wherever the finding goes. Sealed rather than two registers:
/// name and number are one fact, and a merge must never pair one person's name with another's
/// number. The field is optional and absent when empty, so documents written before it existed
/// read unchanged and older apps, which do not know the key, ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerContact {
    /// The owner's name, trimmed.
    pub name: String,
    /// The phone number, digits only: a mainland mobile (11 digits starting with 1) or a
    /// landline (with or without its area code).
    pub phone: String,
}

/// Longest owner name, in characters.
pub const MAX_OWNER_NAME_CHARS: usize = 40;
/// Longest phone number as typed (spaces, dashes and a `+86` included), in characters.
pub const MAX_PHONE_INPUT_CHARS: usize = 24;

/// What is wrong with an owner's contact as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// No name.
    #[error("the owner's name is empty")]
    NameMissing,
    /// A name longer than [`MAX_OWNER_NAME_CHARS`] or with control characters.
    #[error("the owner's name is too long or holds control characters")]
    NameInvalid,
    /// No phone number.
    #[error("the phone number is empty")]
    PhoneMissing,
    /// Neither a mainland mobile number nor a landline number.
    #[error(
        "the phone number is neither a mobile number (11 digits starting with 1) nor a landline"
    )]
    PhoneInvalid,
}

impl OwnerContact {
    /// The form a replicated document holds: the name's first character (the surname, for
    /// nearly every Chinese name) and a star for each other character; the number's first three
    /// and last four digits with stars between (138****2046), or for a short local number its
    /// last four.
    pub fn masked(&self) -> OwnerContact {
        let mut name: String = self.name.chars().take(1).collect();
        name.extend(std::iter::repeat_n(
            '*',
            self.name.chars().count().saturating_sub(1).max(1),
        ));
        // By characters: a document may hold anything, and this must never panic.
        let digits: Vec<char> = self.phone.chars().collect();
        let n = digits.len();
        let tail: String = digits[n.saturating_sub(4)..].iter().collect();
        let phone = if n >= 11 {
            let head: String = digits[..3].iter().collect();
            format!("{head}{}{tail}", "*".repeat(n - 7))
        } else {
            format!("{}{tail}", "*".repeat(n.saturating_sub(4)))
        };
        OwnerContact { name, phone }
    }

    /// Whether this is a masked form (its number has stars), as documents hold.
    pub fn is_masked(&self) -> bool {
        self.phone.contains('*')
    }

    /// Checks and normalises a contact as a person typed it: the name trimmed; the number with
    /// spaces, dashes and brackets removed and a leading `+86`/`0086` dropped before a mobile
    /// number.
    pub fn new(name: &str, phone: &str) -> Result<Self, ContactError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ContactError::NameMissing);
        }
        if name.chars().count() > MAX_OWNER_NAME_CHARS
            || name.chars().any(crate::doc::bounds::invisible_in_a_line)
        {
            return Err(ContactError::NameInvalid);
        }
        let phone = normalise_phone(phone)?;
        Ok(Self {
            name: name.to_owned(),
            phone,
        })
    }
}

/// A phone number as digits, or why it is not one: the form [`OwnerContact::phone`] is stored
/// in, so a search for an owner by the number as typed finds what intake stored.
pub fn normalise_phone(typed: &str) -> Result<String, ContactError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(ContactError::PhoneMissing);
    }
    if typed.chars().count() > MAX_PHONE_INPUT_CHARS {
        return Err(ContactError::PhoneInvalid);
    }
    let kept: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）'))
        .collect();
    let digits = kept
        .strip_prefix("+86")
        .or_else(|| kept.strip_prefix("0086"))
        .filter(|rest| rest.len() == 11 && rest.starts_with('1'))
        .unwrap_or(&kept);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ContactError::PhoneInvalid);
    }
    let n = digits.len();
    let mobile = n == 11 && digits.starts_with('1');
    // With its area code (010, 021, 0755, …): 10 to 12 digits starting with 0. Without: a local
    // number of 7 or 8 digits, which never starts with 0 or 1.
    let landline = (digits.starts_with('0') && (10..=12).contains(&n))
        || ((7..=8).contains(&n) && !digits.starts_with(['0', '1']));
    if mobile || landline {
        Ok(digits.to_owned())
    } else {
        Err(ContactError::PhoneInvalid)
    }
}

impl Finding {
    /// The workflow's input for this finding.
    pub fn timeline(&self) -> Timeline<'_> {
        Timeline {
            events: &self.events,
            receipts: &self.receipts,
        }
    }

    /// The derived state of this finding at `now`.
    pub fn state(&self, now: Timestamp, settings: &WorkflowSettings) -> CaseState {
        CaseState::derive(&self.timeline(), now, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_right_to_left_override_or_a_line_break_is_refused() {
        for name in ["王\u{202E}生先", "王\n先生", "\u{2066}王先生"] {
            assert_eq!(
                OwnerContact::new(name, "13812345678"),
                Err(ContactError::NameInvalid),
                "{name:?}"
            );
        }
    }

    #[test]
    fn a_masked_contact_keeps_the_surname_and_the_ends_of_the_number_only() {
        let cases = [
            ("王建国", "13812342046", "王**", "138****2046"),
            ("李", "13812342046", "李*", "138****2046"),
            ("欧阳娜娜", "075512345678", "欧***", "075*****5678"),
            ("张伟", "0211234567", "张*", "******4567"),
            ("赵敏", "87654321", "赵*", "****4321"),
        ];
        for (name, phone, masked_name, masked_phone) in cases {
            let full = OwnerContact::new(name, phone).unwrap();
            assert!(!full.is_masked());
            let masked = full.masked();
            assert_eq!(
                (masked.name.as_str(), masked.phone.as_str()),
                (masked_name, masked_phone)
            );
            assert!(masked.is_masked());
        }
        // Whatever a document holds, masking does not panic.
        let odd = OwnerContact {
            name: String::new(),
            phone: "éééééé*".into(),
        };
        assert_eq!(odd.masked().phone, "***ééé*");
    }
}
