-- A project's work-group robot (企业微信 or 钉钉): where its reminders and escalations are posted.
CREATE TABLE project_webhooks (
    project_id  TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,          -- 'wecom' | 'dingtalk'
    url         TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- One message per reminder (its key), queued with the reminder's recording when the project has
-- a robot, sent by the background sender: claimed for a while before sending (so two replicas
-- never send the same row at once), marked delivered after the robot said ok, retried with a
-- growing wait after a failure, given up after the last attempt. Every failure stays visible
-- to the administrator.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    reminder_key    TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL,
    unit_id         TEXT NOT NULL,
    finding_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    notice_no       TEXT,
    due_at          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,             -- NULL: delivered or given up
    claimed_until   INTEGER,
    delivered_at    INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_outbox_project ON webhook_outbox (project_id, created_at);
