-- Foundation schema: agencies, teams, the area, accounts, sessions, children and the people and
-- agencies around them, the chronology, bank holidays and the append-only audit chain.
-- Forward-only: never edit a migration once it has shipped; add a new one.

CREATE TABLE agencies (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    name               TEXT NOT NULL,
    ods_code           TEXT UNIQUE,
    urn                TEXT UNIQUE,
    la_code            TEXT UNIQUE,
    phone              TEXT,
    out_of_hours_phone TEXT
) STRICT;

CREATE TABLE teams (
    id        TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    name      TEXT NOT NULL
) STRICT;

CREATE TABLE area (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    doc       TEXT NOT NULL
) STRICT;

CREATE TABLE practitioners (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    agency_id       TEXT NOT NULL REFERENCES agencies(id),
    team_id         TEXT REFERENCES teams(id),
    roles           TEXT NOT NULL,
    active          INTEGER NOT NULL,
    password_hash   TEXT,
    totp_secret     TEXT,
    demo_no_mfa     INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT
) STRICT;

CREATE TABLE sessions (
    id_hash             TEXT PRIMARY KEY,
    practitioner_id     TEXT REFERENCES practitioners(id),
    stage               TEXT NOT NULL,
    csrf_token          TEXT NOT NULL,
    pending_totp_secret TEXT,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_practitioner ON sessions(practitioner_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE children (
    id             TEXT PRIMARY KEY,
    nhs_number     TEXT UNIQUE,
    family_name    TEXT NOT NULL,
    given_name     TEXT NOT NULL,
    names_search   TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    postcodes      TEXT NOT NULL,
    owning_team_id TEXT REFERENCES teams(id),
    doc            TEXT NOT NULL
) STRICT;
CREATE INDEX children_birth_date ON children(birth_date);
CREATE INDEX children_family_name ON children(family_name);

CREATE TABLE allocations (
    child_id        TEXT NOT NULL REFERENCES children(id),
    practitioner_id TEXT NOT NULL REFERENCES practitioners(id),
    PRIMARY KEY (child_id, practitioner_id)
) STRICT;
CREATE INDEX allocations_practitioner ON allocations(practitioner_id);

CREATE TABLE persons (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) STRICT;

CREATE TABLE child_persons (
    child_id                TEXT NOT NULL REFERENCES children(id),
    person_id               TEXT NOT NULL REFERENCES persons(id),
    relationship            TEXT NOT NULL,
    parental_responsibility INTEGER NOT NULL,
    lives_with_child        INTEGER NOT NULL,
    PRIMARY KEY (child_id, person_id)
) STRICT;

CREATE TABLE involvements (
    child_id  TEXT NOT NULL REFERENCES children(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    kind      TEXT NOT NULL,
    since     TEXT NOT NULL,
    PRIMARY KEY (child_id, agency_id, kind)
) STRICT;

CREATE TABLE chronology (
    id          TEXT PRIMARY KEY,
    child_id    TEXT NOT NULL REFERENCES children(id),
    date        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    agency_id   TEXT REFERENCES agencies(id),
    recorded_by TEXT REFERENCES practitioners(id)
) STRICT;
CREATE INDEX chronology_child ON chronology(child_id, date);

CREATE TABLE holidays (
    date TEXT PRIMARY KEY
) STRICT;

CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    decision  TEXT NOT NULL,
    reason    TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_subject ON audit(subject, seq);

-- The audit log is append-only: the database itself refuses to change or remove a row.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
