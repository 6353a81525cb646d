-- Owners' signed walks (业主陪验), projected from unit documents: what the office lists, and
-- which projects may see a signature image.
-- Keyed by unit and walk: a walk's id is chosen by the phone, and another unit's walk under
-- the same id must not replace this one's row (and with it, who may see its signature).
CREATE TABLE signed_walks (
    walk_id        TEXT NOT NULL,
    unit_id        TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    signed_at      INTEGER NOT NULL,
    signature_hash TEXT NOT NULL,
    snapshot_hash  TEXT NOT NULL,
    findings       INTEGER NOT NULL,
    changed        INTEGER NOT NULL,
    PRIMARY KEY (unit_id, walk_id)
);
CREATE INDEX signed_walks_signature ON signed_walks(signature_hash);
