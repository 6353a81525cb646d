//! Accepting a new version of a unit document: receipts, projection, durable write.
//!
//! Two paths change unit documents on the server. A device's sync applies automerge changes it
//! sent; an action taken on the server for a person (a contractor's answer through its
//! endpoint, later every office action) edits the document here. Both end the same way, in
//! [`seal`]: every event new to the document gets the server's receipt (when it arrived, and
//! how far the sender's clock was off), the unit is projected into its case records, and the
//! changes and the records are written in one transaction before anyone is told "stored".

use automerge::AutoCommit;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::{UnitDoc, UnitRecord};
use plumbline_shared::event::Receipt;
use plumbline_shared::ids::{DeviceId, ProjectId};
use plumbline_shared::projection::{UnitProjection, project_record, project_unit};
use plumbline_shared::time::Timestamp;

use crate::doc_cache::{DocCache, LoadedDoc, new_changes};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{DocWrite, NumberClaim, OwnerContactRecord, StoreError};

/// Why a unit document was not written. Not an HTTP type: the API answers it with a status
/// (`From<WriteError> for ApiError`), the office web with a page, a background task with a log
/// line; each decides what a missing document means to its caller.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The server holds no such document.
    #[error("unit document `{0}` not found")]
    NotFound(DocId),
    /// The store failed, or refused (a number another write took first).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored document does not read, or the edit left it broken: nothing was written.
    #[error("{0:#}")]
    Broken(anyhow::Error),
}

impl WriteError {
    fn broken(doc: &DocId, what: &str, e: impl std::fmt::Display) -> Self {
        Self::Broken(anyhow::anyhow!("{what} {doc}: {e}"))
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NotFound(_) => ApiError::NotFound(e.to_string()),
            WriteError::Store(e) => e.into(),
            WriteError::Broken(e) => ApiError::Internal(e),
        }
    }
}

/// Stamps a receipt on every event of `after` that `before` does not hold, then projects the
/// unit. Returns the document and its case records. `new` is `after` already read, when the
/// caller has it: reading a unit document is the expensive step of a sync, so the receipts
/// are added to the record in memory rather than read back.
pub fn seal(
    state: &AppState,
    project: &ProjectId,
    before: &UnitRecord,
    mut after: UnitDoc,
    new: Option<UnitRecord>,
    received_at: Timestamp,
    skew_ms: i64,
) -> Result<(AutoCommit, UnitProjection), WriteError> {
    let broken = |e: plumbline_shared::doc::DocError| WriteError::Broken(e.into());
    let mut new = match new {
        Some(record) => record,
        None => after.read().map_err(broken)?,
    };
    for f in new.findings.values_mut() {
        let known = before.findings.get(&f.id);
        for e in &f.events {
            if known.is_some_and(|o| o.events.iter().any(|x| x.id == e.id)) {
                continue;
            }
            let receipt = Receipt {
                received_at,
                skew_ms,
            };
            let stamped = after
                .record_receipt(&state.server, &f.id, &e.id, receipt)
                .map_err(broken)?;
            if stamped {
                f.receipts.insert(e.id.clone(), receipt);
            }
        }
    }
    let projection =
        project_record(&after, &new, received_at, &state.settings_of(project)).map_err(broken)?;
    Ok((after.into_automerge(), projection))
}

/// Edits a stored unit document on the server for a person and stores the result durably.
///
/// `edit` gets the document (to change) and what it held before (to check against); it returns
/// a value for the caller or an error, in which case nothing is stored. An edit that changes
/// nothing (a retried action whose event is already there) stores nothing and succeeds.
/// `device` is the device the action came from, when it came from one.
pub async fn edit_unit<T, E>(
    state: &AppState,
    doc_id: &DocId,
    device: Option<&DeviceId>,
    skew_ms: i64,
    edit: impl FnOnce(&mut UnitDoc, &UnitRecord, &ProjectId) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<WriteError>,
{
    edit_unit_claiming(state, doc_id, device, skew_ms, Vec::new(), edit).await
}

/// [`edit_unit`], taking `claims` (the numbers the new events use) in the transaction that
/// stores them. When another write took a number first, nothing is stored and the error is
/// made from [`StoreError::NumberTaken`], for the caller to read the next number and try
/// again. The caller's error type says what else can go wrong.
pub async fn edit_unit_claiming<T, E>(
    state: &AppState,
    doc_id: &DocId,
    device: Option<&DeviceId>,
    skew_ms: i64,
    claims: Vec<NumberClaim>,
    edit: impl FnOnce(&mut UnitDoc, &UnitRecord, &ProjectId) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<WriteError>,
{
    let edit = |doc: &mut UnitDoc, old: &UnitRecord, project: &ProjectId| {
        edit(doc, old, project).map(|value| (value, Vec::new()))
    };
    edit_unit_recording(state, doc_id, device, skew_ms, claims, edit).await
}

/// [`edit_unit_claiming`] whose `edit` also returns owners' full contacts to keep on the
/// server (the document gets their masked form), stored in the same transaction.
pub async fn edit_unit_recording<T, E>(
    state: &AppState,
    doc_id: &DocId,
    device: Option<&DeviceId>,
    skew_ms: i64,
    claims: Vec<NumberClaim>,
    edit: impl FnOnce(&mut UnitDoc, &UnitRecord, &ProjectId) -> Result<(T, Vec<OwnerContactRecord>), E>,
) -> Result<T, E>
where
    E: From<WriteError>,
{
    let mut guard = state.docs.lock(doc_id).await;
    let Some(loaded) = state
        .docs
        .get(&mut guard, doc_id)
        .await
        .map_err(WriteError::Store)?
    else {
        return Err(WriteError::NotFound(doc_id.clone()).into());
    };
    let project = loaded.project.clone();
    let before_heads = loaded.doc.get_heads();
    let before = UnitDoc::from_trusted(loaded.doc.clone());
    let old = before
        .read()
        .map_err(|e| WriteError::broken(doc_id, "stored", format!("does not read: {e}")))?;
    let mut after = UnitDoc::from_trusted(loaded.doc.fork());
    let (value, contacts) = edit(&mut after, &old, &project)?;
    if after.automerge_mut().get_heads() == before_heads {
        return Ok(value);
    }
    after
        .validate()
        .map_err(|e| WriteError::broken(doc_id, "an edit broke", e))?;
    let (mut doc, projection) = seal(state, &project, &old, after, None, state.now(), skew_ms)?;
    state
        .store
        .write_docs(vec![DocWrite {
            doc: doc_id.clone(),
            project: project.clone(),
            device: device.cloned(),
            changes: new_changes(&mut doc, &before_heads),
            heads: doc.get_heads(),
            base: Some(before_heads),
            projection: Some(projection),
            claims,
            contacts,
        }])
        .await
        .map_err(WriteError::Store)?;
    DocCache::put(&mut guard, LoadedDoc { project, doc });
    Ok(value)
}

/// Projects a stored unit document again at `now`, with no change to the document: its case
/// rows' time-dependent verdicts are derived anew (see `crate::verdicts`).
pub async fn reproject(state: &AppState, doc_id: &DocId, now: Timestamp) -> Result<(), WriteError> {
    let mut guard = state.docs.lock(doc_id).await;
    let Some(loaded) = state.docs.get(&mut guard, doc_id).await? else {
        return Err(WriteError::NotFound(doc_id.clone()));
    };
    let unit = UnitDoc::from_trusted(loaded.doc.clone());
    let projection = project_unit(&unit, now, &state.settings_of(&loaded.project))
        .map_err(|e| WriteError::broken(doc_id, "stored", format!("does not read: {e}")))?;
    match state
        .store
        .write_docs(vec![DocWrite {
            doc: doc_id.clone(),
            project: loaded.project.clone(),
            device: None,
            changes: Vec::new(),
            heads: loaded.doc.get_heads(),
            base: Some(loaded.doc.get_heads()),
            projection: Some(projection),
            claims: Vec::new(),
            contacts: Vec::new(),
        }])
        .await
    {
        Ok(()) => Ok(()),
        // Another replica wrote the unit since it was loaded, and projected it then: its rows are
        // as new as these would be. The next read finds them due again if they are not.
        Err(StoreError::Stale { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
