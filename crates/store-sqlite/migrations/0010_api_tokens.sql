-- API tokens for agency systems. Only the SHA-256 of the secret is kept (architecture, security
-- model); the token itself, with its agency and scopes, is kept whole as JSON.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    agency_id   TEXT NOT NULL REFERENCES agencies(id),
    created_at  TEXT NOT NULL,
    doc         TEXT NOT NULL
) STRICT;
