-- Decisions people made about record linkage (a referral's child is, or is not, a known child;
-- two child records are, or are not, the same child), kept with the evidence they saw.
-- Reversing one sets `reversed` in the document; nothing is deleted.
CREATE TABLE link_decisions (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    child_id TEXT NOT NULL REFERENCES children(id),
    decided_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX link_decisions_subject ON link_decisions(subject);

-- The latest periodic report of possible duplicate child records (one row).
CREATE TABLE duplicate_reports (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL
);
