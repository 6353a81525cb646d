-- Reminders and escalations, one row per recipient, recorded once: the key names the rule, the
-- case, the notice (or fine step) and the instant, so computing the same reminder again — after
-- a restart, on another replica, at every projection of the unit — inserts nothing. Never
-- deleted with the projections (`reindex` keeps them): they are what was told to whom.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY,
    reminder_key TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    unit_id      TEXT NOT NULL,
    finding_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    notice_no    TEXT,
    due_at       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    read_at      INTEGER,
    UNIQUE (reminder_key, user_id)
);
CREATE INDEX notifications_inbox ON notifications (user_id, read_at, due_at);
CREATE INDEX notifications_case ON notifications (finding_id, due_at);
