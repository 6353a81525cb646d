-- Facts the reports need that the case rows do not carry (docs/reports.md):
--
-- notices.first_reported_at: the repair first reported done, by which the repair deadline is
--   judged (penalty condition 3; a later report after a failed acceptance does not count);
-- notices.stopped_at: when the contractor's clocks stopped (refusal, dispute, reassignment,
--   acceptance…), so a scorecard can tell a missed promise from one that no longer applied;
-- notices.failed_acceptances: for the first-time acceptance rate;
-- emergency_repairs: one row per emergency repair, charged to a contractor, with its cost.
--
-- Rows projected before this migration have NULL / 0 here and no emergency rows until their
-- unit document changes again, or at once after `plumbline-sync-server reindex`.
ALTER TABLE notices ADD COLUMN first_reported_at INTEGER;
ALTER TABLE notices ADD COLUMN stopped_at INTEGER;
ALTER TABLE notices ADD COLUMN failed_acceptances INTEGER NOT NULL DEFAULT 0;

CREATE TABLE emergency_repairs (
    finding_id   TEXT NOT NULL,
    unit_id      TEXT NOT NULL,
    seq          INTEGER NOT NULL,           -- its place in the finding's timeline (0, 1, …)
    team         TEXT NOT NULL,
    charged_to   TEXT,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    cost_fen     INTEGER,
    PRIMARY KEY (finding_id, seq)
);
CREATE INDEX emergency_repairs_unit ON emergency_repairs(unit_id);
