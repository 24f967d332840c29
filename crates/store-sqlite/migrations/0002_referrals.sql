-- Concerns in settings' logs, referrals to the front door, and notifications to practitioners.
-- Each record is kept whole as JSON (`doc`); the columns beside it are what lists filter and
-- sort by.

CREATE TABLE concerns (
    id          TEXT PRIMARY KEY,
    setting_id  TEXT NOT NULL REFERENCES agencies(id),
    recorded_by TEXT NOT NULL REFERENCES practitioners(id),
    recorded_at TEXT NOT NULL,
    doc         TEXT NOT NULL
) STRICT;
CREATE INDEX concerns_setting ON concerns(setting_id, recorded_at);
CREATE INDEX concerns_recorder ON concerns(recorded_by, recorded_at);

CREATE TABLE referrals (
    id             TEXT PRIMARY KEY,
    version        INTEGER NOT NULL,
    la_id          TEXT NOT NULL REFERENCES agencies(id),
    referrer_id    TEXT REFERENCES practitioners(id),
    child_id       TEXT REFERENCES children(id),
    decided        INTEGER NOT NULL,
    urgency_rank   INTEGER NOT NULL,
    decision_due   TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    doc            TEXT NOT NULL
) STRICT;
CREATE INDEX referrals_queue ON referrals(la_id, decided, urgency_rank, decision_due, received_at);
CREATE INDEX referrals_referrer ON referrals(referrer_id, received_at);
CREATE INDEX referrals_child ON referrals(child_id, received_at);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES practitioners(id),
    created_at   TEXT NOT NULL,
    text         TEXT NOT NULL,
    link         TEXT NOT NULL,
    read         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notifications_recipient ON notifications(recipient_id, created_at);
