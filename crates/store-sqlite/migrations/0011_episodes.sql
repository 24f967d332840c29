-- Early help and looked-after episodes, each kept whole as JSON beside the columns lists filter
-- by. A child has at most one open episode of each kind: the partial unique indexes say so, so
-- two workers starting one at once cannot both succeed.

CREATE TABLE early_help_episodes (
    id         TEXT PRIMARY KEY,
    child_id   TEXT NOT NULL REFERENCES children(id),
    lead_id    TEXT NOT NULL REFERENCES practitioners(id),
    version    INTEGER NOT NULL,
    started_on TEXT NOT NULL,
    closed_on  TEXT,
    doc        TEXT NOT NULL
) STRICT;
CREATE INDEX early_help_child ON early_help_episodes(child_id, started_on);
CREATE INDEX early_help_lead ON early_help_episodes(lead_id, started_on);
CREATE UNIQUE INDEX early_help_one_open ON early_help_episodes(child_id) WHERE closed_on IS NULL;

CREATE TABLE looked_after_episodes (
    id         TEXT PRIMARY KEY,
    child_id   TEXT NOT NULL REFERENCES children(id),
    version    INTEGER NOT NULL,
    started_on TEXT NOT NULL,
    ended_on   TEXT,
    doc        TEXT NOT NULL
) STRICT;
CREATE INDEX looked_after_child ON looked_after_episodes(child_id, started_on);
CREATE UNIQUE INDEX looked_after_one_open ON looked_after_episodes(child_id) WHERE ended_on IS NULL;
