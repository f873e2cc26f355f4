-- AAD sync history: Reset sync is recorded as an entry of its own (kind 'reset', the admin's
-- trigger, status 'success'), next to the sync runs (kind 'sync'). Retention prunes by start time.
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'sync' CHECK (kind IN ('sync', 'reset'));
CREATE INDEX runs_by_kind_status ON runs (kind, status, id);
