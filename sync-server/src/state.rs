//! What every handler shares.

use std::sync::Arc;

use object_store::ObjectStore;
use plumbline_shared::clock::Clock;
use plumbline_shared::ids::{DeviceId, ProjectId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::WorkflowSettings;

use crate::config::Config;
use crate::doc_cache::DocCache;
use crate::store::Store;

/// Shared server state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Records.
    pub store: Arc<dyn Store>,
    /// Evidence blobs, content-addressed.
    pub blobs: Arc<dyn ObjectStore>,
    /// Evidence uploads in progress (staging files, one lock per hash).
    pub uploads: Arc<crate::blobs::Uploads>,
    /// Loaded documents and sync states.
    pub docs: Arc<DocCache>,
    /// What each device holds, as last learnt (summary-only manifests).
    pub positions: Arc<crate::positions::Positions>,
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The actor the server writes as (receipts, office actions on behalf of users).
    pub server: Actor,
    /// Last-seen times of devices, written in batches.
    pub presence: Arc<crate::presence::Presence>,
    /// Each project's workflow clock rules (see [`AppState::settings_of`]).
    pub settings: Arc<crate::project_settings::ProjectSettings>,
    /// The one source of "now" for every handler, page and background task.
    pub clock: Clock,
    /// Limits on sign-ins, enrollments and password checks (see `crate::throttle`).
    pub throttle: Arc<crate::throttle::Throttle>,
    /// The report pages' rows and settled reports (see `crate::report_cache`).
    pub reports: Arc<crate::report_cache::ReportCache>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("server", &self.server)
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish()
    }
}

impl AppState {
    /// The current instant by the server's [`Clock`].
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The workflow settings of `project`: the deadlines and reminders of its cases follow them.
    pub fn settings_of(&self, project: &ProjectId) -> WorkflowSettings {
        self.settings.of(project)
    }
}

/// The server's own actor, from its persistent instance id.
pub fn server_actor(instance: DeviceId) -> Actor {
    Actor {
        user: UserId::new("plumbline-server").expect("a valid fixed id"),
        role: Role::Admin,
        device: instance,
    }
}
