-- How many times each unit's projection rows have been written: one more in the transaction of
-- every write (src/store/sqlite.rs, insert_projection). A project's count and sum of versions
-- change whenever any of its case, notice, fine, callback, emergency or photo rows do, so the
-- report pages' cache of those rows (src/report_cache.rs) checks one indexed sum instead of
-- reading them again. Never deleted with the projection: the sum only grows.
CREATE TABLE projection_versions (
    unit_id    TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    version    INTEGER NOT NULL
);
CREATE INDEX projection_versions_project ON projection_versions(project_id);
