-- Plumbline server schema for PostgreSQL, version 1. Append-only: never edit a released
-- migration, add one.
--
-- The schema the fifteen SQLite migrations (migrations/sqlite/) arrive at, written once: the
-- same tables, columns and indexes, in PostgreSQL's types. Every comment on a column's meaning
-- is in the SQLite migration that added it.
--
-- Types, the same way everywhere:
-- - BIGINT for every integer: millisecond timestamps, counts, sizes, positions (the store reads
--   them back into i64, u32 or u64 and refuses a value out of range); INTEGER only for the
--   counters' year, which is an i32.
-- - BOOLEAN for the flags SQLite keeps as 0/1 (the overdue flags, `counts`, `clock_running`,
--   `callback_due`, `notices.current`, `owner_contacts.masked_in_doc`). The counts that are
--   compared with `> 0` (`evidence_after_acceptance`, …) stay numbers.
-- - BYTEA for what SQLite keeps as BLOB: change hashes and bytes, heads, snapshots, and the
--   BLAKE3 hashes of tokens, codes and session cookies. Evidence hashes are text, as in SQLite.
-- - TEXT COLLATE "C" for every text: compared and sorted byte by byte like SQLite's BINARY
--   collation, whatever the database's locale, so that `ORDER BY finding_id` and
--   `finding_id > $1` give the same rows in the same order on both backends.
-- - Identity columns where SQLite has an integer rowid key (`changes.seq`, the ids of
--   notifications, robot messages and contact views).

-- Documents: one row per automerge document, with the heads the server holds. Writers of a
-- document lock its row before storing its changes (see store/postgres/docs.rs).
CREATE TABLE docs (
    doc_id           TEXT COLLATE "C" PRIMARY KEY,
    project_id       TEXT COLLATE "C" NOT NULL,
    heads            BYTEA NOT NULL,
    heads_digest     TEXT COLLATE "C" NOT NULL,
    snapshot         BYTEA,
    snapshot_changes BIGINT NOT NULL DEFAULT 0,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX docs_project ON docs (project_id);

-- Changes, append-only and keyed by hash: storing one twice is a no-op.
CREATE TABLE changes (
    doc_id    TEXT COLLATE "C" NOT NULL,
    hash      BYTEA NOT NULL,
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id TEXT COLLATE "C",
    bytes     BYTEA NOT NULL,
    stored_at BIGINT NOT NULL,
    UNIQUE (doc_id, hash)
);
CREATE INDEX changes_device ON changes (device_id, doc_id) WHERE device_id IS NOT NULL;

-- Accounts.
CREATE TABLE users (
    user_id       TEXT COLLATE "C" PRIMARY KEY,
    display_name  TEXT COLLATE "C" NOT NULL,
    password_hash TEXT COLLATE "C",
    created_at    BIGINT NOT NULL
);
CREATE TABLE memberships (
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (user_id),
    project_id    TEXT COLLATE "C" NOT NULL,
    role          TEXT COLLATE "C" NOT NULL,
    contractor_id TEXT COLLATE "C",
    PRIMARY KEY (user_id, project_id)
);
CREATE TABLE devices (
    device_id   TEXT COLLATE "C" PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (user_id),
    name        TEXT COLLATE "C" NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    last_seen   BIGINT,
    last_synced BIGINT
);
CREATE TABLE enrollment_codes (
    code_hash  BYTEA PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (user_id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    device_id  TEXT COLLATE "C"
);

-- Office web sign-in.
CREATE TABLE web_sessions (
    session_hash BYTEA PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (user_id),
    csrf_token   TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE login_failures (
    login        TEXT COLLATE "C" PRIMARY KEY,
    failures     BIGINT NOT NULL,
    last_failure BIGINT NOT NULL,
    locked_until BIGINT
);

-- The yearly series: the last number given.
CREATE TABLE notice_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);
CREATE TABLE fine_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);

-- The case-record projection (rebuilt from documents by `reindex`).
CREATE TABLE cases (
    finding_id                TEXT COLLATE "C" PRIMARY KEY,
    project_id                TEXT COLLATE "C" NOT NULL,
    unit_id                   TEXT COLLATE "C" NOT NULL,
    origin                    TEXT COLLATE "C" NOT NULL,
    room                      TEXT COLLATE "C" NOT NULL,
    item                      TEXT COLLATE "C" NOT NULL,
    category                  TEXT COLLATE "C" NOT NULL,
    severity                  TEXT COLLATE "C" NOT NULL,
    description               TEXT COLLATE "C" NOT NULL,
    status                    TEXT COLLATE "C" NOT NULL,
    contractor_id             TEXT COLLATE "C",
    notice_no                 TEXT COLLATE "C",
    response_deadline         BIGINT,
    repair_deadline           BIGINT,
    return_deadline           BIGINT,
    response_overdue          BOOLEAN NOT NULL,
    repair_overdue            BOOLEAN NOT NULL,
    return_overdue            BOOLEAN NOT NULL,
    emergency_required        BOOLEAN NOT NULL,
    penalties                 TEXT COLLATE "C" NOT NULL,
    anomalies                 BIGINT NOT NULL,
    conflicts                 BIGINT NOT NULL,
    evidence_refs             BIGINT NOT NULL,
    open_evidence_requests    BIGINT NOT NULL,
    reopen_count              BIGINT NOT NULL,
    created_by                TEXT COLLATE "C" NOT NULL,
    created_at                BIGINT NOT NULL,
    closed_at                 BIGINT,
    counts                    BOOLEAN NOT NULL,
    merged_into               TEXT COLLATE "C",
    projected_at              BIGINT NOT NULL,
    clock_running             BOOLEAN NOT NULL DEFAULT TRUE,
    callback_due              BOOLEAN NOT NULL DEFAULT FALSE,
    -- Kept for the shape of the SQLite schema; empty since contacts moved to owner_contacts.
    owner_name                TEXT COLLATE "C",
    owner_phone               TEXT COLLATE "C",
    verdicts_until            BIGINT,
    evidence_after_acceptance BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cases_unit ON cases (unit_id);
CREATE INDEX cases_project_status ON cases (project_id, status);
CREATE INDEX cases_contractor ON cases (contractor_id);
CREATE INDEX cases_callback_due ON cases (project_id) WHERE callback_due;
CREATE INDEX cases_owner_phone ON cases (owner_phone);
CREATE INDEX cases_owner_name ON cases (owner_name);
CREATE INDEX cases_verdicts_until ON cases (verdicts_until) WHERE verdicts_until IS NOT NULL;
CREATE INDEX cases_evidence_after_acceptance ON cases (project_id)
    WHERE evidence_after_acceptance > 0;

CREATE TABLE case_events (
    event_id    TEXT COLLATE "C" NOT NULL,
    finding_id  TEXT COLLATE "C" NOT NULL,
    unit_id     TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    role        TEXT COLLATE "C" NOT NULL,
    device_id   TEXT COLLATE "C" NOT NULL,
    device_time BIGINT NOT NULL,
    received_at BIGINT,
    payload     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (finding_id, event_id)
);
CREATE INDEX case_events_unit ON case_events (unit_id);

CREATE TABLE notices (
    notice_no          TEXT COLLATE "C" NOT NULL,
    finding_id         TEXT COLLATE "C" NOT NULL,
    unit_id            TEXT COLLATE "C" NOT NULL,
    contractor_id      TEXT COLLATE "C" NOT NULL,
    issued_at          BIGINT NOT NULL,
    response_deadline  BIGINT NOT NULL,
    responded_at       BIGINT,
    repair_deadline    BIGINT NOT NULL,
    repair_reported_at BIGINT,
    accepted_at        BIGINT,
    returned_at        BIGINT,
    current            BOOLEAN NOT NULL,
    first_reported_at  BIGINT,
    stopped_at         BIGINT,
    failed_acceptances BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (finding_id, notice_no)
);
CREATE INDEX notices_unit ON notices (unit_id);

CREATE TABLE fines (
    fine_id       TEXT COLLATE "C" NOT NULL,
    finding_id    TEXT COLLATE "C" NOT NULL,
    unit_id       TEXT COLLATE "C" NOT NULL,
    contractor_id TEXT COLLATE "C" NOT NULL,
    condition     BIGINT NOT NULL,
    amount_fen    BIGINT NOT NULL,
    status        TEXT COLLATE "C" NOT NULL,
    drafted_at    BIGINT NOT NULL,
    PRIMARY KEY (finding_id, fine_id)
);
CREATE INDEX fines_unit ON fines (unit_id);

CREATE TABLE callbacks (
    event_id   TEXT COLLATE "C" NOT NULL,
    finding_id TEXT COLLATE "C" NOT NULL,
    unit_id    TEXT COLLATE "C" NOT NULL,
    at         BIGINT NOT NULL,
    channel    TEXT COLLATE "C" NOT NULL,
    level      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (finding_id, event_id)
);
CREATE INDEX callbacks_unit ON callbacks (unit_id);

CREATE TABLE emergency_repairs (
    finding_id  TEXT COLLATE "C" NOT NULL,
    unit_id     TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    team        TEXT COLLATE "C" NOT NULL,
    charged_to  TEXT COLLATE "C",
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    cost_fen    BIGINT,
    PRIMARY KEY (finding_id, seq)
);
CREATE INDEX emergency_repairs_unit ON emergency_repairs (unit_id);

-- Evidence referenced by documents, and whether its blob has arrived.
CREATE TABLE evidence_refs (
    hash        TEXT COLLATE "C" NOT NULL,
    finding_id  TEXT COLLATE "C" NOT NULL,
    unit_id     TEXT COLLATE "C" NOT NULL,
    project_id  TEXT COLLATE "C" NOT NULL,
    bytes       BIGINT NOT NULL,
    captured_at BIGINT NOT NULL,
    thumb_hash  TEXT COLLATE "C",
    PRIMARY KEY (finding_id, hash)
);
CREATE INDEX evidence_refs_unit ON evidence_refs (unit_id);
CREATE INDEX evidence_refs_hash ON evidence_refs (hash);
CREATE INDEX evidence_refs_thumb ON evidence_refs (thumb_hash) WHERE thumb_hash IS NOT NULL;

CREATE TABLE blobs (
    hash         TEXT COLLATE "C" PRIMARY KEY,
    bytes        BIGINT NOT NULL,
    content_type TEXT COLLATE "C" NOT NULL,
    stored_at    BIGINT NOT NULL
);

-- Each unit's pre-handover inspection progress (the readiness page).
CREATE TABLE unit_inspections (
    unit_id      TEXT COLLATE "C" PRIMARY KEY,
    project_id   TEXT COLLATE "C" NOT NULL,
    rounds       BIGINT NOT NULL,
    most_marked  BIGINT NOT NULL,
    projected_at BIGINT NOT NULL
);
CREATE INDEX unit_inspections_project ON unit_inspections (project_id);

-- Owners' signed walks (业主陪验).
CREATE TABLE signed_walks (
    walk_id        TEXT COLLATE "C" NOT NULL,
    unit_id        TEXT COLLATE "C" NOT NULL,
    project_id     TEXT COLLATE "C" NOT NULL,
    version        BIGINT NOT NULL,
    signed_at      BIGINT NOT NULL,
    signature_hash TEXT COLLATE "C" NOT NULL,
    snapshot_hash  TEXT COLLATE "C" NOT NULL,
    findings       BIGINT NOT NULL,
    changed        BIGINT NOT NULL,
    PRIMARY KEY (unit_id, walk_id)
);
CREATE INDEX signed_walks_signature ON signed_walks (signature_hash);

-- Reminders and escalations, one row per recipient, recorded once per key and user.
CREATE TABLE notifications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reminder_key TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL,
    project_id   TEXT COLLATE "C" NOT NULL,
    unit_id      TEXT COLLATE "C" NOT NULL,
    finding_id   TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    notice_no    TEXT COLLATE "C",
    due_at       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    read_at      BIGINT,
    UNIQUE (reminder_key, user_id)
);
CREATE INDEX notifications_inbox ON notifications (user_id, read_at, due_at);
CREATE INDEX notifications_case ON notifications (finding_id, due_at);

-- The projects' work-group robots and their message queue.
CREATE TABLE project_webhooks (
    project_id TEXT COLLATE "C" PRIMARY KEY,
    kind       TEXT COLLATE "C" NOT NULL,
    url        TEXT COLLATE "C" NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE webhook_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reminder_key    TEXT COLLATE "C" NOT NULL UNIQUE,
    project_id      TEXT COLLATE "C" NOT NULL,
    unit_id         TEXT COLLATE "C" NOT NULL,
    finding_id      TEXT COLLATE "C" NOT NULL,
    kind            TEXT COLLATE "C" NOT NULL,
    notice_no       TEXT COLLATE "C",
    due_at          BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    claimed_until   BIGINT,
    delivered_at    BIGINT,
    last_error      TEXT COLLATE "C"
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_outbox_project ON webhook_outbox (project_id, created_at);

-- Owners' full contacts (server only) and every look at them.
CREATE TABLE owner_contacts (
    finding_id    TEXT COLLATE "C" PRIMARY KEY,
    project_id    TEXT COLLATE "C" NOT NULL,
    unit_id       TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    phone         TEXT COLLATE "C" NOT NULL,
    recorded_at   BIGINT NOT NULL,
    masked_in_doc BOOLEAN NOT NULL
);
CREATE INDEX owner_contacts_phone ON owner_contacts (phone);
CREATE INDEX owner_contacts_name ON owner_contacts (name);
CREATE INDEX owner_contacts_unmasked ON owner_contacts (masked_in_doc) WHERE NOT masked_in_doc;

CREATE TABLE contact_views (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    unit_id    TEXT COLLATE "C" NOT NULL,
    finding_id TEXT COLLATE "C" NOT NULL,
    purpose    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX contact_views_project_at ON contact_views (project_id, at);
