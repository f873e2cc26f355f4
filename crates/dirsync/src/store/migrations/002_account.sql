-- The signed-in account (at most one). Tokens are never stored here: the refresh token lives in
-- the OS keychain (or a 0600 file where none exists) and access tokens only in memory.
CREATE TABLE account (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    mode             TEXT NOT NULL CHECK (mode IN ('user', 'app')),
    -- The configuration signed in with; a change to any of these settings requires a new sign-in.
    authority        TEXT NOT NULL,
    tenant           TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    graph_url        TEXT NOT NULL,
    -- Who and where, as read from /me and /organization after sign-in.
    tenant_id        TEXT NOT NULL,
    tenant_name      TEXT NOT NULL,
    user_id          TEXT,
    username         TEXT,
    display_name     TEXT,
    signed_in_at     TEXT NOT NULL,
    -- Set when silent renewal failed for good: the reason shown to the user until they sign in again.
    sign_in_required TEXT
) STRICT;
