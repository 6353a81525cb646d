-- Background work one server replica does for all (src/leases.rs): who holds it, until when.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,                -- the server's id
    until  INTEGER NOT NULL              -- ms since the epoch
);
