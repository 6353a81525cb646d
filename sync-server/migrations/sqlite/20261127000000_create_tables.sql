-- Plumbline server schema, version 1. Append-only: never edit a released migration, add one.

-- Documents: one row per automerge document, with the heads the server holds.
CREATE TABLE docs (
    doc_id        TEXT PRIMARY KEY,          -- "project:<id>" or "unit:<id>"
    project_id    TEXT NOT NULL,
    heads         BLOB NOT NULL,             -- concatenated 32-byte change hashes, sorted
    heads_digest  TEXT NOT NULL,             -- HeadsDigest of `heads`, for manifests
    snapshot      BLOB,                      -- a compacted save(), or NULL
    snapshot_changes INTEGER NOT NULL DEFAULT 0, -- changes folded into the snapshot
    updated_at    INTEGER NOT NULL
);
CREATE INDEX docs_project ON docs(project_id);

-- Changes, append-only and keyed by hash: storing one twice is a no-op.
CREATE TABLE changes (
    doc_id      TEXT NOT NULL,
    hash        BLOB NOT NULL,
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   TEXT,                        -- who sent it (NULL: written by the server)
    bytes       BLOB NOT NULL,
    stored_at   INTEGER NOT NULL,
    UNIQUE (doc_id, hash)
);

-- Accounts.
CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    password_hash TEXT,                      -- argon2id PHC string; NULL: cannot sign in
    created_at    INTEGER NOT NULL
);
CREATE TABLE memberships (
    user_id     TEXT NOT NULL REFERENCES users(user_id),
    project_id  TEXT NOT NULL,
    role        TEXT NOT NULL,
    contractor_id TEXT,                      -- the company, for the contractor role
    PRIMARY KEY (user_id, project_id)
);
CREATE TABLE devices (
    device_id   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(user_id),
    name        TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,        -- BLAKE3 of the bearer token; the token is never stored
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    last_seen   INTEGER
);
CREATE TABLE enrollment_codes (
    code_hash   BLOB PRIMARY KEY,            -- BLAKE3 of the normalised code
    user_id     TEXT NOT NULL REFERENCES users(user_id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    device_id   TEXT
);

-- The case-record projection (rebuilt from documents by `reindex`).
CREATE TABLE cases (
    finding_id   TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    unit_id      TEXT NOT NULL,
    origin       TEXT NOT NULL,
    room         TEXT NOT NULL,
    item         TEXT NOT NULL,
    category     TEXT NOT NULL,
    severity     TEXT NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL,
    contractor_id TEXT,
    notice_no    TEXT,
    response_deadline INTEGER,
    repair_deadline   INTEGER,
    return_deadline   INTEGER,
    response_overdue  INTEGER NOT NULL,
    repair_overdue    INTEGER NOT NULL,
    return_overdue    INTEGER NOT NULL,
    emergency_required INTEGER NOT NULL,
    penalties    TEXT NOT NULL,              -- e.g. "1,3"
    anomalies    INTEGER NOT NULL,
    conflicts    INTEGER NOT NULL,
    evidence_refs INTEGER NOT NULL,
    open_evidence_requests INTEGER NOT NULL,
    reopen_count INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    closed_at    INTEGER,
    counts       INTEGER NOT NULL,
    merged_into  TEXT,
    projected_at INTEGER NOT NULL
);
CREATE INDEX cases_unit ON cases(unit_id);
CREATE INDEX cases_project_status ON cases(project_id, status);
CREATE INDEX cases_contractor ON cases(contractor_id);

CREATE TABLE case_events (
    event_id    TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    role        TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_time INTEGER NOT NULL,
    received_at INTEGER,
    payload     TEXT NOT NULL,
    PRIMARY KEY (finding_id, event_id)
);
CREATE INDEX case_events_unit ON case_events(unit_id);

CREATE TABLE notices (
    notice_no   TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    contractor_id TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    response_deadline INTEGER NOT NULL,
    responded_at INTEGER,
    repair_deadline INTEGER NOT NULL,
    repair_reported_at INTEGER,
    accepted_at INTEGER,
    returned_at INTEGER,
    current     INTEGER NOT NULL,
    PRIMARY KEY (finding_id, notice_no)
);
CREATE INDEX notices_unit ON notices(unit_id);

CREATE TABLE fines (
    fine_id     TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    contractor_id TEXT NOT NULL,
    condition   INTEGER NOT NULL,
    amount_fen  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    drafted_at  INTEGER NOT NULL,
    PRIMARY KEY (finding_id, fine_id)
);
CREATE INDEX fines_unit ON fines(unit_id);

CREATE TABLE callbacks (
    event_id    TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    level       TEXT NOT NULL,
    PRIMARY KEY (finding_id, event_id)
);
CREATE INDEX callbacks_unit ON callbacks(unit_id);

-- Evidence referenced by documents, and whether its blob has arrived.
CREATE TABLE evidence_refs (
    hash        TEXT NOT NULL,
    finding_id  TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    captured_at INTEGER NOT NULL,
    PRIMARY KEY (finding_id, hash)
);
CREATE INDEX evidence_refs_unit ON evidence_refs(unit_id);
CREATE INDEX evidence_refs_hash ON evidence_refs(hash);

CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY,
    bytes       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    stored_at   INTEGER NOT NULL
);
