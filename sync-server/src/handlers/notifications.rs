//! `GET /api/v1/notifications`: the reminders and escalations of the device's user, for the
//! phone to keep and show on its home screen (the foreman's "answer by 13:15", the inspector's
//! unanswered evidence request). Newest first; `?unread=1` for the unread ones only.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::auth::DeviceAuth;
use crate::codec::QueryParams;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Page;
use plumbline_shared::api::NotificationItem;

/// At most this many in one answer: a phone shows the latest, not the whole history.
const MAX_NOTIFICATIONS: u32 = 200;

/// Query parameters.
#[derive(Debug, Default, Deserialize)]
pub struct NotificationsQuery {
    /// `1`: only the unread ones.
    #[serde(default)]
    pub unread: Option<u8>,
}

/// Lists the device user's notifications, latest first.
pub async fn list(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    QueryParams(q): QueryParams<NotificationsQuery>,
) -> Result<Json<Vec<NotificationItem>>, ApiError> {
    let unread_only = match q.unread {
        None | Some(0) => false,
        Some(1) => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unread must be 0 or 1, not {other}"
            )));
        }
    };
    let rows = state
        .store
        .notifications(
            &identity.user,
            None,
            unread_only,
            Page {
                offset: 0,
                limit: MAX_NOTIFICATIONS,
            },
        )
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|n| NotificationItem {
                id: n.id,
                project: n.project,
                unit: n.unit,
                finding: n.finding,
                kind: n.kind,
                notice_no: n.notice_no,
                due_at: n.due_at,
                created_at: n.created_at,
                read_at: n.read_at,
            })
            .collect(),
    ))
}
