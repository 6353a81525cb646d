-- Background work one server replica does for all (src/leases.rs): who holds it, until when.
CREATE TABLE leases (
    name   TEXT COLLATE "C" PRIMARY KEY,
    holder TEXT COLLATE "C" NOT NULL,    -- the server's id
    until  BIGINT NOT NULL               -- ms since the epoch
);
