-- Groups of the local directory: the built-in Employee network (every synced user), dynamic groups
-- (membership computed from a rule over the user's raw attributes) and static groups (hand-picked).
CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind        TEXT NOT NULL CHECK (kind IN ('builtin', 'dynamic', 'static')),
    description TEXT NOT NULL DEFAULT '',
    rule        TEXT,                       -- dynamic groups only: the membership rule text
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK ((kind = 'dynamic') = (rule IS NOT NULL))
) STRICT;

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
-- "Which groups is this user in" (detail panel, removal) without scanning every group.
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

INSERT INTO groups (name, kind, description, created_at, updated_at)
VALUES ('Employee network', 'builtin', 'Every user synced from Azure AD',
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
