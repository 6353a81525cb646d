-- Whether the current notice's clocks run (not refused, disputed or stopped otherwise), so that
-- the "overdue now" filter leaves out a case whose clock stopped. Rows projected before this
-- column existed are re-projected at their next change; until then they count as running,
-- which is what every case without a refusal or dispute is.
ALTER TABLE cases ADD COLUMN clock_running INTEGER NOT NULL DEFAULT 1;
