-- What each device holds as far as the server knows (src/positions.rs), kept in the database
-- so that every server replica answers a device's summary-only manifest, and a restart does
-- not make every device list its documents again.
CREATE TABLE device_positions (
    device_id TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    digest    TEXT NOT NULL,             -- HeadsDigest of the device's heads
    PRIMARY KEY (device_id, doc_id)
);
-- 1 when the rows above are the device's whole position (none: it holds nothing); 0 when the
-- server does not know it (the device lists its documents at its next manifest).
ALTER TABLE devices ADD COLUMN position_known INTEGER NOT NULL DEFAULT 0;
