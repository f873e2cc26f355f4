-- Key/value settings: tenant configuration, schedule, thresholds.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
