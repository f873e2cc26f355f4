-- Sync state: the deltaLink of the last applied round and when it was obtained. The link holds an
-- opaque $deltatoken: it is state, not a credential, but it never goes into logs or events.
-- It changes only in the transaction that applies a whole round to the directory.
CREATE TABLE sync_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    delta_link    TEXT,
    delta_link_at TEXT,                 -- RFC 3339 UTC: when the round that returned it completed
    CHECK ((delta_link IS NULL) = (delta_link_at IS NULL))
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

-- Who is running a sync (one at a time, app and CLI alike). Liveness is an OS file lock on
-- `sync.lock` in the data directory, released by the OS when the holder dies; this row says who
-- holds it. A row whose file lock is free is left over from a crash.
CREATE TABLE sync_lock (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    run_id      INTEGER NOT NULL,
    trigger     TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at TEXT NOT NULL
) STRICT;
