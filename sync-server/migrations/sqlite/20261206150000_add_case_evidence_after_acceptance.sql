-- Photos added to a case after its repair was accepted, not yet reviewed by an engineer
-- (the "new evidence after acceptance" queue). Rows projected before this column existed are
-- marked due at once, so the first read derives them again and fills it in.
ALTER TABLE cases ADD COLUMN evidence_after_acceptance INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET verdicts_until = 0;
CREATE INDEX cases_evidence_after_acceptance ON cases (project_id)
    WHERE evidence_after_acceptance > 0;
