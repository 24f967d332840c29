-- Foundation schema: agencies, teams, the area, accounts, sessions, children and the people and
-- agencies around them, the chronology, bank holidays and the append-only audit chain.
-- Forward-only: never edit a migration once it has shipped; add a new one.
--
-- Mirrors the SQLite backend's schema in PostgreSQL's own types. Names and codes that lists are
-- sorted by are COLLATE "C" (byte order), so PostgreSQL sorts exactly as SQLite's BINARY
-- collation does whatever locale the database was created with. Unique constraints are named,
-- because the store maps a violation to what clashed by the constraint's name.

CREATE TABLE agencies (
    id                 uuid PRIMARY KEY,
    kind               text COLLATE "C" NOT NULL,
    name               text COLLATE "C" NOT NULL,
    ods_code           text,
    urn                text,
    la_code            text,
    phone              text,
    out_of_hours_phone text,
    CONSTRAINT agencies_ods_code_key UNIQUE (ods_code),
    CONSTRAINT agencies_urn_key UNIQUE (urn),
    CONSTRAINT agencies_la_code_key UNIQUE (la_code)
);

CREATE TABLE teams (
    id        uuid PRIMARY KEY,
    agency_id uuid NOT NULL REFERENCES agencies(id),
    name      text COLLATE "C" NOT NULL
);

CREATE TABLE area (
    singleton integer PRIMARY KEY CHECK (singleton = 1),
    doc       jsonb NOT NULL
);

CREATE TABLE practitioners (
    id              uuid PRIMARY KEY,
    email           text NOT NULL,
    name            text COLLATE "C" NOT NULL,
    agency_id       uuid NOT NULL REFERENCES agencies(id),
    team_id         uuid REFERENCES teams(id),
    roles           text[] NOT NULL,
    active          boolean NOT NULL,
    password_hash   text,
    totp_secret     text,
    demo_no_mfa     boolean NOT NULL DEFAULT false,
    failed_attempts bigint NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    CONSTRAINT practitioners_email_key UNIQUE (email)
);

CREATE TABLE sessions (
    id_hash             text PRIMARY KEY,
    practitioner_id     uuid REFERENCES practitioners(id),
    stage               text NOT NULL,
    csrf_token          text NOT NULL,
    pending_totp_secret text,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL
);
CREATE INDEX sessions_practitioner ON sessions(practitioner_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE children (
    id             uuid PRIMARY KEY,
    nhs_number     text,
    family_name    text COLLATE "C" NOT NULL,
    given_name     text COLLATE "C" NOT NULL,
    -- Lower-case, '|'-delimited list of every name (current, aliases, former), for substring search.
    names_search   text NOT NULL,
    birth_date     date NOT NULL,
    -- The postcode of every address, normalised by the domain's Postcode type.
    postcodes      text[] NOT NULL,
    owning_team_id uuid REFERENCES teams(id),
    doc            jsonb NOT NULL,
    CONSTRAINT children_nhs_number_key UNIQUE (nhs_number)
);
CREATE INDEX children_birth_date ON children(birth_date);
CREATE INDEX children_family_name ON children(family_name);
CREATE INDEX children_postcodes ON children USING gin (postcodes);

CREATE TABLE allocations (
    child_id        uuid NOT NULL REFERENCES children(id),
    practitioner_id uuid NOT NULL REFERENCES practitioners(id),
    PRIMARY KEY (child_id, practitioner_id)
);
CREATE INDEX allocations_practitioner ON allocations(practitioner_id);

CREATE TABLE persons (
    id  uuid PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE child_persons (
    child_id                uuid NOT NULL REFERENCES children(id),
    person_id               uuid NOT NULL REFERENCES persons(id),
    relationship            text COLLATE "C" NOT NULL,
    parental_responsibility boolean NOT NULL,
    lives_with_child        boolean NOT NULL,
    PRIMARY KEY (child_id, person_id)
);

CREATE TABLE involvements (
    child_id  uuid NOT NULL REFERENCES children(id),
    agency_id uuid NOT NULL REFERENCES agencies(id),
    kind      text COLLATE "C" NOT NULL,
    since     date NOT NULL,
    PRIMARY KEY (child_id, agency_id, kind)
);

CREATE TABLE chronology (
    id          uuid PRIMARY KEY,
    child_id    uuid NOT NULL REFERENCES children(id),
    date        date NOT NULL,
    summary     text NOT NULL,
    agency_id   uuid REFERENCES agencies(id),
    recorded_by uuid REFERENCES practitioners(id)
);
CREATE INDEX chronology_child ON chronology(child_id, date);

CREATE TABLE holidays (
    date date PRIMARY KEY
);

-- `at` and `payload` are the exact text that was hashed (see safeguard-store's audit module):
-- timestamptz would drop the text form and jsonb would reorder keys, and the chain would no
-- longer verify.
CREATE TABLE audit (
    seq       bigint PRIMARY KEY,
    at        text NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    subject   text NOT NULL,
    decision  text NOT NULL,
    reason    text NOT NULL,
    payload   text NOT NULL,
    prev_hash text NOT NULL,
    hash      text NOT NULL
);
CREATE INDEX audit_subject ON audit(subject, seq);

-- The audit log is append-only: the database itself refuses to change or remove a row. The
-- triggers bind the table's owner too; REVOKE covers every other role. Only a superuser or the
-- owner, by disabling the triggers on purpose, can get round this, and the hash chain then
-- shows where.
CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER audit_no_update_or_delete BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;
