//! Work-group robots: each reminder and escalation of a project posted to its 企业微信 or 钉钉
//! group, where the department's staff already live.
//!
//! A project's administrator sets the robot's address (`/admin/webhooks`). When the store
//! records a reminder for a project that has one, it queues one message for it in the same
//! transaction (`webhook_outbox`, keyed by the reminder, so once). [`spawn`] sends what is due
//! every `notify.webhook_every_secs`, never on a request's path: it claims a batch for a lease
//! (so a second replica skips it), posts each message as the platform's text message, and marks
//! it delivered when the robot answers `errcode: 0`, or failed with what went wrong and a
//! retry after a growing wait ([`retry_after`]); after [`MAX_ATTEMPTS`] it gives up. Failures
//! stay listed on the administrator's page.
//!
//! A server that dies after the robot accepted a message and before it marked it delivered
//! posts it again once the lease ends: a group may then see one message twice, never none.

use std::collections::BTreeMap;
use std::time::Duration;

use plumbline_shared::ids::ProjectId;
use plumbline_shared::time::Timestamp;
use serde_json::json;

use crate::config::NotifyConfig;
use crate::state::AppState;
use crate::store::{StoreError, Webhook, WebhookKind, WebhookMessage};

/// Messages claimed per pass.
const BATCH: usize = 32;
/// How long a claimed message is left to its sender before another may take it.
const LEASE_MS: i64 = 120_000;
/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait after the `attempts`-th failed attempt: 30 s, doubling, at most an hour.
pub fn retry_after(attempts: u32) -> Duration {
    let doubled = 30u64.saturating_mul(1u64 << attempts.saturating_sub(1).min(12));
    Duration::from_secs(doubled.min(3_600))
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Messages the robots accepted.
    pub delivered: usize,
    /// Messages that failed this time.
    pub failed: usize,
}

/// The text of a message: what, where, which notice, when, the case, and who was told.
pub fn text(m: &WebhookMessage) -> String {
    let when = crate::web::when::beijing(m.due_at);
    let mut out = format!("【{}】{} {}", m.kind.label_zh(), m.unit, when);
    if let Some(no) = &m.notice_no {
        out.push_str(&format!(" · 通知单 {no}"));
    }
    if !m.description.is_empty() {
        out.push_str(&format!("\n{}", m.description));
    }
    if !m.recipients.is_empty() {
        let word = if m.kind.is_escalation() {
            "升级至"
        } else {
            "提醒"
        };
        out.push_str(&format!("\n{word} {}", m.recipients.join("、")));
    }
    out
}

/// The JSON body each platform documents for a text message. 企业微信's group robot and 钉钉's
/// custom robot take the same shape for text.
pub fn body(kind: WebhookKind, text: &str) -> serde_json::Value {
    match kind {
        WebhookKind::Wecom | WebhookKind::Dingtalk => {
            json!({ "msgtype": "text", "text": { "content": text } })
        }
    }
}

/// Posts one message; `Err` says why it did not go through, in a sentence for the
/// administrator.
async fn post(client: &reqwest::Client, hook: &Webhook, text: &str) -> Result<(), String> {
    let res = client
        .post(&hook.url)
        .json(&body(hook.kind, text))
        .send()
        .await
        .map_err(|e| format!("the robot could not be reached: {e}"))?;
    let status = res.status();
    let answer: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        return Err(format!("the robot answered HTTP {status}"));
    }
    match answer.get("errcode").and_then(serde_json::Value::as_i64) {
        Some(0) => Ok(()),
        Some(code) => Err(format!(
            "the robot refused the message: errcode {code}, {}",
            answer
                .get("errmsg")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("no errmsg")
        )),
        None => Err("the robot's answer has no errcode".to_owned()),
    }
}

/// The HTTP client the sender posts with: built once (loading TLS roots is not free) and
/// kept for every pass, each request bounded by `webhook_timeout_secs`.
pub fn client(config: &NotifyConfig) -> Result<reqwest::Client, StoreError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(config.webhook_timeout_secs.max(1)))
        .build()
        .map_err(|e| StoreError::Other(anyhow::anyhow!("building the robot client: {e}")))
}

/// Sends every message due at `now` (a batch at a time) with `client` and records each
/// outcome.
pub async fn deliver_due(
    state: &AppState,
    client: &reqwest::Client,
    now: Timestamp,
) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    // Each project's robot, read once per pass.
    let mut hooks: BTreeMap<ProjectId, Option<Webhook>> = BTreeMap::new();
    loop {
        let claimed = state
            .store
            .claim_webhook_messages(now, BATCH, LEASE_MS)
            .await?;
        for m in &claimed {
            let hook = match hooks.get(&m.project) {
                Some(hook) => hook.clone(),
                None => {
                    let hook = state.store.webhook(&m.project).await?;
                    hooks.insert(m.project.clone(), hook.clone());
                    hook
                }
            };
            let outcome = match hook {
                Some(hook) => post(client, &hook, &text(m)).await,
                None => Err("the project no longer has a robot".to_owned()),
            };
            let at = state.now();
            match outcome {
                Ok(()) => {
                    pass.delivered += 1;
                    state.store.webhook_attempted(m.id, at, Ok(())).await?;
                }
                Err(why) => {
                    pass.failed += 1;
                    let attempts = m.attempts + 1;
                    let retry = (attempts < MAX_ATTEMPTS).then(|| {
                        let wait =
                            i64::try_from(retry_after(attempts).as_millis()).unwrap_or(i64::MAX);
                        at.plus_ms(wait)
                    });
                    tracing::warn!(message = m.id, attempts, error = %why, "a robot message failed");
                    state
                        .store
                        .webhook_attempted(m.id, at, Err((why, retry)))
                        .await?;
                }
            }
        }
        if claimed.len() < BATCH {
            return Ok(pass);
        }
    }
}

/// Runs [`deliver_due`] every `notify.webhook_every_secs` (none when 0) until the server stops.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let every = state.config.notify.webhook_every_secs;
    if every == 0 {
        return None;
    }
    let client = match client(&state.config.notify) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = ?e, "no robot sender: its HTTP client could not be built");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&state, &client, state.now()).await {
                tracing::warn!(error = ?e, "a robot pass failed; the next one retries");
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let waits: Vec<u64> = (1..=9).map(|n| retry_after(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn both_platforms_take_a_text_message() {
        for kind in [WebhookKind::Wecom, WebhookKind::Dingtalk] {
            let b = body(kind, "响应超时");
            assert_eq!(b["msgtype"], "text");
            assert_eq!(b["text"]["content"], "响应超时");
        }
    }
}
