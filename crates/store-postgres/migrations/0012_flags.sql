-- The flag register shared with health (CP-IS, spec §6): one row per plan or looked-after period,
-- held against an NHS number. `source_ref` names what the flag came from (a case step, or an
-- imported row keyed on LA, NHS number, type and start), so deriving or importing it again finds
-- the same row. Lookups are point queries on `nhs_number`.
CREATE TABLE flags (
    id         uuid PRIMARY KEY,
    source_ref text NOT NULL UNIQUE,
    nhs_number text NOT NULL,
    kind       text NOT NULL,
    start_on   date NOT NULL,
    la_id      uuid NOT NULL REFERENCES agencies(id),
    child_id   uuid REFERENCES children(id),
    doc        jsonb NOT NULL
);
CREATE INDEX flags_nhs ON flags(nhs_number);
CREATE INDEX flags_child ON flags(child_id);
CREATE INDEX flags_la ON flags(la_id);

-- Lookups that found a flag: "the last 25 accesses" (spec §6.1). No foreign key to `flags`:
-- an access stays on record if a flag is later withdrawn.
CREATE TABLE flag_accesses (
    id         uuid PRIMARY KEY,
    nhs_number text NOT NULL,
    at         timestamptz NOT NULL,
    doc        jsonb NOT NULL
);
CREATE INDEX flag_accesses_nhs ON flag_accesses(nhs_number, at);

-- Access notifications to the responsible local authority (spec §6.3), with their state.
CREATE TABLE access_notifications (
    id         uuid PRIMARY KEY,
    la_id      uuid NOT NULL REFERENCES agencies(id),
    access_id  uuid NOT NULL REFERENCES flag_accesses(id),
    at         timestamptz NOT NULL,
    setting_id uuid NOT NULL,
    state      text NOT NULL,
    doc        jsonb NOT NULL
);
CREATE INDEX access_notifications_la ON access_notifications(la_id, at);
