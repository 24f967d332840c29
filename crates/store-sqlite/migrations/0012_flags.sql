-- The flag register shared with health (CP-IS, spec §6): one row per plan or looked-after period,
-- held against an NHS number. `source_ref` names what the flag came from (a case step, or an
-- imported row keyed on LA, NHS number, type and start), so deriving or importing it again finds
-- the same row. Lookups are point queries on `nhs_number`.
CREATE TABLE flags (
    id         TEXT PRIMARY KEY,
    source_ref TEXT NOT NULL UNIQUE,
    nhs_number TEXT NOT NULL,
    kind       TEXT NOT NULL,
    start_on   TEXT NOT NULL,
    la_id      TEXT NOT NULL REFERENCES agencies(id),
    child_id   TEXT REFERENCES children(id),
    doc        TEXT NOT NULL
) STRICT;
CREATE INDEX flags_nhs ON flags(nhs_number);
CREATE INDEX flags_child ON flags(child_id);
CREATE INDEX flags_la ON flags(la_id);

-- Lookups that found a flag: "the last 25 accesses" (spec §6.1). No foreign key to `flags`:
-- an access stays on record if a flag is later withdrawn.
CREATE TABLE flag_accesses (
    id         TEXT PRIMARY KEY,
    nhs_number TEXT NOT NULL,
    at         TEXT NOT NULL,
    doc        TEXT NOT NULL
) STRICT;
CREATE INDEX flag_accesses_nhs ON flag_accesses(nhs_number, at);

-- Access notifications to the responsible local authority (spec §6.3), with their state.
CREATE TABLE access_notifications (
    id         TEXT PRIMARY KEY,
    la_id      TEXT NOT NULL REFERENCES agencies(id),
    access_id  TEXT NOT NULL REFERENCES flag_accesses(id),
    at         TEXT NOT NULL,
    setting_id TEXT NOT NULL,
    state      TEXT NOT NULL,
    doc        TEXT NOT NULL
) STRICT;
CREATE INDEX access_notifications_la ON access_notifications(la_id, at);
