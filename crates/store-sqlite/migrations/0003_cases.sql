-- Cases: one episode of children's social care per row, kept whole as JSON with its steps.

CREATE TABLE cases (
    id        TEXT PRIMARY KEY,
    child_id  TEXT NOT NULL REFERENCES children(id),
    version   INTEGER NOT NULL,
    state     TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    doc       TEXT NOT NULL
) STRICT;
CREATE INDEX cases_child ON cases(child_id, opened_on);
