-- Office web sign-in: sessions (only the hash of the cookie is stored) and failed attempts per
-- login name (also for names that do not exist, so that the answer never tells which do).
CREATE TABLE web_sessions (
    session_hash BLOB PRIMARY KEY,             -- BLAKE3 of the cookie value
    user_id      TEXT NOT NULL REFERENCES users(user_id),
    csrf_token   TEXT NOT NULL,                -- sent back in every form
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

CREATE TABLE login_failures (
    login        TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure INTEGER NOT NULL,
    locked_until INTEGER
);

-- Rectification notices are numbered per year (ZG-2026-0001, …): the last number given.
CREATE TABLE notice_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);
