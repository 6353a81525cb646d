-- Owners' signed walks (业主陪验), projected from unit documents: what the office lists, and
-- which projects may see a signature image.
CREATE TABLE signed_walks (
    walk_id        TEXT PRIMARY KEY,
    unit_id        TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    signed_at      INTEGER NOT NULL,
    signature_hash TEXT NOT NULL,
    snapshot_hash  TEXT NOT NULL,
    findings       INTEGER NOT NULL,
    changed        INTEGER NOT NULL
);
CREATE INDEX signed_walks_unit ON signed_walks(unit_id);
CREATE INDEX signed_walks_signature ON signed_walks(signature_hash);
