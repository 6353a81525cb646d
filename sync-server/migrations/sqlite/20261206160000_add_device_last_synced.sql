-- When each device last finished a whole sync (its manifest matched the server's: it held
-- everything the server holds, and the server everything it sent). "Last seen" is any request;
-- a phone lost after a partial sync was seen but never synced, and the office needs to know.
ALTER TABLE devices ADD COLUMN last_synced INTEGER;
-- The work each device sent, per document, for the office's view of a lost phone.
CREATE INDEX changes_device ON changes (device_id, doc_id) WHERE device_id IS NOT NULL;
