-- How many times each unit's projection rows have been written: one more in the transaction of
-- every write (src/store/postgres/projection.rs, insert_projection). A project's count and sum
-- of versions change whenever any of its case, notice, fine, callback, emergency or photo rows
-- do, on any replica, so the report pages' cache of those rows (src/report_cache.rs) checks one
-- indexed sum instead of reading them again. One row per unit, not per project: writes to
-- different units of a project never wait for each other on it. Never deleted with the
-- projection: the sum only grows.
CREATE TABLE projection_versions (
    unit_id    TEXT COLLATE "C" PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL,
    version    BIGINT NOT NULL
);
CREATE INDEX projection_versions_project ON projection_versions (project_id);
