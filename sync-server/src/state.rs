//! What every handler shares.

use std::sync::Arc;

use object_store::ObjectStore;
use plumbline_shared::ids::{DeviceId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::WorkflowSettings;

use crate::config::Config;
use crate::docs::DocCache;
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
    /// Workflow clock rules.
    pub settings: WorkflowSettings,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("server", &self.server)
            .field("config", &self.config)
            .finish()
    }
}

/// The server's clock.
pub fn now() -> Timestamp {
    Timestamp(chrono::Utc::now().timestamp_millis())
}

/// The server's own actor, from its persistent instance id.
pub fn server_actor(instance: DeviceId) -> Actor {
    Actor {
        user: UserId::new("plumbline-server").expect("a valid fixed id"),
        role: Role::Admin,
        device: instance,
    }
}
