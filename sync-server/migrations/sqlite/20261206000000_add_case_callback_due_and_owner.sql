-- Two things the office web's queues and archives ask of the case table.
--
-- callback_due: accepted and the owner not called back since. The status alone cannot tell it:
-- a satisfied callback leaves a case accepted until someone closes it. Rows projected before
-- this column get it from the callbacks already projected (none since the current notice's
-- acceptance); the next change of a unit projects the exact value.
--
-- owner_name, owner_phone: the owner behind a complaint taken at intake, so that every case of
-- one owner is found across units without reading every unit document. Kept out of the case
-- rows the API hands to contractors. Rows projected before these columns have none until their
-- unit changes again, or at once after `plumbline-sync-server reindex`.
ALTER TABLE cases ADD COLUMN callback_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN owner_name TEXT;
ALTER TABLE cases ADD COLUMN owner_phone TEXT;
UPDATE cases SET callback_due = 1
WHERE status = 'accepted'
  AND NOT EXISTS (
    SELECT 1 FROM callbacks cb
    WHERE cb.finding_id = cases.finding_id
      AND cb.at >= COALESCE(
        (SELECT MAX(n.accepted_at) FROM notices n
         WHERE n.finding_id = cases.finding_id AND n.current = 1), 0));
CREATE INDEX cases_callback_due ON cases(project_id) WHERE callback_due = 1;
CREATE INDEX cases_owner_phone ON cases(owner_phone);
CREATE INDEX cases_owner_name ON cases(owner_name);
