-- Fine slips drafted in the office web are numbered per year (FK-2026-0001, …), like
-- rectification notices: the last number given. A series apart from the notices', so that
-- each kind of paper is numbered without gaps left by the other.
CREATE TABLE fine_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);
