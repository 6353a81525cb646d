//! What an inspector does in a unit, as single commands: mark a check item, record a defect
//! with its photos, accept or reject a repair. Each is one transaction, so a finding is never
//! on the phone without the photos the inspector saw attached to it, nor a result without
//! its finding.

use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::{FindingId, ItemId, RoundId, UnitId};
use plumbline_shared::role::Actor;
use plumbline_shared::time::Timestamp;

use crate::engine::{Engine, EngineError, NewPhoto};
use plumbline_media::capture::{CaptureSettings, StorageStatus};

/// The GPS accuracy assumed for an EXIF position that does not state its own, in metres
/// (a phone's GPS in the open; indoors it is worse, which is why the pin on the plan exists).
const GPS_ASSUMED_ACCURACY_M: f64 = 30.0;

/// The latest pre-handover round of a unit, started now when there is none yet.
fn current_round(u: &mut UnitDoc, actor: &Actor, at: Timestamp) -> Result<RoundId, EngineError> {
    let latest = u
        .read()?
        .rounds
        .into_values()
        .filter(|r| r.kind == RoundKind::PreHandover)
        .max_by_key(|r| (r.number, r.started_at));
    match latest {
        Some(round) => Ok(round.id),
        None => Ok(u.start_round(actor, at, RoundKind::PreHandover)?),
    }
}

impl Engine {
    /// Turns a camera or gallery file into a photo ready to attach: checks free space, then
    /// decodes, orients, downscales, encodes and hashes it on a blocking thread (about half a
    /// second for a 12 MP photo on one core; the caller's task is never blocked). The UI
    /// holds the result in a draft, shows its thumbnail, and may drop it before saving.
    pub async fn prepare_photo(
        &self,
        source: Vec<u8>,
        pin: Option<plumbline_shared::doc::evidence::PlanPin>,
    ) -> Result<NewPhoto, EngineError> {
        if let StorageStatus::Full { free_bytes, .. } = self.storage()? {
            return Err(EngineError::StorageFull { free_bytes });
        }
        let at = self.now();
        let captured = tokio::task::spawn_blocking(move || {
            plumbline_media::capture::process(&source, &CaptureSettings::default(), at)
        })
        .await
        .map_err(|e| std::io::Error::other(format!("the photo processing stopped: {e}")))??;
        Ok(NewPhoto {
            location: captured.gps.map(|g| g.to_location(GPS_ASSUMED_ACCURACY_M)),
            jpeg: captured.display_jpeg,
            thumbnail: captured.thumb_jpeg,
            thumb_width: captured.thumb_width,
            thumb_height: captured.thumb_height,
            width: captured.width,
            height: captured.height,
            captured_at: captured.captured_at,
            pin,
        })
    }

    /// Marks a check item of the unit's current pre-handover round as passed or not
    /// applicable (a defect goes through [`Self::record_defect`]). Starts the round when the
    /// unit has none.
    pub fn mark_item(
        &self,
        unit: &UnitId,
        item: &ItemId,
        outcome: Outcome,
    ) -> Result<(), EngineError> {
        if outcome == Outcome::Defect {
            return Err(EngineError::Doc(plumbline_shared::doc::DocError::Invalid(
                "a defect is recorded with its finding".into(),
            )));
        }
        self.edit_with_photos(unit, Vec::new(), |u, actor, at, _| {
            let round = current_round(u, actor, at)?;
            u.record_result(actor, at, &round, item, outcome, None)?;
            Ok(())
        })
    }

    /// Records a defect found on a check item: the finding, its photos and the item's result
    /// in the current round, in one transaction.
    pub fn record_defect(
        &self,
        unit: &UnitId,
        mut finding: NewFinding,
        photos: Vec<NewPhoto>,
    ) -> Result<FindingId, EngineError> {
        self.edit_with_photos(unit, photos, |u, actor, at, photos| {
            let round = match finding.round.clone() {
                Some(round) => round,
                None => current_round(u, actor, at)?,
            };
            finding.round = Some(round.clone());
            let item = finding.item.clone();
            let id = u.record_finding(actor, at, finding)?;
            photos.attach(u, actor, at, &id)?;
            u.record_result(actor, at, &round, &item, Outcome::Defect, Some(id.clone()))?;
            Ok(id)
        })
    }

    /// Re-inspection of a reported repair: accepted, or rejected with a reason; the photos
    /// taken on site go on the finding in the same transaction.
    pub fn record_acceptance(
        &self,
        unit: &UnitId,
        finding: &FindingId,
        passed: bool,
        text: String,
        photos: Vec<NewPhoto>,
    ) -> Result<(), EngineError> {
        self.edit_with_photos(unit, photos, |u, actor, at, photos| {
            photos.attach(u, actor, at, finding)?;
            let kind = if passed {
                EventKind::AcceptancePassed { note: text }
            } else {
                EventKind::AcceptanceFailed { reason: text }
            };
            u.append_event(actor, at, finding, kind)?;
            Ok(())
        })
    }
}
