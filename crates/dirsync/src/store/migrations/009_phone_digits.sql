-- `phone_digits` keeps only the phone's digits: search finds any run of them with instr() over this
-- column (directory/matching.rs). Every digit suffix, as before, made most of the full-text index's
-- size and of a first sync's index build time.

-- Rewriting every row through the update trigger would re-index the users one by one; the index is
-- rebuilt in one pass below instead.
DROP TRIGGER users_fts_update;

-- Exactly what directory::matching::digits_only gives: the ASCII digits in order, NULL when none.
UPDATE users SET phone_digits = NULLIF(
    replace(replace(replace(replace(replace(replace(phone, ' ', ''), '+', ''), '-', ''), '(', ''), ')', ''), '.', ''),
    '');
-- Phones with other characters ("ext.", "/", other scripts): keep the ASCII digits one character at a time.
CREATE TEMP TABLE phone_digits_009 (seq INTEGER PRIMARY KEY, digits TEXT);
INSERT INTO temp.phone_digits_009 (seq, digits)
WITH RECURSIVE walk (seq, rest, digits) AS (
    SELECT seq, phone_digits, '' FROM users WHERE phone_digits GLOB '*[^0-9]*'
    UNION ALL
    SELECT seq, substr(rest, 2),
           digits || CASE WHEN substr(rest, 1, 1) GLOB '[0-9]' THEN substr(rest, 1, 1) ELSE '' END
    FROM walk WHERE rest <> ''
)
SELECT seq, NULLIF(digits, '') FROM walk WHERE rest = '';
UPDATE users SET phone_digits = (SELECT digits FROM temp.phone_digits_009 t WHERE t.seq = users.seq)
WHERE seq IN (SELECT seq FROM temp.phone_digits_009);
DROP TABLE temp.phone_digits_009;

CREATE TRIGGER users_fts_update AFTER UPDATE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name, upn, mail, phone, phone_digits, city, department, job_title)
    VALUES ('delete', old.seq, old.name, old.upn, old.mail, old.phone, old.phone_digits, old.city, old.department, old.job_title);
    INSERT INTO users_fts (rowid, name, upn, mail, phone, phone_digits, city, department, job_title)
    VALUES (new.seq, new.name, new.upn, new.mail, new.phone, new.phone_digits, new.city, new.department, new.job_title);
END;

-- Phone search scans this narrow index instead of the table.
CREATE INDEX users_phone_digits ON users (phone_digits);

-- A larger pending-terms buffer for the one rebuild (as directory/bulk.rs does), then the default back.
INSERT INTO users_fts (users_fts, rank) VALUES ('hashsize', 33554432);
INSERT INTO users_fts (users_fts) VALUES ('rebuild');
INSERT INTO users_fts (users_fts, rank) VALUES ('hashsize', 1048576);
