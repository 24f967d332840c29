-- Cases: one episode of children's social care per row, kept whole as jsonb with its steps.

CREATE TABLE cases (
    id        uuid PRIMARY KEY,
    child_id  uuid NOT NULL REFERENCES children(id),
    version   bigint NOT NULL,
    state     text NOT NULL,
    opened_on date NOT NULL,
    doc       jsonb NOT NULL
);
CREATE INDEX cases_child ON cases(child_id, opened_on);
