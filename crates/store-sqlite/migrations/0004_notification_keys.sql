-- A notification raised by a job carries a key, so it is raised once per item across restarts.
ALTER TABLE notifications ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX notifications_dedupe ON notifications(dedupe_key);
CREATE INDEX cases_state ON cases(state);
