//! The one redaction pass for everything that reaches the history or a log file: run events,
//! errors and change reasons when they are stored, and every line of an export again.
//!
//! It drops anything shaped like a credential or a sync token, whatever message carried it: an
//! `Authorization` header, `Bearer …`, a JWT (`eyJ….….…`), the values of `code=`, `code_verifier`,
//! `client_secret`, `refresh_token`/`access_token`/`id_token`, `client_assertion`, `password`, and
//! `$deltatoken=` / `$skiptoken=` (state, not credentials, but they let anyone resume the sync).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What replaces a removed value.
pub const REDACTED: &str = "[redacted]";

struct Rule {
    re: Regex,
    with: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |re: &str, with: &'static str| Rule {
        re: Regex::new(re).expect("redaction patterns are valid"),
        with,
    };
    vec![
        // Whole header lines first, so the scheme and the value both go.
        rule(
            r#"(?i)(proxy-)?authorization"?\s*[:=]\s*"?[^\r\n",;}]*"#,
            "${1}Authorization: [redacted]",
        ),
        rule(
            r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*",
            "$1 [redacted]",
        ),
        // JWT shapes (access and id tokens), even when nothing names them.
        rule(
            r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]*)?",
            "[redacted]",
        ),
        // Named secrets as query or form parameters, JSON members or `name: value` text.
        rule(
            r#"(?i)("?)\b(code_verifier|client_secret|client_assertion|refresh_token|access_token|id_token|password|code_challenge)("?\s*[=:]\s*"?)[^\s&"',;}]+"#,
            "$1$2$3[redacted]",
        ),
        // Delta and skip tokens inside links: keep the link readable, drop the state.
        rule(
            r#"(?i)(\$?(?:deltatoken|skiptoken)=)[^\s&"',;}]+"#,
            "$1[redacted]",
        ),
        // The authorization code: only as a parameter (`?code=…`, `&code=…`, ` code=…`), so that
        // prose such as "error code: 503" stays.
        rule(r#"(?i)(^|[?&\s"])(code=)[^\s&"',;}]+"#, "$1$2[redacted]"),
    ]
});

/// `text` with every credential-shaped part replaced by `[redacted]`; borrowed when clean.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.re.is_match(&out) {
            out = Cow::Owned(rule.re.replace_all(&out, rule.with).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn credentials_are_removed_and_prose_stays() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";
        let cases: &[(&str, &str)] = &[
            ("Authorization: Bearer abc.def", "Authorization: [redacted]"),
            (
                "sent bearer xyz123== to graph",
                "sent bearer [redacted] to graph",
            ),
            (
                "GET /users/delta?$deltatoken=Zx9_q&$select=id",
                "GET /users/delta?$deltatoken=[redacted]&$select=id",
            ),
            ("next $skiptoken=abc", "next $skiptoken=[redacted]"),
            (
                "redirect ?code=0.AAA-xyz&state=s1",
                "redirect ?code=[redacted]&state=s1",
            ),
            (
                "form code_verifier=vvv&client_secret=sss",
                "form code_verifier=[redacted]&client_secret=[redacted]",
            ),
            (
                r#"{"refresh_token":"r-1","ok":true}"#,
                r#"{"refresh_token":"[redacted]","ok":true}"#,
            ),
            ("client_secret: hunter2", "client_secret: [redacted]"),
            ("error code: 503 from Graph", "error code: 503 from Graph"),
            ("throttled: waiting 2.000 s", "throttled: waiting 2.000 s"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), *expected, "{input}");
        }
        let with_jwt = format!("token {jwt} expired");
        assert_eq!(redact(&with_jwt), "token [redacted] expired");
    }
}
