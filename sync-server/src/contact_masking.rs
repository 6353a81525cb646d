//! Masking, in their unit documents, the owners' contacts taken before contacts moved to the
//! server.
//!
//! A contact taken at intake used to be written in full into the unit document, which
//! replicates to every inspector's phone of the project. The migration that moved contacts to
//! the server's `owner_contacts` table copied them and marked them unmasked; at start the
//! server rewrites each such finding's contact in its document to the masked form
//! (`UnitDoc::mask_owner`), so phones receive the masked value at their next sync.
//!
//! What this cannot do: an automerge document keeps its history, so the full value stays in
//! the document's earlier changes, on the server and on every phone that synced it before. A
//! phone that syncs the document from scratch receives that history too. Only contacts taken
//! after the move never enter a document at all; `docs/security.md` lists the residue.

use plumbline_shared::doc::DocId;

use crate::state::AppState;
use crate::unit_write::{WriteError, edit_unit};

/// Contacts read per round.
const BATCH: usize = 100;

/// Masks every contact still shown in full in its document. Returns how many documents were
/// changed. A finding its document does not hold is noted as done (there is nothing to mask); a
/// record that fails (its document does not read) is logged and left for the next start, and
/// the others go on.
pub async fn mask_legacy_contacts(state: &AppState) -> anyhow::Result<usize> {
    let mut changed = 0;
    let mut after: Option<plumbline_shared::ids::FindingId> = None;
    loop {
        let batch = state.store.unmasked_contacts(after.as_ref(), BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(changed);
        };
        after = Some(last.finding.clone());
        for record in batch {
            let doc = DocId::Unit(record.unit.clone());
            let at = state.now();
            let server = state.server.clone();
            let finding = record.finding.clone();
            let masked = edit_unit(state, &doc, None, 0, move |unit, _, _| {
                if unit.finding(&finding).is_err() {
                    return Ok(false);
                }
                unit.mask_owner(&server, &finding, at)
                    .map_err(|e| WriteError::Broken(e.into()))
            })
            .await;
            match masked {
                Ok(true) => changed += 1,
                Ok(false) | Err(WriteError::NotFound(_)) => {
                    tracing::warn!(finding = %record.finding, unit = %record.unit, "an owner's contact had no finding to mask");
                }
                Err(e) => {
                    tracing::error!(finding = %record.finding, error = %e, "could not mask an owner's contact; it is tried again at the next start");
                    continue;
                }
            }
            state.store.contact_masked(&record.finding).await?;
        }
    }
}

/// Runs [`mask_legacy_contacts`] once, in the background, at start: on one replica of those
/// starting together (the lease's holder; what it leaves undone is done at the next start).
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let span = std::time::Duration::from_secs(600);
        if !crate::leases::hold(&state, crate::leases::CONTACT_MASKING, span).await {
            return;
        }
        match mask_legacy_contacts(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(documents = n, "owners' contacts masked in their documents"),
            Err(e) => {
                tracing::error!(error = ?e, "masking owners' contacts stopped; it resumes at the next start")
            }
        }
    })
}
