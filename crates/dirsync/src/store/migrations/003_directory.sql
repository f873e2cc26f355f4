-- The local directory: one row per user keyed by the immutable Azure AD object id (never UPN or mail,
-- so a renamed user stays the same entry). `seq` is an explicit integer key so the full-text index,
-- which refers to rows by integer, survives VACUUM.
CREATE TABLE users (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,       -- Azure AD object id
    upn             TEXT,                       -- userPrincipalName
    mail            TEXT,
    display_name    TEXT,                       -- Graph displayName (the Name field may map elsewhere)
    job_title       TEXT,
    department      TEXT,
    account_enabled INTEGER,                    -- 1 enabled, 0 disabled, NULL not reported
    user_type       TEXT,                       -- Member | Guest | NULL
    name            TEXT,                       -- mapped field "Name"
    phone           TEXT,                       -- mapped field "Phone number"
    phone_digits    TEXT,                       -- phone without punctuation, for search
    city            TEXT,                       -- mapped field "City"
    fields          TEXT NOT NULL,              -- JSON object: every mapped field -> value (built-in and added)
    raw             TEXT NOT NULL,              -- JSON object: merged selected Graph properties (rules, audit)
    added_at        TEXT NOT NULL,              -- RFC 3339 UTC
    changed_at      TEXT NOT NULL
) STRICT;

CREATE INDEX users_upn_lookup ON users (upn COLLATE NOCASE);
-- Sort indexes: empty values last, ties broken by id so paging is stable.
CREATE INDEX users_sort_name ON users (name IS NULL, name COLLATE NOCASE, id);
CREATE INDEX users_sort_upn ON users (upn IS NULL, upn COLLATE NOCASE, id);
CREATE INDEX users_sort_mail ON users (mail IS NULL, mail COLLATE NOCASE, id);
CREATE INDEX users_sort_phone ON users (phone IS NULL, phone COLLATE NOCASE, id);
CREATE INDEX users_sort_city ON users (city IS NULL, city COLLATE NOCASE, id);
CREATE INDEX users_sort_department ON users (department IS NULL, department COLLATE NOCASE, id);
CREATE INDEX users_sort_job_title ON users (job_title IS NULL, job_title COLLATE NOCASE, id);
CREATE INDEX users_sort_added ON users (added_at, id);
CREATE INDEX users_sort_changed ON users (changed_at, id);

-- Full-text search over the searchable columns, kept in step with `users` by triggers.
CREATE VIRTUAL TABLE users_fts USING fts5 (
    name, upn, mail, phone, phone_digits, city, department, job_title,
    content = 'users', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, name, upn, mail, phone, phone_digits, city, department, job_title)
    VALUES (new.seq, new.name, new.upn, new.mail, new.phone, new.phone_digits, new.city, new.department, new.job_title);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name, upn, mail, phone, phone_digits, city, department, job_title)
    VALUES ('delete', old.seq, old.name, old.upn, old.mail, old.phone, old.phone_digits, old.city, old.department, old.job_title);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name, upn, mail, phone, phone_digits, city, department, job_title)
    VALUES ('delete', old.seq, old.name, old.upn, old.mail, old.phone, old.phone_digits, old.city, old.department, old.job_title);
    INSERT INTO users_fts (rowid, name, upn, mail, phone, phone_digits, city, department, job_title)
    VALUES (new.seq, new.name, new.upn, new.mail, new.phone, new.phone_digits, new.city, new.department, new.job_title);
END;

-- Attribute mapping (Manage Mapping): one row per directory field, in display order.
CREATE TABLE mapping (
    position INTEGER PRIMARY KEY,
    field    TEXT NOT NULL UNIQUE COLLATE NOCASE,
    source   TEXT NOT NULL,                      -- Graph attribute, e.g. city, onPremisesExtensionAttributes.extensionAttribute3
    builtin  INTEGER NOT NULL CHECK (builtin IN (0, 1))
) STRICT;
INSERT INTO mapping (position, field, source, builtin) VALUES
    (1, 'Name', 'displayName', 1),
    (2, 'Phone number', 'mobilePhone', 1),
    (3, 'City', 'city', 1);

-- The Graph $select the stored delta link tracks (written by the sync engine when a full round
-- completes, cleared on reset). A mapping that needs more forces the next run to be a full round.
CREATE TABLE tracked_select (
    attribute TEXT PRIMARY KEY NOT NULL
) STRICT;
