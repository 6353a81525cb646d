-- A photo's thumbnail is its own blob: the hash is kept beside the photo's, so that whoever may
-- download the photo may download its thumbnail too.
ALTER TABLE evidence_refs ADD COLUMN thumb_hash TEXT;
CREATE INDEX evidence_refs_thumb ON evidence_refs(thumb_hash) WHERE thumb_hash IS NOT NULL;
