//! The person's reminders and escalations on the phone: fetched at the end of every sync
//! (`GET /api/v1/notifications`) and kept in the local store, so the home screen shows them
//! with no signal — "ZG-2026-0001 answer by 13:15" for a foreman, an unanswered evidence request
//! for an inspector.

use plumbline_shared::api::NotificationItem;

use crate::client::ServerClient;
use crate::engine::{Engine, EngineError};
use crate::local_store::StoreError;

/// Where the last list is kept (a setting of the local store).
const KEY: &str = "notifications";

impl Engine {
    /// The reminders and escalations received at the last sync that reached the server,
    /// newest first; empty before the first.
    pub fn notifications(&self) -> Result<Vec<NotificationItem>, EngineError> {
        let Some(json) = self.inner().store.setting(KEY)? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&json).map_err(|e| {
            StoreError::Damaged {
                what: "kept notifications",
                detail: e.to_string(),
            }
            .into()
        })
    }

    /// Fetches the list and keeps it. Never fails the sync it ends: a list that did not arrive
    /// is fetched at the next one, and the kept one stays meanwhile.
    pub(crate) async fn fetch_notifications(&self, client: &ServerClient) {
        let items = match client.notifications().await {
            Ok(items) => items,
            Err(e) => {
                tracing::info!(error = %e, "notifications not fetched; the kept list stays");
                return;
            }
        };
        let json = match serde_json::to_string(&items) {
            Ok(json) => json,
            Err(e) => {
                tracing::warn!(error = %e, "notifications not kept");
                return;
            }
        };
        if let Err(e) = self.inner().store.set_settings(&[(KEY, &json)]) {
            tracing::warn!(error = %e, "notifications not kept");
        }
    }
}
