//! The owner's joint inspection (业主陪验) on the phone: the list the owner reviews, and
//! signing it.
//!
//! Signing is one transaction like every other command: the signature image is written to
//! disk and synced first, then the signed walk ([`plumbline_shared::doc::walk::SignedWalk`])
//! and the image's upload row are committed together. Offline it waits in the outbox like a
//! photo; the server checks the walk again when it arrives.

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::finding::{Finding, OwnerContact};
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::doc::walk::{SignedWalk, WalkSnapshot, WalkStatus, statuses};
use plumbline_shared::ids::{BlobHash, UnitId, WalkId};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{Status, WorkflowSettings};

use crate::engine::{Engine, EngineError, WalkRefusal};
use crate::local_records::{EvidenceOf, UploadState};
use crate::local_store::EvidenceRow;
use crate::signature::{PAD_HEIGHT, PAD_WIDTH, Stroke, render_png};

/// Whether a finding belongs on the list an owner signs at `now`: everything recorded in the
/// unit except what was cancelled or merged into another finding (that one is listed instead).
pub fn listed(finding: &Finding, now: Timestamp, settings: &WorkflowSettings) -> bool {
    !matches!(
        finding.state(now, settings).status,
        Status::Cancelled | Status::Merged
    )
}

impl Engine {
    fn unit_doc(&self, unit: &UnitId) -> Result<UnitDoc, EngineError> {
        let doc_id = DocId::Unit(unit.clone());
        let mut inner = self.inner();
        if !Self::ensure_loaded(&mut inner, &doc_id)? {
            return Err(EngineError::UnknownUnit(unit.clone()));
        }
        Ok(UnitDoc::from_trusted(
            inner.docs.get(&doc_id).expect("loaded just above").clone(),
        ))
    }

    fn settings_of(&self, unit: &UnitId) -> WorkflowSettings {
        self.projects()
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.unit(unit).is_some())
            .map(|p| p.workflow)
            .unwrap_or_default()
    }

    /// The findings the owner reviews before signing, in the order they will be signed.
    pub fn walk_findings(&self, unit: &UnitId) -> Result<Vec<Finding>, EngineError> {
        let settings = self.settings_of(unit);
        Ok(self
            .unit_doc(unit)?
            .findings()?
            .into_values()
            .filter(|f| listed(f, self.now(), &settings))
            .collect())
    }

    /// The unit's signed walks, oldest first, each with what changed since.
    pub fn walks(&self, unit: &UnitId) -> Result<Vec<WalkStatus>, EngineError> {
        Ok(statuses(&self.unit_doc(unit)?)?)
    }

    /// Signs the unit's list as it is now: the owner's name and phone as typed, and the
    /// strokes drawn on the pad. `shown` is the [`WalkSnapshot::list_digest`] of the list the
    /// owner was shown; when the list is no longer that one, nothing is signed. Returns the new
    /// walk's id.
    pub fn sign_walk(
        &self,
        unit: &UnitId,
        shown: &str,
        owner_name: &str,
        owner_phone: &str,
        strokes: &[Stroke],
    ) -> Result<WalkId, EngineError> {
        let owner = OwnerContact::new(owner_name, owner_phone).map_err(WalkRefusal::from)?;
        let png = render_png(strokes).map_err(WalkRefusal::from)?;
        let hash = BlobHash::of(&png);
        self.shared.files.write_single(&hash, &png)?;
        let settings = self.settings_of(unit);
        let doc = DocId::Unit(unit.clone());
        let result = self.edit_unit_with(unit, |u, actor, at| {
            let findings = u.findings()?;
            let listed: Vec<&Finding> = findings
                .values()
                .filter(|f| listed(f, at, &settings))
                .collect();
            if WalkSnapshot::list_digest(listed.iter().copied()) != shown {
                return Err(WalkRefusal::ListChanged.into());
            }
            let snapshot = WalkSnapshot::new(unit, listed, &owner, at);
            let signature = EvidenceRef {
                hash: hash.clone(),
                kind: EvidenceKind::Signature,
                bytes: png.len() as u64,
                width: PAD_WIDTH,
                height: PAD_HEIGHT,
                captured_at: at,
                device: actor.device.clone(),
                author: actor.user.clone(),
                location: None,
                pin: None,
                thumbnail: None,
            };
            let walk = SignedWalk::new(snapshot, signature, actor.clone());
            u.sign_walk(actor, &walk)?;
            let row = EvidenceRow {
                hash: hash.clone(),
                doc: doc.clone(),
                of: EvidenceOf::Walk(walk.id.clone()),
                bytes: png.len() as u64,
                state: UploadState::Queued,
                sent_bytes: 0,
                error: None,
                attempts: 0,
                created_at: at,
                confirmed_at: None,
                file_deleted: false,
                thumbnail: None,
            };
            Ok((walk.id, vec![row]))
        });
        if result.is_err() && !self.holds_evidence(&hash)? {
            self.shared.files.remove(&hash)?;
        }
        result
    }

    fn holds_evidence(&self, hash: &BlobHash) -> Result<bool, EngineError> {
        Ok(self
            .inner()
            .store
            .evidence()?
            .iter()
            .any(|r| &r.hash == hash))
    }
}
