-- Run history: one row per sync run (incl. previews and stopped runs), per-user change records and
-- run events. Change records of a Preview or NeedsApproval run describe what would have happened.
CREATE TABLE runs (
    id                  INTEGER PRIMARY KEY,
    trigger             TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'cli', 'reset')),
    status              TEXT NOT NULL CHECK (status IN ('running', 'success', 'failed', 'needs_approval', 'cancelled', 'preview')),
    preview             INTEGER NOT NULL DEFAULT 0 CHECK (preview IN (0, 1)),
    allow_deletes       INTEGER NOT NULL DEFAULT 0 CHECK (allow_deletes IN (0, 1)),
    full_round          INTEGER NOT NULL DEFAULT 0 CHECK (full_round IN (0, 1)),
    full_round_reason   TEXT,                       -- plain language, e.g. "first sync"
    started_at          TEXT NOT NULL,              -- RFC 3339 UTC
    ended_at            TEXT,
    delta_link_age_secs INTEGER,                    -- age of the stored deltaLink at start; NULL: none stored
    added               INTEGER NOT NULL DEFAULT 0,
    updated             INTEGER NOT NULL DEFAULT 0,
    removed             INTEGER NOT NULL DEFAULT 0,
    unchanged           INTEGER NOT NULL DEFAULT 0,
    failed              INTEGER NOT NULL DEFAULT 0,
    group_joined        INTEGER NOT NULL DEFAULT 0, -- group memberships added
    group_left          INTEGER NOT NULL DEFAULT 0, -- group memberships removed
    pages               INTEGER NOT NULL DEFAULT 0,
    users_seen          INTEGER NOT NULL DEFAULT 0, -- delta items received (duplicates included)
    retries             INTEGER NOT NULL DEFAULT 0,
    throttle_waits      INTEGER NOT NULL DEFAULT 0,
    throttle_seconds    REAL NOT NULL DEFAULT 0,
    deletion_threshold  INTEGER,                    -- the guard's limit for this run
    error               TEXT                        -- plain language; never a token or a link
) STRICT;
CREATE INDEX runs_by_start ON runs (started_at DESC, id DESC);
CREATE INDEX runs_by_status ON runs (status);

CREATE TABLE run_changes (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    user_id    TEXT NOT NULL,
    name       TEXT,
    upn        TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('added', 'updated', 'removed', 'joined', 'left', 'failed')),
    reason     TEXT,                -- removed: soft | hard | swept; failed: the error
    group_name TEXT,                -- joined / left
    detail     TEXT NOT NULL DEFAULT '{}', -- JSON: added {"fields":{..}}; updated {"changes":[{field,old,new}]}
    PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_changes_by_user ON run_changes (user_id, run_id);

CREATE TABLE run_events (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('retry', 'throttled', 'token_renewed', 'full_round', 'swept',
                                          'deletion_guard', 'cancelled', 'failed', 'info')),
    message TEXT NOT NULL,
    attempt INTEGER,
    seconds REAL,
    PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;
