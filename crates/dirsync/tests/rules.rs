//! Table-driven tests for the dynamic-membership rule language. The tables live in
//! `data/rules_cases.txt` (rules and who matches, or the expected error) and `data/rules_users.json`.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use dirsync::rules::{self, parse, Rule, RuleErrorKind, MAX_RULE_CHARS};
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn users() -> BTreeMap<String, Value> {
    serde_json::from_str(include_str!("data/rules_users.json")).expect("users table is valid JSON")
}

/// The one assertion every table row goes through.
fn check(rule: &str, user: &Value, expected: bool) {
    let compiled = parse(rule).unwrap_or_else(|e| panic!("{}", e.render(rule)));
    let got = compiled.matches_at(user, now());
    assert_eq!(
        got, expected,
        "rule `{rule}` on user {} should be {expected}",
        user["id"]
    );
    // explain() must agree with matches().
    assert_eq!(
        compiled.explain_at(user, now()).matched,
        expected,
        "explain of `{rule}`"
    );
}

enum Case {
    Matches(String, Vec<String>),
    Error {
        rule: String,
        kind: String,
        position: usize,
        message: String,
    },
}

fn cases() -> Vec<(usize, Case)> {
    let mut out = Vec::new();
    for (n, line) in include_str!("data/rules_cases.txt").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (rule, rhs) = line
            .rsplit_once(" => ")
            .unwrap_or_else(|| panic!("line {}: no ' => '", n + 1));
        if let Some(rule) = rule.strip_prefix("! ") {
            let (kind, rest) = rhs.split_once(" @ ").expect("Kind @ pos : message");
            let (pos, message) = rest.split_once(" : ").expect("pos : message");
            out.push((
                n + 1,
                Case::Error {
                    rule: rule.to_owned(),
                    kind: kind.trim().to_owned(),
                    position: pos.trim().parse().expect("position"),
                    message: message.trim().to_owned(),
                },
            ));
        } else {
            let rule = rule.strip_prefix("[MS] ").unwrap_or(rule).to_owned();
            let who = rhs
                .split_whitespace()
                .filter(|w| *w != "-")
                .map(str::to_owned)
                .collect();
            out.push((n + 1, Case::Matches(rule, who)));
        }
    }
    out
}

#[test]
fn table_of_matches() {
    let users = users();
    let mut count = 0;
    for (line, case) in cases() {
        let Case::Matches(rule, who) = case else {
            continue;
        };
        for w in &who {
            assert!(users.contains_key(w), "line {line}: unknown user {w}");
        }
        for (name, user) in &users {
            check(&rule, user, who.contains(name));
        }
        count += 1;
    }
    assert!(count > 100, "only {count} match cases");
}

#[test]
fn table_of_errors() {
    let mut count = 0;
    for (line, case) in cases() {
        let Case::Error {
            rule,
            kind,
            position,
            message,
        } = case
        else {
            continue;
        };
        let err = match parse(&rule) {
            Ok(_) => panic!("line {line}: `{rule}` should not parse"),
            Err(e) => e,
        };
        let ctx = format!("line {line}: `{rule}`:\n{}", err.render(&rule));
        assert_eq!(format!("{:?}", err.kind), kind, "{ctx}");
        assert_eq!(err.position, position, "{ctx}");
        assert!(err.message.contains(&message), "{ctx}");
        assert!(
            err.expected.is_some(),
            "{ctx}: every error says what was expected"
        );
        // The caret line points at the position.
        let rendered = err.render(&rule);
        let caret = rendered.lines().last().unwrap();
        assert_eq!(caret.trim_start(), "^", "{ctx}");
        assert_eq!(caret.len() - 1, position, "{ctx}");
        count += 1;
    }
    assert!(count > 30, "only {count} error cases");
}

#[test]
fn render_puts_the_caret_under_the_place() {
    let rule = r#"user.department -eq "Sales" user.city -eq "Seattle""#;
    let err = parse(rule).unwrap_err();
    assert_eq!(
        err.render(rule),
        "Query compilation error: missing -and or -or between expressions at position 28; expected -and or -or\n\
         user.department -eq \"Sales\" user.city -eq \"Seattle\"\n\
         \x20                           ^"
    );
    assert_eq!(
        err.to_string(),
        "Query compilation error: missing -and or -or between expressions at position 28"
    );

    // Multi-line rules: the caret goes under the line holding the error, at its column.
    let rule = "user.department -eq \"Sales\" -and\n  user.foo -eq \"x\"";
    let err = parse(rule).unwrap_err();
    assert_eq!(err.kind, RuleErrorKind::UnknownProperty);
    assert_eq!(err.position, 35);
    let rendered = err.render(rule);
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines[1], "  user.foo -eq \"x\"");
    assert_eq!(lines[2], "  ^");

    // Positions count chars, not bytes.
    let rule = "user.displayName -eq \"Ångström\" user.city -eq \"x\"";
    let err = parse(rule).unwrap_err();
    assert_eq!(err.position, 32);
    assert!(err
        .render(rule)
        .ends_with(&format!("\n{}^", " ".repeat(32))));
}

#[test]
fn unknown_property_suggests_a_close_name() {
    let err = parse(r#"user.departmnet -eq "x""#).unwrap_err();
    assert_eq!(
        err.expected.as_deref(),
        Some("a supported user property, e.g. user.department")
    );
}

#[test]
fn length_limit_is_3072_characters() {
    let clause = r#"user.department -eq "Sales""#;
    let mut rule = clause.to_owned();
    while rule.len() + 5 + clause.len() <= MAX_RULE_CHARS {
        rule.push_str(" -or ");
        rule.push_str(clause);
    }
    // Pad to exactly the limit with spaces inside the last string (still a valid rule).
    let pad = MAX_RULE_CHARS - rule.chars().count();
    let at_limit = format!("{}{}\"", &rule[..rule.len() - 1], " ".repeat(pad));
    assert_eq!(at_limit.chars().count(), MAX_RULE_CHARS);
    assert!(parse(&at_limit).is_ok());

    let over = format!("{at_limit} ");
    let err = parse(&over).unwrap_err();
    assert_eq!(err.kind, RuleErrorKind::TooLong);
    assert_eq!(err.position, MAX_RULE_CHARS);
    assert!(err.message.contains("3073"), "{}", err.message);
    assert!(err.render(&over).ends_with('^'));
}

#[test]
fn empty_rule_is_an_error() {
    for rule in ["", "   ", "\n\t"] {
        let err = parse(rule).unwrap_err();
        assert_eq!(err.kind, RuleErrorKind::Empty);
        assert_eq!(err.position, 0);
    }
}

#[test]
fn explain_reports_each_comparison_with_the_users_value() {
    let rule = parse(
        r#"(user.department -eq "Sales") -and -not (user.jobTitle -startsWith "SDE") -or user.otherMails -any (_ -contains "fabrikam")"#,
    )
    .unwrap();
    let users = users();
    let e = rule.explain_at(&users["alice"], now());
    assert!(e.matched);
    let summary: Vec<(&str, bool, Option<&str>)> = e
        .terms
        .iter()
        .map(|t| (t.text.as_str(), t.matched, t.actual.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (r#"user.department -eq "Sales""#, true, Some("Sales")),
            (r#"user.jobTitle -startsWith "SDE""#, true, Some("SDE II")),
            (
                r#"user.otherMails -any (_ -contains "fabrikam")"#,
                true,
                Some(r#"["alice@fabrikam.com","ALICE.alt@Contoso.com"]"#)
            ),
        ]
    );
    assert_eq!(e.terms[0].span, (1, 28));
    assert_eq!(&rule.text()[1..28], e.terms[0].text);

    let e = rule.explain_at(&users["dave"], now());
    assert!(!e.matched);
    assert_eq!(e.terms[0].actual, None);
    assert!(e.terms.iter().all(|t| !t.matched));
}

#[test]
fn graph_properties_are_the_select_names() {
    let rule = parse(
        r#"user.department -eq "x" -and user.JOBTITLE -eq "y" -and user.extensionAttribute3 -eq "z" -and user.extensionAttribute4 -eq "z"
           -and user.extension_abc_costCenter -eq "1" -and user.mobile -eq "1" -and user.telephoneNumber -eq "2"
           -and user.physicalDeliveryOfficeName -eq "3" -and user.sipProxyAddress -ne null -and user.department -ne "q"
           -and user.assignedPlans -any (assignedPlan.service -eq "exchange") -and user.objectId -ne null"#,
    )
    .unwrap();
    assert_eq!(
        rule.graph_properties(),
        [
            "assignedPlans",
            "businessPhones",
            "department",
            "extension_abc_costCenter",
            "id",
            "jobTitle",
            "mobilePhone",
            "officeLocation",
            "onPremisesExtensionAttributes",
            "proxyAddresses",
        ]
    );
    let other = parse(r#"user.city -eq "x" -or user.department -eq "y""#).unwrap();
    assert_eq!(
        rules::graph_properties_of([&rule, &other]).len(),
        rule.graph_properties().len() + 1
    );
}

#[test]
fn supported_properties_cover_the_spec_table() {
    let names: Vec<&str> = rules::supported_properties()
        .iter()
        .map(|p| p.name)
        .collect();
    for name in [
        "accountEnabled",
        "dirSyncEnabled",
        "employeeHireDate",
        "city",
        "country",
        "companyName",
        "department",
        "displayName",
        "employeeId",
        "givenName",
        "jobTitle",
        "mail",
        "mailNickname",
        "mobile",
        "objectId",
        "onPremisesDistinguishedName",
        "onPremisesSecurityIdentifier",
        "passwordPolicies",
        "physicalDeliveryOfficeName",
        "postalCode",
        "preferredLanguage",
        "sipProxyAddress",
        "state",
        "streetAddress",
        "surname",
        "telephoneNumber",
        "usageLocation",
        "userPrincipalName",
        "userType",
        "otherMails",
        "proxyAddresses",
        "assignedPlans",
        "extensionAttribute1",
        "extensionAttribute15",
        "employeeType",
        "facsimileTelephoneNumber",
    ] {
        assert!(names.contains(&name), "{name} missing");
        let rule = format!("user.{name} -eq null");
        parse(&rule).unwrap_or_else(|e| panic!("{}", e.render(&rule)));
    }
    assert!(!names.contains(&"memberOf"));
}

#[test]
fn matches_uses_the_real_clock_for_system_now() {
    let rule = parse("user.employeeHireDate -le system.now").unwrap();
    assert!(rule.matches(&json!({"employeeHireDate": "2001-01-01T00:00:00Z"})));
    assert!(!rule.matches(&json!({"employeeHireDate": "2999-01-01T00:00:00Z"})));
    assert!(!rule.matches(&json!({"employeeHireDate": "not a date"})));
}

#[test]
fn users_that_are_not_objects_match_nothing_but_null_tests() {
    let rule = parse(r#"user.department -eq "Sales""#).unwrap();
    assert!(!rule.matches(&json!(null)));
    assert!(!rule.matches(&json!([1, 2])));
    assert!(parse("user.department -eq null")
        .unwrap()
        .matches(&json!("x")));
}

#[test]
fn multi_valued_extension_values_do_not_match() {
    let rule = parse(r#"user.extension_abc_tags -eq "a""#).unwrap();
    assert!(!rule.matches(&json!({"extension_abc_tags": ["a"]})));
    assert!(rule.matches(&json!({"extension_abc_tags": "A"})));
}

#[test]
fn rule_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_traits::<Rule>();
    assert_traits::<rules::RuleError>();
}

#[test]
fn evaluate_all_returns_matching_indices_per_rule() {
    let users: Vec<Value> = (0..5000)
        .map(|i| {
            json!({
                "id": format!("u{i}"),
                "department": if i % 2 == 0 { "Sales" } else { "Marketing" },
                "accountEnabled": i % 3 != 0,
            })
        })
        .collect();
    let rules = [
        parse(r#"user.department -eq "sales""#).unwrap(),
        parse("user.accountEnabled -eq false").unwrap(),
    ];
    let hits = rules::evaluate_all(&rules, &users);
    assert_eq!(hits[0], (0..5000).step_by(2).collect::<Vec<_>>());
    assert_eq!(hits[1], (0..5000).step_by(3).collect::<Vec<_>>());
}

#[test]
fn rule_set_agrees_with_single_rule_evaluation() {
    let users = users();
    let rules: Vec<Rule> = cases()
        .into_iter()
        .filter_map(|(_, c)| match c {
            Case::Matches(rule, _) => Some(parse(&rule).unwrap()),
            Case::Error { .. } => None,
        })
        .collect();
    let set = rules::RuleSet::new(&rules);
    let mut row = vec![false; rules.len()];
    for user in users.values() {
        set.matches_into(user, now(), &mut row);
        for (rule, &hit) in rules.iter().zip(&row) {
            assert_eq!(
                hit,
                rule.matches_at(user, now()),
                "`{}` on {}",
                rule.text(),
                user["id"]
            );
        }
    }
}
