-- Until when a case row's time-dependent verdicts (overdue, penalties 2, 3 and 5, emergency
-- repair needed) hold: one millisecond after its next deadline. Reads re-derive the units whose
-- rows have reached it (sync-server/src/verdicts.rs), so no reader sees a stale verdict. Rows
-- projected before this column existed are marked due at once: the first read re-derives them.
ALTER TABLE cases ADD COLUMN verdicts_until INTEGER;
UPDATE cases SET verdicts_until = 0;
CREATE INDEX cases_verdicts_until ON cases (verdicts_until) WHERE verdicts_until IS NOT NULL;
