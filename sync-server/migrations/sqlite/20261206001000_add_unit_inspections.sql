-- How far each unit's pre-handover inspection has got, for the handover-readiness page: one
-- small row per unit, projected with its case records whenever the unit document changes, so
-- the page reads a thousand rows rather than a thousand documents.
--
-- rounds: pre-handover rounds started; most_marked: the most check items marked in any one of
-- them (compared with the checklist's item count when read; see `plumbline_shared::plan`).
--
-- Units projected before this table have no row and show as not started until their document
-- changes again, or at once after `plumbline-sync-server reindex`.
CREATE TABLE unit_inspections (
    unit_id      TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    rounds       INTEGER NOT NULL,
    most_marked  INTEGER NOT NULL,
    projected_at INTEGER NOT NULL
);
CREATE INDEX unit_inspections_project ON unit_inspections(project_id);
