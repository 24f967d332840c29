-- Concerns in settings' logs, referrals to the front door, and notifications to practitioners.
-- Each record is kept whole as jsonb (`doc`); the columns beside it are what lists filter and
-- sort by.

CREATE TABLE concerns (
    id          uuid PRIMARY KEY,
    setting_id  uuid NOT NULL REFERENCES agencies(id),
    recorded_by uuid NOT NULL REFERENCES practitioners(id),
    recorded_at timestamptz NOT NULL,
    doc         jsonb NOT NULL
);
CREATE INDEX concerns_setting ON concerns(setting_id, recorded_at);
CREATE INDEX concerns_recorder ON concerns(recorded_by, recorded_at);

CREATE TABLE referrals (
    id           uuid PRIMARY KEY,
    version      bigint NOT NULL,
    la_id        uuid NOT NULL REFERENCES agencies(id),
    referrer_id  uuid REFERENCES practitioners(id),
    child_id     uuid REFERENCES children(id),
    decided      boolean NOT NULL,
    urgency_rank integer NOT NULL,
    decision_due date NOT NULL,
    received_at  timestamptz NOT NULL,
    doc          jsonb NOT NULL
);
CREATE INDEX referrals_queue ON referrals(la_id, decided, urgency_rank, decision_due, received_at);
CREATE INDEX referrals_referrer ON referrals(referrer_id, received_at);
CREATE INDEX referrals_child ON referrals(child_id, received_at);

CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES practitioners(id),
    created_at   timestamptz NOT NULL,
    text         text NOT NULL,
    link         text NOT NULL,
    read         boolean NOT NULL DEFAULT false
);
CREATE INDEX notifications_recipient ON notifications(recipient_id, created_at);
