-- Dynamic groups and the sync scope.
--
-- The sync scope (setting `sync_scope`, a membership rule) decides which Azure AD users enter the
-- directory. The scope a stored delta link was applied under is kept next to it: when the setting
-- differs, the next run is a full round (users outside the old scope were never stored).
-- NULL: no scope applied yet (directories synced before scopes existed held everyone).
ALTER TABLE sync_state ADD COLUMN scope TEXT;

-- Membership changes made outside sync runs (a rule created or edited, members picked by hand), so
-- an admin can see why someone joined or left a group. Sync runs log theirs in the run's changes.
CREATE TABLE group_changes (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,                     -- RFC 3339 UTC
    group_name TEXT NOT NULL,                     -- kept as text: the log outlives a deleted group
    cause      TEXT NOT NULL,                     -- created | rule changed | recomputed | by hand
    user_id    TEXT NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('joined', 'left'))
) STRICT;
CREATE INDEX group_changes_by_group ON group_changes (group_name COLLATE NOCASE, seq);
