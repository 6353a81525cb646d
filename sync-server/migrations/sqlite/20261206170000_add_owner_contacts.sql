-- Owners' contacts live on the server only (China's Personal Information Protection Law, and
-- the department's rule that customer archives are kept secure and every look-up signed for).
-- A unit document, which replicates to every inspector's phone of the project, holds only the
-- masked form (王**, 138****2046). `masked_in_doc` is 0 for a contact taken before this
-- migration, whose document still shows it in full until the server masks it at its next start.
CREATE TABLE owner_contacts (
    finding_id    TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL,
    unit_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL,
    masked_in_doc INTEGER NOT NULL
);
CREATE INDEX owner_contacts_phone ON owner_contacts (phone);
CREATE INDEX owner_contacts_name ON owner_contacts (name);
CREATE INDEX owner_contacts_unmasked ON owner_contacts (masked_in_doc) WHERE masked_in_doc = 0;
INSERT INTO owner_contacts (finding_id, project_id, unit_id, name, phone, recorded_at, masked_in_doc)
    SELECT finding_id, project_id, unit_id, owner_name, owner_phone, created_at, 0
    FROM cases WHERE owner_phone IS NOT NULL AND owner_name IS NOT NULL;
UPDATE cases SET owner_name = NULL, owner_phone = NULL;

-- Every time a person in the office sees an owner's full contact: who, when, for which case,
-- and why (the case page's contact, an owner search). The manager reads it.
CREATE TABLE contact_views (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    user_id    TEXT NOT NULL,
    project_id TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    purpose    TEXT NOT NULL
);
CREATE INDEX contact_views_project_at ON contact_views (project_id, at);
