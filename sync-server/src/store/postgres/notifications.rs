//! Reminders and escalations as each person received them.

use async_trait::async_trait;
use plumbline_shared::ids::{FindingId, UserId};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::reminder::ReminderKind;
use tokio_postgres::Row;

use super::{PostgresStore, RowExt, execute, query};
use crate::store::sql::NOTIFICATION_COLUMNS;
use crate::store::{Notification, NotificationStore, Page, StoreError, StoreResult};

/// A stored reminder kind, or the error that names it.
pub(super) fn reminder_kind(kind: &str) -> StoreResult<ReminderKind> {
    ReminderKind::parse(kind)
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("unknown notification kind `{kind}`")))
}

/// A notification row selected with [`NOTIFICATION_COLUMNS`].
fn notification(r: &Row) -> StoreResult<Notification> {
    Ok(Notification {
        id: r.value(0)?,
        user: r.parsed(1, "user id")?,
        project: r.parsed(2, "project id")?,
        unit: r.parsed(3, "unit id")?,
        finding: r.parsed(4, "finding id")?,
        kind: reminder_kind(r.value(5)?)?,
        notice_no: r.value(6)?,
        due_at: r.time(7)?,
        created_at: r.time(8)?,
        read_at: r.time_opt(9)?,
    })
}

#[async_trait]
impl NotificationStore for PostgresStore {
    async fn notifications(
        &self,
        user: &UserId,
        kind: Option<ReminderKind>,
        unread_only: bool,
        page: Page,
    ) -> StoreResult<Vec<Notification>> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            &format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM notifications
                 WHERE user_id = $1 AND ($2::TEXT IS NULL OR kind = $2)
                   AND (NOT $3::BOOLEAN OR read_at IS NULL)
                 ORDER BY due_at DESC, id DESC LIMIT $4 OFFSET $5"
            ),
            &[
                &user.as_str(),
                &kind.map(ReminderKind::as_str),
                &unread_only,
                &i64::from(page.limit),
                &i64::from(page.offset),
            ],
        )
        .await?;
        rows.iter().map(notification).collect()
    }

    async fn unread_notifications(&self, user: &UserId) -> StoreResult<u64> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
            &[&user.as_str()],
        )
        .await?;
        let n: i64 = match rows.first() {
            Some(r) => r.value(0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One statement either way: a list of ids is one array, and an id given twice changes
    /// its row once (as the SQLite backend's one update per id counts it).
    async fn mark_notifications_read(
        &self,
        user: &UserId,
        ids: Option<Vec<i64>>,
        at: Timestamp,
    ) -> StoreResult<u64> {
        let client = self.conn().await?;
        match ids {
            None => {
                execute(
                    &client,
                    "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
                    &[&user.as_str(), &at.0],
                )
                .await
            }
            Some(ids) => {
                execute(
                    &client,
                    "UPDATE notifications SET read_at = $3
                     WHERE user_id = $1 AND id = ANY($2) AND read_at IS NULL",
                    &[&user.as_str(), &ids, &at.0],
                )
                .await
            }
        }
    }

    async fn case_notifications(&self, finding: &FindingId) -> StoreResult<Vec<Notification>> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            &format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE finding_id = $1
                 ORDER BY due_at, kind, user_id"
            ),
            &[&finding.as_str()],
        )
        .await?;
        rows.iter().map(notification).collect()
    }
}
