//! `/api/v1/sync/manifest` and `/api/v1/sync/exchange`: the two steps of a sync (see
//! `plumbline_shared::api`), driving the protocol's server half
//! ([`plumbline_shared::protocol`]): this file checks who may read what, validates and seals
//! what the protocol accepted, stores it, and only then answers.

use std::collections::{BTreeSet, HashMap};

use axum::extract::State;
use plumbline_shared::api::{
    API_VERSION, DocAck, DocMessage, DocRefusal, HeadsDigest, MAX_MANIFEST_DOCS, MAX_MESSAGE_BYTES,
    ManifestRequest, ManifestResponse, SyncRequest, SyncResponse,
};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::chunk::check_chunks;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::protocol::manifest::{self, Reading};
use plumbline_shared::protocol::server::{self, Held, Received, Unstored};
use plumbline_shared::role::Role;
use serde_bytes::ByteBuf;

use crate::auth::DeviceAuth;
use crate::codec::{Reply, Wire};
use crate::doc_cache::{DocCache, LoadedDoc, new_changes};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Position;
use crate::store::{DocSummary, DocWrite, Identity};
use crate::unit_write;
use plumbline_shared::validate;

fn check_version(version: u32) -> Result<(), ApiError> {
    if version != API_VERSION {
        return Err(ApiError::BadRequest(format!(
            "this server speaks sync API version {API_VERSION}, the app sent version {version}; update the app"
        )));
    }
    Ok(())
}

/// Whether `identity` may read `doc` of `project`: members read their projects' documents,
/// except that contractors read only project documents (a unit document holds other
/// companies' findings).
fn may_read(identity: &Identity, doc: &DocId, project: &plumbline_shared::ids::ProjectId) -> bool {
    match identity.membership(project) {
        None => false,
        Some(m) if m.role == Role::Contractor => matches!(doc, DocId::Project(_)),
        Some(_) => true,
    }
}

async fn readable_docs(state: &AppState, identity: &Identity) -> Result<Vec<DocSummary>, ApiError> {
    let projects: Vec<_> = identity
        .memberships
        .iter()
        .map(|m| m.project.clone())
        .collect();
    let all = state.store.doc_summaries(&projects).await?;
    Ok(all
        .into_iter()
        .filter(|s| {
            let project = match &s.doc {
                DocId::Project(p) => Some(p),
                DocId::Unit(_) => None,
            };
            match project {
                Some(p) => identity.membership(p).is_some(),
                None => identity
                    .memberships
                    .iter()
                    .any(|m| m.role != Role::Contractor),
            }
        })
        .collect())
}

/// Step 1: which documents differ.
#[tracing::instrument(skip_all, err(level = "warn"), fields(device.id = %identity.device))]
pub async fn manifest(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    Wire(req, format): Wire<ManifestRequest>,
) -> Result<Reply<ManifestResponse>, ApiError> {
    check_version(req.api_version)?;
    let listed = req.entries.as_ref().map_or(0, Vec::len);
    if listed > MAX_MANIFEST_DOCS {
        return Err(ApiError::TooLarge(format!(
            "a manifest may list at most {MAX_MANIFEST_DOCS} documents; this one lists {listed}"
        )));
    }
    let server_time = state.now();
    let readable = readable_docs(&state, &identity).await?;
    let summary = HeadsDigest::of_manifest(readable.iter().map(|s| (&s.doc, &s.heads)));
    metrics::counter!("plumbline_sync_manifests_total").increment(1);
    let positions = &state.positions;
    let device: Position = match manifest::read(req, &summary) {
        Reading::InSync => {
            // The device holds exactly what the server holds: a whole sync, and its position.
            state.presence.synced(&identity.device, server_time);
            if positions
                .matching(&identity.device, &summary)
                .await?
                .is_none()
            {
                let held = readable.iter().map(|s| (s.doc.clone(), s.heads)).collect();
                positions.replace(&identity.device, held).await?;
            }
            return Ok(Reply(ManifestResponse::InSync { server_time }, format));
        }
        Reading::Listed(listed) => {
            positions.replace(&identity.device, listed.clone()).await?;
            listed
        }
        Reading::LookUp(summary) => match positions.matching(&identity.device, &summary).await? {
            Some(known) => {
                metrics::counter!("plumbline_sync_manifests_from_position_total").increment(1);
                known
            }
            None => return Ok(Reply(ManifestResponse::SendEntries { server_time }, format)),
        },
    };
    let differences = manifest::differences(readable.iter().map(|s| (&s.doc, &s.heads)), &device);
    state
        .docs
        .sessions()
        .begin(&identity.device, differences.docs());
    Ok(Reply(
        ManifestResponse::Differs {
            server_time,
            changed: differences.changed,
            new_on_server: differences.new_on_server,
        },
        format,
    ))
}

/// A document's part of an exchange, between applying and replying.
struct Pending {
    doc: DocId,
    outcome: Outcome,
}

/// What came of a document's message before the write.
enum Outcome {
    /// Nothing to store.
    Nothing(Held),
    /// New changes in the write; answered once it is durable.
    Accepted(Box<LoadedDoc>, Unstored),
}

/// Step 2: automerge sync messages for many documents, validated, stored durably, answered.
#[tracing::instrument(skip_all, err(level = "warn"), fields(device.id = %identity.device, docs = req.messages.len()))]
pub async fn exchange(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    Wire(req, format): Wire<SyncRequest>,
) -> Result<Reply<SyncResponse>, ApiError> {
    check_version(req.api_version)?;
    let limit = state.config.limits.max_docs_per_request;
    if req.messages.len() > limit {
        return Err(ApiError::TooLarge(format!(
            "send at most {limit} documents per request; this one has {}",
            req.messages.len()
        )));
    }
    let mut seen = BTreeSet::new();
    let mut decoded = Vec::with_capacity(req.messages.len());
    for DocMessage { doc, message } in req.messages {
        if !seen.insert(doc.clone()) {
            return Err(ApiError::BadRequest(format!(
                "document {doc} appears twice in one request"
            )));
        }
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(ApiError::TooLarge(format!(
                "the sync message for {doc} is {} bytes; at most {MAX_MESSAGE_BYTES} are accepted",
                message.len()
            )));
        }
        let msg = server::decode_message(&doc, &message).map_err(ApiError::BadRequest)?;
        decoded.push((doc, msg));
    }
    decoded.sort_by(|a, b| a.0.cmp(&b.0));
    let order: HashMap<DocId, usize> = decoded
        .iter()
        .enumerate()
        .map(|(i, (d, _))| (d.clone(), i))
        .collect();

    let server_now = state.now();
    let skew_ms = req.device_time.0.saturating_sub(server_now.0);
    let mut guards = Vec::with_capacity(decoded.len());
    for (doc, _) in &decoded {
        guards.push(state.docs.lock(doc).await);
    }

    let mut refused = Vec::new();
    let mut writes = Vec::new();
    let mut pending = Vec::new();
    // Projects whose documents this exchange changes: their settings apply once stored.
    let mut learned = Vec::new();
    for ((doc_id, msg), guard) in decoded.into_iter().zip(guards.iter_mut()) {
        let Some(loaded) = state.docs.get(guard, &doc_id).await? else {
            refused.push(DocRefusal {
                doc: doc_id,
                reason: "this document does not exist on the server".into(),
            });
            continue;
        };
        if !may_read(&identity, &doc_id, &loaded.project) {
            refused.push(DocRefusal {
                doc: doc_id,
                reason: "your account may not read this document".into(),
            });
            continue;
        }
        // A damaged chunk would be dropped by automerge with a log line and asked for again
        // forever: refuse the message instead, naming what is wrong.
        if let Err(damaged) = check_chunks(msg.changes.iter()) {
            metrics::counter!("plumbline_sync_refused_total").increment(1);
            tracing::warn!(doc = %doc_id, %damaged, "refused a damaged sync message");
            refused.push(DocRefusal {
                doc: doc_id,
                reason: format!(
                    "the sync message's changes arrived damaged ({damaged}); nothing of it was stored"
                ),
            });
            continue;
        }
        // The session leaves the shared lock for the automerge work.
        let session = state.docs.sessions().take(&identity.device, &doc_id);
        let received = session.receive(&mut loaded.doc, msg);
        let candidate = match received {
            Err(e) => {
                refused.push(DocRefusal {
                    doc: doc_id,
                    reason: format!("the sync message does not apply: {e}"),
                });
                continue;
            }
            Ok(Received::Nothing(held)) => {
                pending.push(Pending {
                    doc: doc_id,
                    outcome: Outcome::Nothing(held),
                });
                continue;
            }
            Ok(Received::Changes(candidate)) => *candidate,
        };
        let project = loaded.project.clone();
        let outcome = match &doc_id {
            DocId::Project(_) => validate::project_changes(&identity, &project, &candidate.after)
                .map(|changed| {
                    learned.push(changed);
                    None
                }),
            DocId::Unit(_) => {
                let before = UnitDoc::from_trusted(loaded.doc.clone());
                let after = UnitDoc::from_trusted(candidate.after.clone());
                validate::unit_changes(
                    &identity,
                    &project,
                    &before,
                    &after,
                    &candidate.incoming,
                    server_now,
                )
                .map(|records| Some((after, records)))
            }
        };
        let units = match outcome {
            Err(refusal) => {
                metrics::counter!("plumbline_sync_refused_total").increment(1);
                tracing::warn!(doc = %doc_id, reason = %refusal, "refused a device's changes");
                refused.push(DocRefusal {
                    doc: doc_id,
                    reason: refusal.0,
                });
                continue;
            }
            Ok(units) => units,
        };
        let (doc, projection) = match units {
            None => (candidate.after, None),
            Some((after, (old, new))) => {
                let (doc, projection) = unit_write::seal(
                    &state,
                    &project,
                    &old,
                    after,
                    Some(new),
                    server_now,
                    skew_ms,
                )?;
                (doc, Some(projection))
            }
        };
        let mut doc = doc;
        writes.push(DocWrite {
            doc: doc_id.clone(),
            project: project.clone(),
            device: Some(identity.device.clone()),
            changes: new_changes(&mut doc, &candidate.before),
            heads: doc.get_heads(),
            base: Some(candidate.before.clone()),
            projection,
            claims: Vec::new(),
            contacts: Vec::new(),
        });
        pending.push(Pending {
            doc: doc_id,
            outcome: Outcome::Accepted(Box::new(LoadedDoc { project, doc }), candidate.unstored),
        });
    }

    // Durable before anything is acknowledged.
    let stored = writes.len();
    state.store.write_docs(writes).await?;
    metrics::counter!("plumbline_sync_docs_stored_total").increment(stored as u64);
    for project in &learned {
        crate::settings_apply::written(&state, project)
            .await
            .map_err(ApiError::Internal)?;
    }

    let mut moved = Vec::new();
    let mut messages = Vec::new();
    let mut acks = Vec::new();
    for p in pending {
        let Some(&i) = order.get(&p.doc) else {
            continue;
        };
        let guard = &mut guards[i];
        let held = match p.outcome {
            Outcome::Nothing(held) => held,
            Outcome::Accepted(loaded, unstored) => {
                DocCache::put(guard, *loaded);
                unstored.stored()
            }
        };
        let Some(loaded) = state.docs.get(guard, &p.doc).await? else {
            continue;
        };
        let (answer, kept) = held.answer(&mut loaded.doc);
        state.docs.sessions().keep(&identity.device, &p.doc, kept);
        if let Some(message) = answer.message {
            messages.push(DocMessage {
                doc: p.doc.clone(),
                message,
            });
        }
        // A wrong guess only costs the device one manifest with entries (see
        // `crate::positions`).
        moved.push((
            p.doc.clone(),
            answer
                .device_holds_heads
                .then(|| HeadsDigest::of_heads(&answer.heads)),
        ));
        acks.push(DocAck {
            doc: p.doc.clone(),
            heads: answer
                .heads
                .into_iter()
                .map(|h| ByteBuf::from(h.0.to_vec()))
                .collect(),
        });
    }
    drop(guards);
    let summary_due = server::summary_due(
        moved.iter().map(|(_, d)| d.is_some()),
        refused.len(),
        stored,
    );
    state.positions.update(&identity.device, moved).await?;
    // Only the reply's summary: whether the device is in sync is its own word, given in a
    // manifest (presence counts a whole sync only from there).
    let summary = if summary_due {
        let readable = readable_docs(&state, &identity).await?;
        Some(HeadsDigest::of_manifest(
            readable.iter().map(|s| (&s.doc, &s.heads)),
        ))
    } else {
        None
    };
    Ok(Reply(
        SyncResponse {
            server_time: state.now(),
            messages,
            acks,
            refused,
            summary,
        },
        format,
    ))
}
