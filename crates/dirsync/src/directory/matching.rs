//! Which users a search text matches, as SQL over `users u` with bound parameters (so no user input is
//! ever parsed as FTS syntax or spliced into SQL). Shared by the Directory page's search and the CSV
//! export of the matching users.
//!
//! Every word must match the start of a word in an indexed column (full-text index). Phone-like text
//! (digits and phone punctuation only) also matches a user whose digits-only phone contains the text's
//! digits anywhere, whatever the punctuation on either side: `instr` over `users.phone_digits`, read
//! from its narrow index, so the index does not have to hold every digit suffix.

use rusqlite::types::Value as SqlValue;

/// The columns of `users_fts` other than `phone` (see [`Matching::parse`]).
const NON_PHONE_COLUMNS: &str = "{name upn mail city department job_title}";

/// A search text that has something to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Matching {
    /// The FTS5 query: every word a quoted prefix term, ANDed.
    fts: String,
    /// The digits of phone-like text.
    digits: Option<String>,
}

/// The ASCII digits of `text`, in order: `users.phone_digits` of a phone (migration 009 computes the
/// same for existing rows) and the digits a phone-like search looks for.
pub(super) fn digits_only(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

impl Matching {
    /// `None` when the text has no word to search for (the list then shows everyone).
    pub(super) fn parse(text: &str) -> Option<Self> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        if words.is_empty() {
            return None;
        }
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = if phone_like { digits_only(text) } else { None };
        let fts = match (&digits, words.as_slice()) {
            // One run of digits that starts a word of the phone is inside the phone's digits, which
            // `instr` finds anyway; leaving that column out keeps the full-text part from listing
            // nearly every user for "5".
            (Some(_), [word]) => format!("{NON_PHONE_COLUMNS} : {word}"),
            _ => words.join(" AND "),
        };
        Some(Self { fts, digits })
    }

    /// Whether finding the matches reads the whole phone index (phone-like text).
    pub(super) fn scans_phones(&self) -> bool {
        self.digits.is_some()
    }

    /// The number of matching users.
    pub(super) fn count_sql(&self, args: &mut Vec<SqlValue>) -> String {
        let fts = push(args, &self.fts);
        match &self.digits {
            // The index holds exactly one row per user (triggers), so matches are counted there.
            None => format!("SELECT count(*) FROM users_fts WHERE users_fts MATCH {fts}"),
            // One pass over the narrow phone index, plus the full-text matches it did not count (no
            // set of row ids to build, which is what made "5" slow).
            Some(digits) => {
                let digits = push(args, digits);
                format!(
                    "SELECT (SELECT count(*) FROM users WHERE instr(phone_digits, {digits}) > 0)
                          + (SELECT count(*) FROM users_fts f CROSS JOIN users u ON u.seq = f.rowid
                             WHERE users_fts MATCH {fts} AND coalesce(instr(u.phone_digits, {digits}), 0) = 0)"
                )
            }
        }
    }

    /// A condition on `users u` that holds for the matching users. `walk`: the caller walks a sort
    /// index and tests each entry (many matches); otherwise the matches are looked up by row id (few).
    pub(super) fn condition(&self, walk: bool, args: &mut Vec<SqlValue>) -> String {
        let fts = push(args, &self.fts);
        let in_fts = format!("SELECT rowid FROM users_fts WHERE users_fts MATCH {fts}");
        match (&self.digits, walk) {
            // `+` keeps SQLite from looking the matches up by row id, so it walks the index.
            (None, true) => format!("+u.seq IN ({in_fts})"),
            (None, false) => format!("u.seq IN ({in_fts})"),
            (Some(digits), true) => {
                let digits = push(args, digits);
                format!("(instr(u.phone_digits, {digits}) > 0 OR +u.seq IN ({in_fts}))")
            }
            (Some(digits), false) => {
                let digits = push(args, digits);
                format!(
                    "u.seq IN (SELECT seq FROM users WHERE instr(phone_digits, {digits}) > 0
                               UNION ALL {in_fts})"
                )
            }
        }
    }
}

/// Appends a bound text parameter; returns its placeholder.
fn push(args: &mut Vec<SqlValue>, value: &str) -> String {
    args.push(SqlValue::Text(value.to_string()));
    format!("?{}", args.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full-text query and the phone digits a text gives.
    type Parsed<'a> = Option<(&'a str, Option<&'a str>)>;

    #[test]
    fn words_are_quoted_prefix_terms_and_phone_text_keeps_its_digits() {
        let cases: &[(&str, Parsed)] = &[
            ("", None),
            ("  -()+ ", None),
            ("megan", Some(("\"megan\"*", None))),
            ("sofia nguyen", Some(("\"sofia\"* AND \"nguyen\"*", None))),
            ("a\"b", Some(("\"a\"* AND \"b\"*", None))),
            ("ana OR *", Some(("\"ana\"* AND \"OR\"*", None))),
            (
                "5",
                Some((
                    "{name upn mail city department job_title} : \"5\"*",
                    Some("5"),
                )),
            ),
            (
                "+1 (206) 555-01.4",
                Some((
                    "\"1\"* AND \"206\"* AND \"555\"* AND \"01\"* AND \"4\"*",
                    Some("1206555014"),
                )),
            ),
            (
                "206 555 x",
                Some(("\"206\"* AND \"555\"* AND \"x\"*", None)),
            ),
            ("٣٤٥", Some(("\"٣٤٥\"*", None))),
        ];
        for (text, expected) in cases {
            let got = Matching::parse(text);
            let expected = expected.map(|(fts, digits)| Matching {
                fts: fts.to_string(),
                digits: digits.map(str::to_string),
            });
            assert_eq!(got, expected, "{text:?}");
        }
    }

    #[test]
    fn digits_only_keeps_ascii_digits_in_order() {
        let cases = [
            ("+1 (425) 555-0101", Some("14255550101")),
            ("ext. 12/3", Some("123")),
            ("０１٣", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(digits_only(text).as_deref(), expected, "{text:?}");
        }
    }
}
