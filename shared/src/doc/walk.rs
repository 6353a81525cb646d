//! The owner's joint inspection (业主陪验), signed and bound to what was signed.
//!
//! Before handover the inspector walks the unit with its owner. At the end the owner reviews
//! the list of defects on the phone and signs on the screen with name and phone. What the owner
//! signed is a [`WalkSnapshot`]: exactly those findings (ids, rooms, items, categories,
//! severities, descriptions, photo hashes), the unit, the owner and the time. Its canonical
//! bytes ([`WalkSnapshot::canonical`]) are hashed with BLAKE3 and the hash is stored with the
//! signature image's hash in a [`SignedWalk`], written once into the unit document.
//!
//! The snapshot is a copy, not a reference: a later edit of a finding never alters what the
//! owner signed. [`SignedWalk::changes_since`] compares the signed copy with the findings as
//! they are now, which is how the office sees "changed since signed"; a new version needs a
//! new walk and a new signature. A defect the owner later says was "missing from the list" is a
//! new complaint on the unit; it is never added to a signed snapshot.
//!
//! # Canonical form
//!
//! The canonical bytes are the snapshot as compact JSON (no whitespace), fields in the order
//! they are declared here, findings sorted by id, each finding's photo hashes sorted, strings
//! as UTF-8 with JSON's escapes. Anyone can check a snapshot with `b3sum`: the dispute pack
//! holds these exact bytes, and their BLAKE3 hash is the `snapshot_hash`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::doc::evidence::{EvidenceKind, EvidenceRef};
use crate::doc::finding::{Finding, MAX_OWNER_NAME_CHARS, MAX_PHONE_INPUT_CHARS, OwnerContact};
use crate::doc::{MAX_DESCRIPTION_CHARS, MAX_EVIDENCE_PER_FINDING, MAX_FINDINGS_PER_UNIT, bounds};
use crate::event::{EditedField, EventKind};
use crate::ids::{BlobHash, CategoryId, FindingId, ItemId, RoomId, UnitId, WalkId};
use crate::role::{Actor, Role};
use crate::severity::Severity;
use crate::time::Timestamp;

/// The `format` every snapshot carries; a later layout gets a new one.
pub const SNAPSHOT_FORMAT: &str = "plumbline/walk-snapshot/1";
/// The root key prefix of a signed walk in a unit document (see [`crate::doc`]).
pub const WALK_KEY_PREFIX: &str = "walk:";
/// Most signed walks one unit may hold (each is a full copy of the list).
pub const MAX_WALKS_PER_UNIT: usize = 50;

/// One finding as the owner saw it when signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFinding {
    /// The finding.
    pub id: FindingId,
    /// Room.
    pub room: RoomId,
    /// Check item.
    pub item: ItemId,
    /// Category.
    pub category: CategoryId,
    /// Severity.
    pub severity: Severity,
    /// What is wrong, as written then.
    pub description: String,
    /// Its photos then, sorted.
    pub photos: Vec<BlobHash>,
}

impl SnapshotFinding {
    /// The finding as it is.
    pub fn of(f: &Finding) -> Self {
        Self {
            id: f.id.clone(),
            room: f.room.clone(),
            item: f.item.clone(),
            category: f.category.clone(),
            severity: f.severity,
            description: f.description.clone(),
            photos: f
                .evidence
                .values()
                .filter(|e| e.kind == EvidenceKind::Photo)
                .map(|e| e.hash.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        }
    }
}

/// Exactly what the owner signed.
///
/// Its canonical bytes are a serialisation of these types: a change to their serde form (a
/// renamed field, another id format) would change every stored walk's hash. The golden test
/// below pins the bytes; never change them, add a new [`SNAPSHOT_FORMAT`] instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkSnapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// The unit walked.
    pub unit: UnitId,
    /// When the owner signed (the phone's clock).
    pub signed_at: Timestamp,
    /// The owner, masked as every contact in a document is ([`OwnerContact::masked`]).
    pub owner: OwnerContact,
    /// The findings on the list, sorted by id.
    pub findings: Vec<SnapshotFinding>,
}

impl WalkSnapshot {
    /// The snapshot of `findings` of `unit`, signed by `owner` at `at`. The owner's contact is
    /// masked here, whatever the caller passes.
    pub fn new<'a>(
        unit: &UnitId,
        findings: impl IntoIterator<Item = &'a Finding>,
        owner: &OwnerContact,
        at: Timestamp,
    ) -> Self {
        let mut findings: Vec<SnapshotFinding> =
            findings.into_iter().map(SnapshotFinding::of).collect();
        findings.sort_by(|a, b| a.id.cmp(&b.id));
        Self {
            format: SNAPSHOT_FORMAT.to_owned(),
            unit: unit.clone(),
            signed_at: at,
            owner: owner.masked(),
            findings,
        }
    }

    /// A digest of the list alone (no owner, no time): what a screen showed, so that signing
    /// can refuse when the list changed between showing it and the owner's signature.
    pub fn list_digest<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> String {
        let mut list: Vec<SnapshotFinding> =
            findings.into_iter().map(SnapshotFinding::of).collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        let bytes = serde_json::to_vec(&list).expect("a list always serialises to JSON");
        blake3::hash(&bytes).to_hex().to_string()
    }

    /// The canonical bytes (see the module's documentation).
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a snapshot always serialises to JSON")
    }

    /// The BLAKE3 hash of the canonical bytes, as lowercase hex.
    pub fn hash(&self) -> String {
        blake3::hash(&self.canonical()).to_hex().to_string()
    }
}

/// A signed walk: the snapshot, its hash, and the owner's signature image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedWalk {
    /// Its id (its key in the document is `walk:<id>`).
    pub id: WalkId,
    /// What was signed.
    pub snapshot: WalkSnapshot,
    /// BLAKE3 of the snapshot's canonical bytes.
    pub snapshot_hash: String,
    /// The signature image (a PNG blob, uploaded like a photo).
    pub signature: EvidenceRef,
    /// The inspector who walked with the owner.
    pub signed_by: Actor,
}

/// Why a signed walk does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// The stored hash is not the snapshot's.
    #[error(
        "walk `{walk}`: the snapshot's hash is {actual}, but the walk says {stored}; the signed list was altered"
    )]
    HashMismatch {
        /// The walk.
        walk: WalkId,
        /// The hash stored.
        stored: String,
        /// The hash of the snapshot as it is.
        actual: String,
    },
    /// Something about it is malformed.
    #[error("walk `{walk}`: {what}")]
    Invalid {
        /// The walk.
        walk: WalkId,
        /// What is wrong.
        what: String,
    },
}

/// How one signed finding differs from the finding now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkChange {
    /// The finding.
    pub finding: FindingId,
    /// What changed, as stable names: `category`, `severity`, `description`, `photos` (a
    /// signed photo is missing), `withdrawn` (cancelled or merged since), `gone`.
    pub what: Vec<&'static str>,
}

impl SignedWalk {
    /// Signs `snapshot` with the signature image `signature`, as `by`.
    pub fn new(snapshot: WalkSnapshot, signature: EvidenceRef, by: Actor) -> Self {
        Self {
            id: WalkId::random(),
            snapshot_hash: snapshot.hash(),
            snapshot,
            signature,
            signed_by: by,
        }
    }

    /// Checks that the walk holds together on its own: the hash is the snapshot's, the format
    /// is known, the owner is masked, the signature is a bounded PNG reference, the list is
    /// sorted, free of duplicates and bounded, and the person is an inspector or a manager.
    pub fn check(&self) -> Result<(), WalkError> {
        let invalid = |what: String| WalkError::Invalid {
            walk: self.id.clone(),
            what,
        };
        let s = &self.snapshot;
        if s.format != SNAPSHOT_FORMAT {
            return Err(invalid(format!(
                "the snapshot's format is `{}`; this version reads `{SNAPSHOT_FORMAT}`",
                s.format
            )));
        }
        let actual = s.hash();
        if actual != self.snapshot_hash {
            return Err(WalkError::HashMismatch {
                walk: self.id.clone(),
                stored: self.snapshot_hash.clone(),
                actual,
            });
        }
        let phone_ok = s.owner.phone.chars().count() <= MAX_PHONE_INPUT_CHARS
            && s.owner
                .phone
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*');
        if s.owner.name.chars().count() > MAX_OWNER_NAME_CHARS || !phone_ok {
            return Err(invalid(
                "the owner's name or phone is longer than a contact may be".into(),
            ));
        }
        if !s.owner.is_masked() || s.owner.masked() != s.owner {
            return Err(invalid(
                "the owner's contact must be written masked (王**, 138****2046)".into(),
            ));
        }
        if s.owner.name.chars().any(bounds::invisible_in_a_line) {
            return Err(invalid(
                "the owner's name holds invisible characters".into(),
            ));
        }
        if self.signature.kind != EvidenceKind::Signature {
            return Err(invalid("the signature must be a signature image".into()));
        }
        self.signature.validate().map_err(invalid)?;
        if !matches!(self.signed_by.role, Role::Inspector | Role::Manager) {
            return Err(invalid(format!(
                "a joint inspection is walked by an inspector or a manager, not a {}",
                self.signed_by.role.label_en().to_lowercase()
            )));
        }
        if s.findings.len() > MAX_FINDINGS_PER_UNIT {
            return Err(invalid(format!(
                "the list holds {} findings, more than a unit may hold",
                s.findings.len()
            )));
        }
        if !s.findings.windows(2).all(|w| w[0].id < w[1].id) {
            return Err(invalid(
                "the list must be sorted by finding id, each finding once".into(),
            ));
        }
        for f in &s.findings {
            bounds::check_text("a description", &f.description, MAX_DESCRIPTION_CHARS)
                .map_err(|e| invalid(format!("finding `{}`: {e}", f.id)))?;
            if f.photos.len() > MAX_EVIDENCE_PER_FINDING
                || !f.photos.windows(2).all(|w| w[0] < w[1])
            {
                return Err(invalid(format!(
                    "finding `{}`: its photos must be sorted, each once, at most {MAX_EVIDENCE_PER_FINDING}",
                    f.id
                )));
            }
        }
        Ok(())
    }

    /// The signed findings that differ from `findings` as they are now; empty when the list
    /// still says what the owner signed. A photo added since (a repair's, a re-shoot) is not a
    /// change of what was signed; a signed photo no longer on the finding, another category,
    /// severity or description, and a finding cancelled or merged into another since are.
    pub fn changes_since(&self, findings: &BTreeMap<FindingId, Finding>) -> Vec<WalkChange> {
        let mut out = Vec::new();
        for signed in &self.snapshot.findings {
            let Some(finding) = findings.get(&signed.id) else {
                out.push(WalkChange {
                    finding: signed.id.clone(),
                    what: vec!["gone"],
                });
                continue;
            };
            let now = SnapshotFinding::of(finding);
            let mut what = Vec::new();
            if now.category != signed.category {
                what.push("category");
            }
            if now.severity != signed.severity {
                what.push("severity");
            }
            if now.description != signed.description {
                what.push("description");
            }
            if !signed.photos.iter().all(|p| now.photos.contains(p)) {
                what.push("photos");
            }
            let withdrawn = finding.events.iter().any(|e| {
                e.at >= self.snapshot.signed_at
                    && matches!(
                        e.kind,
                        EventKind::Cancelled { .. } | EventKind::MergedInto { .. }
                    )
            });
            if withdrawn {
                what.push("withdrawn");
            }
            if !what.is_empty() {
                out.push(WalkChange {
                    finding: signed.id.clone(),
                    what,
                });
            }
        }
        out
    }
}

/// Whether `value` is one that `field` of `finding` has held: its value now, or either side of
/// an edit on its timeline (every edit of a plain field is recorded there). A signed snapshot
/// can only show values the finding really had.
pub fn has_held(finding: &Finding, field: EditedField, value: &str) -> bool {
    let now = match field {
        EditedField::Category => finding.category.as_str(),
        EditedField::Severity => finding.severity.as_str(),
        EditedField::Description => finding.description.as_str(),
    };
    now == value
        || finding.events.iter().any(|e| match &e.kind {
            EventKind::FieldEdited { field: f, from, to } => {
                *f == field && (from == value || to == value)
            }
            _ => false,
        })
}

/// A signed walk with its version on the unit and what changed since: how the phone and the
/// office show it.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkStatus {
    /// 1 for the unit's first signed walk.
    pub version: u32,
    /// The walk as signed.
    pub walk: SignedWalk,
    /// Signed findings that differ now ("changed since signed").
    pub changes: Vec<WalkChange>,
}

/// Every signed walk of a unit document, oldest first, each with what changed since.
pub fn statuses(doc: &crate::doc::unit::UnitDoc) -> Result<Vec<WalkStatus>, crate::doc::DocError> {
    let walks = doc.walks()?;
    if walks.is_empty() {
        return Ok(Vec::new());
    }
    let findings = doc.findings()?;
    Ok(versions(&walks)
        .into_iter()
        .map(|(version, w)| WalkStatus {
            version,
            changes: w.changes_since(&findings),
            walk: w.clone(),
        })
        .collect())
}

/// Walks in the order they were signed, each with its version number (1 for the first).
pub fn versions(walks: &BTreeMap<WalkId, SignedWalk>) -> Vec<(u32, &SignedWalk)> {
    let mut sorted: Vec<&SignedWalk> = walks.values().collect();
    sorted.sort_by(|a, b| (a.snapshot.signed_at, &a.id).cmp(&(b.snapshot.signed_at, &b.id)));
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, w)| (i as u32 + 1, w))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::doc::unit::{NewFinding, UnitDoc};
    use crate::event::Origin;
    use crate::ids::{DeviceId, ProjectId, UserId};

    fn inspector() -> Actor {
        Actor {
            user: UserId::new("wangli").unwrap(),
            role: Role::Inspector,
            device: DeviceId::new("phone-1").unwrap(),
        }
    }

    fn signature(at: Timestamp) -> EvidenceRef {
        EvidenceRef {
            hash: BlobHash::of(b"signature png"),
            kind: EvidenceKind::Signature,
            bytes: 13,
            width: 600,
            height: 240,
            captured_at: at,
            device: inspector().device,
            author: inspector().user,
            location: None,
            pin: None,
            thumbnail: None,
        }
    }

    fn unit_with_two() -> (UnitDoc, FindingId, FindingId) {
        let at = Timestamp(1_780_000_000_000);
        let unit: UnitId = "licheng-b1-1201".parse().unwrap();
        let mut doc = UnitDoc::new(&ProjectId::new("licheng").unwrap(), &unit);
        let new = |d: &str| NewFinding {
            origin: Origin::Inspection,
            round: None,
            room: "kitchen".parse().unwrap(),
            item: "kitchen.drain".parse().unwrap(),
            category: "plumbing".parse().unwrap(),
            severity: Severity::S2,
            description: d.into(),
        };
        let a = doc
            .record_finding(&inspector(), at, new("水槽下水慢"))
            .unwrap();
        let b = doc
            .record_finding(&inspector(), at, new("龙头松动"))
            .unwrap();
        (doc, a, b)
    }

    fn sign(doc: &mut UnitDoc) -> SignedWalk {
        let at = Timestamp(1_780_000_100_000);
        let record = doc.read().unwrap();
        let owner = OwnerContact::new("张伟", "13812345678").unwrap();
        let snapshot = WalkSnapshot::new(&record.unit, record.findings.values(), &owner, at);
        let walk = SignedWalk::new(snapshot, signature(at), inspector());
        doc.sign_walk(&inspector(), &walk).unwrap();
        walk
    }

    #[test]
    fn the_canonical_bytes_are_stable_and_their_hash_is_stored() {
        let (mut doc, _, _) = unit_with_two();
        let walk = sign(&mut doc);
        let text = String::from_utf8(walk.snapshot.canonical()).unwrap();
        assert!(text.starts_with(r#"{"format":"plumbline/walk-snapshot/1","unit":"licheng-b1-1201","signed_at":1780000100000,"owner":{"name":"张*","phone":"138****5678"},"findings":[{"id":"#));
        assert_eq!(
            walk.snapshot_hash,
            blake3::hash(text.as_bytes()).to_hex().to_string()
        );
        let stored = doc.walks().unwrap();
        assert_eq!(stored.get(&walk.id), Some(&walk));
        assert_eq!(walk.snapshot.findings.len(), 2);
    }

    #[test]
    fn the_canonical_bytes_of_a_fixed_snapshot_never_change() {
        let snapshot = WalkSnapshot {
            format: SNAPSHOT_FORMAT.to_owned(),
            unit: "licheng-b1-1201".parse().unwrap(),
            signed_at: Timestamp(1_780_000_100_000),
            owner: OwnerContact::new("张伟", "13812345678").unwrap().masked(),
            findings: vec![SnapshotFinding {
                id: "0123456789abcdef0123456789abcdef".parse().unwrap(),
                room: "kitchen".parse().unwrap(),
                item: "kitchen.drain".parse().unwrap(),
                category: "plumbing".parse().unwrap(),
                severity: Severity::S2,
                description: "水槽下水慢\n\"堵\"".into(),
                photos: vec![BlobHash::of(b"a"), BlobHash::of(b"b")],
            }],
        };
        let text = String::from_utf8(snapshot.canonical()).unwrap();
        let expected = format!(
            r#"{{"format":"plumbline/walk-snapshot/1","unit":"licheng-b1-1201","signed_at":1780000100000,"owner":{{"name":"张*","phone":"138****5678"}},"findings":[{{"id":"0123456789abcdef0123456789abcdef","room":"kitchen","item":"kitchen.drain","category":"plumbing","severity":"S2","description":"水槽下水慢\n\"堵\"","photos":["{}","{}"]}}]}}"#,
            BlobHash::of(b"a"),
            BlobHash::of(b"b")
        );
        assert_eq!(text, expected);
        assert_eq!(
            snapshot.hash(),
            blake3::hash(expected.as_bytes()).to_hex().to_string()
        );
        let extra = expected.replacen("\"format\"", "\"extra\":1,\"format\"", 1);
        assert!(
            serde_json::from_str::<WalkSnapshot>(&extra).is_err(),
            "an unknown field is refused, not dropped"
        );
    }

    #[test]
    fn an_edit_after_signing_leaves_the_snapshot_and_shows_as_a_change() {
        let (mut doc, a, _) = unit_with_two();
        let walk = sign(&mut doc);
        assert!(walk.changes_since(&doc.findings().unwrap()).is_empty());
        doc.edit_field(
            &inspector(),
            Timestamp(1_780_000_200_000),
            &a,
            crate::doc::unit::FieldEdit::Description("水槽下水很慢，已堵".into()),
        )
        .unwrap();
        let again = doc.walks().unwrap().remove(&walk.id).unwrap();
        assert_eq!(again, walk, "the signed copy never changes");
        let changes = again.changes_since(&doc.findings().unwrap());
        assert_eq!(
            changes,
            vec![WalkChange {
                finding: a,
                what: vec!["description"]
            }]
        );
    }

    #[test]
    fn a_repair_photo_is_not_a_change_and_a_cancelled_finding_is() {
        let (mut doc, a, b) = unit_with_two();
        let walk = sign(&mut doc);
        let at = Timestamp(1_780_000_300_000);
        let mut photo = signature(at);
        photo.kind = EvidenceKind::Photo;
        photo.hash = BlobHash::of(b"repair photo");
        doc.attach_evidence(&inspector(), at, &a, photo).unwrap();
        assert!(walk.changes_since(&doc.findings().unwrap()).is_empty());
        doc.append_event(
            &inspector(),
            at,
            &b,
            EventKind::Cancelled {
                reason: "重复登记".into(),
                not_a_defect: false,
            },
        )
        .unwrap();
        let changes = walk.changes_since(&doc.findings().unwrap());
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].finding, b);
        assert_eq!(changes[0].what, vec!["withdrawn"]);
    }

    #[test]
    fn a_walk_is_written_once_and_an_altered_one_is_refused() {
        let (mut doc, _, _) = unit_with_two();
        let walk = sign(&mut doc);
        assert!(doc.sign_walk(&inspector(), &walk).is_err(), "written once");
        let mut forged = walk.clone();
        forged.id = WalkId::random();
        forged.snapshot.findings[0].description = "无问题".into();
        let err = doc.sign_walk(&inspector(), &forged).unwrap_err();
        assert!(err.to_string().contains("altered"), "{err}");
        let mut unmasked = walk.clone();
        unmasked.id = WalkId::random();
        unmasked.snapshot.owner = OwnerContact::new("张伟", "13812345678").unwrap();
        unmasked.snapshot_hash = unmasked.snapshot.hash();
        assert!(doc.sign_walk(&inspector(), &unmasked).is_err());
    }

    #[test]
    fn versions_follow_the_signing_time() {
        let (mut doc, _, _) = unit_with_two();
        let first = sign(&mut doc);
        let at = Timestamp(1_780_000_900_000);
        let record = doc.read().unwrap();
        let owner = OwnerContact::new("张伟", "13812345678").unwrap();
        let snapshot = WalkSnapshot::new(&record.unit, record.findings.values(), &owner, at);
        let second = SignedWalk::new(snapshot, signature(at), inspector());
        doc.sign_walk(&inspector(), &second).unwrap();
        let walks = doc.walks().unwrap();
        let v = versions(&walks);
        assert_eq!(v[0].0, 1);
        assert_eq!(v[0].1.id, first.id);
        assert_eq!(v[1].0, 2);
        assert_eq!(v[1].1.id, second.id);
    }
}
