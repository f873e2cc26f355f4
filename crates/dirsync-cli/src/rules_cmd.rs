//! `dirsync rules check|eval`: validate a dynamic-membership rule, or run it over a Graph users file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dirsync::rules;
use serde_json::Value;

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Check that RULE is a valid rule: exit 0 if it is, 1 with the error if not.
    Check {
        /// The rule text, e.g. 'user.department -eq "Sales"'.
        #[arg(allow_hyphen_values = true)] // rules may start with -not
        rule: String,
    },
    /// Print the ids of the users in FILE that RULE matches, one per line.
    Eval {
        #[arg(allow_hyphen_values = true)]
        rule: String,
        /// Graph users as JSON: an array of user objects, or a page such as {"value": [...]}.
        #[arg(long)]
        users: PathBuf,
    },
}

/// Exit codes: 0 success, 1 invalid rule, 2 unusable users file.
pub fn run(cmd: RulesCommand) -> ExitCode {
    let code = run_with(
        cmd,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}

fn run_with(cmd: RulesCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    // Write errors (a closed pipe) are not worth a different exit code.
    match cmd {
        RulesCommand::Check { rule } => match rules::parse(&rule) {
            Ok(_) => {
                let _ = writeln!(out, "valid");
                0
            }
            Err(e) => {
                let _ = writeln!(err, "{}", e.render(&rule));
                1
            }
        },
        RulesCommand::Eval { rule, users } => {
            let compiled = match rules::parse(&rule) {
                Ok(r) => r,
                Err(e) => {
                    let _ = writeln!(err, "{}", e.render(&rule));
                    return 1;
                }
            };
            let users = match load_users(&users) {
                Ok(u) => u,
                Err(msg) => {
                    let _ = writeln!(err, "{msg}");
                    return 2;
                }
            };
            for (i, user) in users.iter().enumerate() {
                if !compiled.matches(user) {
                    continue;
                }
                match user.get("id").and_then(Value::as_str) {
                    Some(id) => {
                        let _ = writeln!(out, "{id}");
                    }
                    None => {
                        let _ = writeln!(err, "warning: matching user #{i} has no \"id\"; skipped");
                    }
                }
            }
            0
        }
    }
}

/// Reads an array of users or a Graph page (`{"value": [...]}`).
fn load_users(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| format!("users file {} is not valid JSON: {e}", path.display()))?;
    match json {
        Value::Array(users) => Ok(users),
        Value::Object(mut page) => match page.remove("value") {
            Some(Value::Array(users)) => Ok(users),
            _ => Err(format!(
                "users file {} is an object without a \"value\" array; expected [...] or {{\"value\": [...]}}",
                path.display()
            )),
        },
        _ => Err(format!(
            "users file {} must hold an array of users or {{\"value\": [...]}}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_capture(cmd: RulesCommand) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(cmd, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn users_file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn check_valid_and_invalid() {
        let (code, out, _) = run_capture(RulesCommand::Check {
            rule: r#"user.department -eq "Sales""#.into(),
        });
        assert_eq!((code, out.as_str()), (0, "valid\n"));

        let (code, out, err) = run_capture(RulesCommand::Check {
            rule: r#"user.department -eq "Sales" user.city -eq "x""#.into(),
        });
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert!(err.contains("missing -and or -or"), "{err}");
        assert!(err.ends_with(&format!("{}^\n", " ".repeat(28))), "{err}");
    }

    #[test]
    fn eval_prints_matching_ids_from_an_array_or_a_page() {
        let users = r#"[{"id":"1","department":"Sales"},{"id":"2","department":"HR"},{"id":"3","department":"sales"}]"#;
        for text in [
            users.to_owned(),
            format!(r#"{{"@odata.context":"x","value":{users}}}"#),
        ] {
            let f = users_file(&text);
            let (code, out, err) = run_capture(RulesCommand::Eval {
                rule: r#"user.department -eq "Sales""#.into(),
                users: f.path().into(),
            });
            assert_eq!((code, out.as_str(), err.as_str()), (0, "1\n3\n", ""));
        }
    }

    #[test]
    fn eval_with_a_bad_file_exits_2() {
        let rule = r#"user.department -eq "Sales""#.to_owned();
        for text in ["not json", r#"{"users": []}"#, "42"] {
            let f = users_file(text);
            let (code, _, err) = run_capture(RulesCommand::Eval {
                rule: rule.clone(),
                users: f.path().into(),
            });
            assert_eq!(code, 2, "{text}: {err}");
            assert!(err.contains("users file"), "{err}");
        }
        let (code, _, err) = run_capture(RulesCommand::Eval {
            rule,
            users: "/nonexistent/users.json".into(),
        });
        assert_eq!(code, 2);
        assert!(err.contains("cannot read users file"), "{err}");
    }

    #[test]
    fn eval_with_a_bad_rule_exits_1() {
        let f = users_file("[]");
        let (code, _, err) = run_capture(RulesCommand::Eval {
            rule: "user.nope -eq 1".into(),
            users: f.path().into(),
        });
        assert_eq!(code, 1);
        assert!(err.contains("Attribute not supported"), "{err}");
    }
}
