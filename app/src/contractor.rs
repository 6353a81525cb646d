//! The contractor foreman's side of the engine: the findings assigned to the company, and the
//! foreman's answers to them (on site now, a plan, repair done with photos, a dispute).
//!
//! A contractor's phone holds no unit documents (a unit holds every trade's findings; see the
//! server's `contractor` endpoint), so its work goes to the server as requests. Each answer is
//! queued in the local store with its photos in one transaction, stamped with the time the
//! foreman tapped it, and sent by the next sync with the same event id until the server stored
//! it — so "on site now" in a basement with no signal still counts from when it was tapped, and
//! a retry never records it twice. The list of assigned cases is kept from the last time the
//! server was reached, so the foreman sees it offline, marked with its age.

use plumbline_shared::api::{API_VERSION, ContractorAction};
use plumbline_shared::doc::DocId;
use plumbline_shared::event::{EventKind, ResponseMode};
use plumbline_shared::ids::{BlobHash, EventId, ProjectId};
use plumbline_shared::projection::CaseRecord;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::client::{ClientError, ServerClient};
use crate::engine::{Engine, EngineError, NewPhoto, photo_records};
use crate::local_store::{ActionWrite, QueuedAction, StoreError};

/// The company's cases as last fetched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tasks {
    /// The cases, newest first.
    pub cases: Vec<CaseRecord>,
    /// When they were fetched (`None`: never).
    pub fetched_at: Option<Timestamp>,
}

/// What the foreman answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForemanStep {
    /// Someone is on site now (stops the four-hour clock).
    OnSite {
        /// Free text.
        note: String,
    },
    /// A repair plan was presented (also stops the clock).
    Plan {
        /// Free text.
        note: String,
    },
    /// The repair is done; photos show it.
    RepairDone {
        /// Free text.
        note: String,
    },
    /// The finding is not the company's, or not a defect.
    Dispute {
        /// Why; required.
        reason: String,
    },
}

/// The cache of one project's task list, kept with the engine's settings (so signing out
/// deletes it with the rest).
#[derive(Debug, Serialize, Deserialize)]
struct CachedTasks {
    fetched_at: Timestamp,
    cases: Vec<CaseRecord>,
}

fn cache_key(project: &ProjectId) -> String {
    format!("cache.tasks.{project}")
}

impl Engine {
    /// The company's cases as last fetched, without touching the network.
    pub fn cached_tasks(&self, project: &ProjectId) -> Result<Tasks, EngineError> {
        let Some(json) = self.inner().store.setting(&cache_key(project))? else {
            return Ok(Tasks::default());
        };
        let cached: CachedTasks = serde_json::from_str(&json).map_err(|e| StoreError::Damaged {
            what: "cached task list",
            detail: e.to_string(),
        })?;
        Ok(Tasks {
            cases: cached.cases,
            fetched_at: Some(cached.fetched_at),
        })
    }

    /// Fetches the company's cases from the server and keeps them for offline use. Fails when
    /// the server cannot be reached; [`Self::cached_tasks`] still has the last list.
    pub async fn refresh_tasks(&self, project: &ProjectId) -> Result<Tasks, EngineError> {
        let client = self.client()?;
        let cases = client.cases(project).await?;
        let cached = CachedTasks {
            fetched_at: self.now(),
            cases,
        };
        let json = serde_json::to_string(&cached).map_err(|e| StoreError::Damaged {
            what: "task list",
            detail: e.to_string(),
        })?;
        self.inner()
            .store
            .set_settings(&[(&cache_key(project), &json)])?;
        Ok(Tasks {
            cases: cached.cases,
            fetched_at: Some(cached.fetched_at),
        })
    }

    /// Queues the foreman's answer to an assigned case, with its photos, to be sent by the
    /// next sync (which this starts). Returns the event id the server will store it under.
    pub fn foreman_act(
        &self,
        case: &CaseRecord,
        step: ForemanStep,
        photos: Vec<NewPhoto>,
    ) -> Result<EventId, EngineError> {
        let identity = self.identity().ok_or(EngineError::NotEnrolled)?;
        let is_contractor = identity
            .memberships
            .iter()
            .any(|m| m.project == case.project && m.role == Role::Contractor);
        if !is_contractor {
            return Err(EngineError::NoRole(case.project.to_string()));
        }
        let at = self.now();
        let hashes: Vec<BlobHash> = photos.iter().map(|p| BlobHash::of(&p.jpeg)).collect();
        let kind = match step {
            ForemanStep::OnSite { note } => EventKind::ContractorResponded {
                mode: ResponseMode::OnSite,
                note,
            },
            ForemanStep::Plan { note } => EventKind::ContractorResponded {
                mode: ResponseMode::Plan,
                note,
            },
            ForemanStep::RepairDone { note } => EventKind::RepairReported {
                note,
                evidence: hashes.clone(),
            },
            ForemanStep::Dispute { reason } => EventKind::Disputed { reason },
        };
        let doc = DocId::Unit(case.unit.clone());
        let mut evidence = Vec::with_capacity(photos.len());
        let mut rows = Vec::with_capacity(photos.len());
        for (photo, hash) in photos.iter().zip(&hashes) {
            self.shared
                .files
                .write(hash, &photo.jpeg, &photo.thumbnail)?;
            let (reference, row) = photo_records(
                photo,
                &identity.device,
                &identity.user,
                &doc,
                &case.case.finding,
                at,
            );
            evidence.push(reference);
            rows.push(row);
        }
        let event = EventId::random();
        let action = ContractorAction {
            api_version: API_VERSION,
            unit: case.unit.clone(),
            finding: case.case.finding.clone(),
            event: event.clone(),
            at,
            device_time: at,
            kind,
            evidence,
        };
        let body = serde_json::to_string(&action).map_err(|e| StoreError::Damaged {
            what: "contractor action",
            detail: e.to_string(),
        })?;
        let written = self.inner().store.commit_action(&ActionWrite {
            changes: Vec::new(),
            evidence: rows,
            request: Some(QueuedAction {
                event: event.clone(),
                body,
                created_at: at,
                refused: None,
            }),
        });
        if let Err(e) = written {
            for hash in &hashes {
                self.shared.files.remove(hash)?;
            }
            return Err(e.into());
        }
        self.sync_soon();
        Ok(event)
    }

    /// The foreman's answers still waiting for the server (refused ones with the reason).
    pub fn queued_actions(&self) -> Result<Vec<QueuedAction>, EngineError> {
        Ok(self.inner().store.queued_actions()?)
    }

    /// Sends every queued action, oldest first. A refusal is kept on the action and the rest
    /// go on; the server unreachable stops the sync (it resumes with the same event ids).
    pub(crate) async fn send_foreman_actions(
        &self,
        client: &ServerClient,
    ) -> Result<usize, EngineError> {
        let queued = self.inner().store.queued_actions()?;
        let mut sent = 0;
        for action in queued.into_iter().filter(|a| a.refused.is_none()) {
            let mut request: ContractorAction =
                serde_json::from_str(&action.body).map_err(|e| StoreError::Damaged {
                    what: "queued contractor action",
                    detail: e.to_string(),
                })?;
            request.device_time = self.now();
            match client.contractor_action(&request).await {
                Ok(_) => {
                    self.inner().store.finish_action(&action.event)?;
                    sent += 1;
                }
                Err(ClientError::Refused { message, .. }) => {
                    tracing::warn!(event = %action.event, reason = %message, "the server refused an action");
                    self.inner().store.refuse_action(&action.event, &message)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(sent)
    }
}
