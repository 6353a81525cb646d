//! The projects' work-group robots and their message queue.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;

use super::notifications::reminder_kind;
use super::{PostgresStore, RowExt, execute, query, query_opt, read_only};
use crate::store::{StoreError, StoreResult, Webhook, WebhookKind, WebhookMessage, WebhookStore};

/// One robot message with the case's description and the names of those told.
async fn webhook_message<C: GenericClient>(c: &C, id: i64) -> StoreResult<WebhookMessage> {
    let Some(r) = query_opt(
        c,
        "SELECT o.project_id, o.unit_id, o.finding_id, o.kind, o.notice_no, o.due_at,
            COALESCE(cs.description, ''), o.attempts, o.delivered_at, o.next_attempt_at,
            o.last_error, o.reminder_key
         FROM webhook_outbox o LEFT JOIN cases cs ON cs.finding_id = o.finding_id
         WHERE o.id = $1",
        &[&id],
    )
    .await?
    else {
        // What the SQLite backend's `query_row` answers for a missing row.
        return Err(StoreError::NotFound("row".into()));
    };
    let key: String = r.value(11)?;
    let told = query(
        c,
        "SELECT u.display_name, m.role FROM notifications n
         JOIN users u ON u.user_id = n.user_id
         LEFT JOIN memberships m ON m.user_id = n.user_id AND m.project_id = n.project_id
         WHERE n.reminder_key = $1 ORDER BY n.user_id",
        &[&key],
    )
    .await?;
    let recipients = told
        .iter()
        .map(|t| {
            let name: String = t.value(0)?;
            let role: Option<String> = t.value(1)?;
            Ok(match role.as_deref().and_then(Role::parse) {
                Some(role) => format!("{name}（{}）", role.label_zh()),
                None => name,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(WebhookMessage {
        id,
        project: r.parsed(0, "project id")?,
        unit: r.parsed(1, "unit id")?,
        finding: r.parsed(2, "finding id")?,
        kind: reminder_kind(r.value(3)?)?,
        notice_no: r.value(4)?,
        due_at: r.time(5)?,
        description: r.value(6)?,
        recipients,
        attempts: r.count(7)?,
        delivered_at: r.time_opt(8)?,
        next_attempt_at: r.time_opt(9)?,
        last_error: r.value(10)?,
    })
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn set_webhook(&self, project: &ProjectId, hook: Option<Webhook>) -> StoreResult<()> {
        let now = self.clock.now().0;
        let client = self.conn().await?;
        match hook {
            Some(h) => {
                execute(
                    &client,
                    "INSERT INTO project_webhooks (project_id, kind, url, updated_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (project_id) DO UPDATE SET kind = excluded.kind,
                        url = excluded.url, updated_at = excluded.updated_at",
                    &[&project.as_str(), &h.kind.as_str(), &h.url, &now],
                )
                .await?
            }
            None => {
                execute(
                    &client,
                    "DELETE FROM project_webhooks WHERE project_id = $1",
                    &[&project.as_str()],
                )
                .await?
            }
        };
        Ok(())
    }

    async fn webhook(&self, project: &ProjectId) -> StoreResult<Option<Webhook>> {
        let client = self.conn().await?;
        let row = query_opt(
            &client,
            "SELECT kind, url FROM project_webhooks WHERE project_id = $1",
            &[&project.as_str()],
        )
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let kind: String = r.value(0)?;
        let url: String = r.value(1)?;
        Ok(WebhookKind::parse(&kind).map(|kind| Webhook { kind, url }))
    }

    /// `FOR UPDATE SKIP LOCKED` (in a materialised query, so it is run once): a message another
    /// replica is claiming right now is passed over rather than waited for, and once that claim
    /// commits its lease keeps it out of every later claim. So two senders never claim one message. Returned in id order, as
    /// the SQLite backend's `UPDATE … RETURNING` gives them.
    async fn claim_webhook_messages(
        &self,
        now: Timestamp,
        limit: usize,
        lease_ms: i64,
    ) -> StoreResult<Vec<WebhookMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let mut ids = query(
            &tx,
            "WITH due AS MATERIALIZED (
                 SELECT o.id FROM webhook_outbox o
                 JOIN project_webhooks w ON w.project_id = o.project_id
                 WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= $1
                   AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
                 ORDER BY o.next_attempt_at, o.id LIMIT $3
                 FOR UPDATE OF o SKIP LOCKED)
             UPDATE webhook_outbox SET claimed_until = $2 FROM due
             WHERE webhook_outbox.id = due.id
             RETURNING webhook_outbox.id",
            &[&now.0, &(now.0 + lease_ms), &limit],
        )
        .await?
        .iter()
        .map(|r| r.value::<i64>(0))
        .collect::<StoreResult<Vec<_>>>()?;
        ids.sort_unstable();
        let mut messages = Vec::with_capacity(ids.len());
        for id in ids {
            messages.push(webhook_message(&tx, id).await?);
        }
        tx.commit().await?;
        Ok(messages)
    }

    async fn webhook_attempted(
        &self,
        id: i64,
        at: Timestamp,
        outcome: Result<(), (String, Option<Timestamp>)>,
    ) -> StoreResult<()> {
        let client = self.conn().await?;
        match outcome {
            Ok(()) => {
                execute(
                    &client,
                    "UPDATE webhook_outbox SET attempts = attempts + 1, delivered_at = $2,
                        next_attempt_at = NULL, claimed_until = NULL WHERE id = $1",
                    &[&id, &at.0],
                )
                .await?
            }
            Err((error, retry_at)) => {
                execute(
                    &client,
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $2,
                        next_attempt_at = $3, claimed_until = NULL WHERE id = $1",
                    &[&id, &error, &retry_at.map(|t| t.0)],
                )
                .await?
            }
        };
        Ok(())
    }

    async fn webhook_messages(
        &self,
        project: &ProjectId,
        limit: usize,
    ) -> StoreResult<Vec<WebhookMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let ids = query(
            &tx,
            "SELECT id FROM webhook_outbox WHERE project_id = $1
             ORDER BY created_at DESC, id DESC LIMIT $2",
            &[&project.as_str(), &limit],
        )
        .await?
        .iter()
        .map(|r| r.value::<i64>(0))
        .collect::<StoreResult<Vec<_>>>()?;
        let mut messages = Vec::with_capacity(ids.len());
        for id in ids {
            messages.push(webhook_message(&tx, id).await?);
        }
        tx.commit().await?;
        Ok(messages)
    }
}
