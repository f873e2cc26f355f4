-- Fewer and narrower indexes on `users`. A first sync builds all of them after loading the users,
-- so each one is paid for in its time and in the size of the one transaction it commits
-- (BENCHMARKS.md, wave 5).

-- The list's ORDER BY is (col IS NULL, col COLLATE NOCASE, tiebreak): these two never served it.
DROP INDEX users_sort_added;
DROP INDEX users_sort_changed;
-- Lookups by UPN use users_sort_upn (`(upn IS NULL) = 0 AND upn = ? COLLATE NOCASE`).
DROP INDEX users_upn_lookup;

-- Ties broken by `seq`, the row id every index entry already ends with, instead of a second copy
-- of the 36-character object id: paging stays stable, the entries are less than half the size.
DROP INDEX users_sort_name;
DROP INDEX users_sort_upn;
DROP INDEX users_sort_mail;
DROP INDEX users_sort_phone;
DROP INDEX users_sort_city;
DROP INDEX users_sort_department;
DROP INDEX users_sort_job_title;
CREATE INDEX users_sort_name ON users (name IS NULL, name COLLATE NOCASE);
CREATE INDEX users_sort_upn ON users (upn IS NULL, upn COLLATE NOCASE);
CREATE INDEX users_sort_mail ON users (mail IS NULL, mail COLLATE NOCASE);
CREATE INDEX users_sort_phone ON users (phone IS NULL, phone COLLATE NOCASE);
CREATE INDEX users_sort_city ON users (city IS NULL, city COLLATE NOCASE);
CREATE INDEX users_sort_department ON users (department IS NULL, department COLLATE NOCASE);
CREATE INDEX users_sort_job_title ON users (job_title IS NULL, job_title COLLATE NOCASE);

-- The full-text index without `phone_digits` (phone-like text is matched with instr() over that
-- column, directory/matching.rs) and without per-row column sizes (used only for bm25 ranking,
-- which search does not do): a rebuild takes about half the time.
DROP TRIGGER users_fts_insert;
DROP TRIGGER users_fts_delete;
DROP TRIGGER users_fts_update;
DROP TABLE users_fts;
CREATE VIRTUAL TABLE users_fts USING fts5 (
    name, upn, mail, phone, city, department, job_title,
    content = 'users', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3',
    columnsize = 0
);
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, name, upn, mail, phone, city, department, job_title)
    VALUES (new.seq, new.name, new.upn, new.mail, new.phone, new.city, new.department, new.job_title);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name, upn, mail, phone, city, department, job_title)
    VALUES ('delete', old.seq, old.name, old.upn, old.mail, old.phone, old.city, old.department, old.job_title);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name, upn, mail, phone, city, department, job_title)
    VALUES ('delete', old.seq, old.name, old.upn, old.mail, old.phone, old.city, old.department, old.job_title);
    INSERT INTO users_fts (rowid, name, upn, mail, phone, city, department, job_title)
    VALUES (new.seq, new.name, new.upn, new.mail, new.phone, new.city, new.department, new.job_title);
END;

-- A larger pending-terms buffer for the one rebuild (as directory/bulk.rs does), then the default back.
INSERT INTO users_fts (users_fts, rank) VALUES ('hashsize', 33554432);
INSERT INTO users_fts (users_fts) VALUES ('rebuild');
INSERT INTO users_fts (users_fts, rank) VALUES ('hashsize', 1048576);
