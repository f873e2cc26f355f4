//! Groups (issue 7) in the real window, on a tenant signed in and synced through the core:
//! create the Finance Senior Managers dynamic group by typing its rule, see the live preview count
//! the emulator's matching people, save, find it listed with that many members, and open it to
//! find a known member; a broken rule is marked inline as you type.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs them.

use dirsync_e2e::tenant::Tenant;
use dirsync_e2e::window::{self, Window};
use serde_json::Value;

const RULE: &str = r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")"#;
const GROUP: &str = "Finance Senior Managers";

/// The emulator's users the rule selects under the default sync scope (members only), by name.
fn senior_finance(tenant: &Tenant) -> Vec<String> {
    let mut names: Vec<String> = tenant
        .emulator()
        .control()
        .users_snapshot()
        .iter()
        .filter(|u: &&Value| {
            u["userType"] == "Member"
                && u["jobTitle"] == "Senior Manager"
                && u["department"] == "Finance"
        })
        .map(|u| u["displayName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn people(n: usize) -> String {
    if n == 1 {
        "1 person".into()
    } else {
        format!("{n} people")
    }
}

async fn new_dynamic_group(w: &Window) {
    w.open_page("groups").await;
    w.click("#group-new-dynamic").await;
    w.find("#group-rule").await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_dynamic_group_from_a_typed_rule_lists_its_members() {
    let tenant = Tenant::start(160);
    let expected = senior_finance(&tenant);
    assert!(
        expected.len() >= 2,
        "the generated tenant has senior finance managers"
    );
    let n = expected.len();
    window::run_with(
        "a_dynamic_group_from_a_typed_rule_lists_its_members",
        |dir| {
            tenant.signed_in_and_synced(dir);
        },
        async |w| {
            new_dynamic_group(w).await;
            w.click("#group-name").await;
            w.press(GROUP).await;
            w.click("#group-description").await;
            w.press("Senior managers in Finance").await;
            w.click("#group-rule").await;
            w.press(RULE).await;
            w.wait_for_text("#rule-preview", &format!("Matches {}", people(n)))
                .await;
            // The preview lists who the rule selects, before anything is saved.
            w.wait_for_text_containing("#group-members", &expected[0])
                .await;
            w.click("#group-save").await;

            let item = format!("#groups-list .group-item[data-group=\"{GROUP}\"]");
            let text = w
                .wait_for_text_containing(&item, &format!("{n} members"))
                .await;
            assert!(text.contains("Dynamic"), "{text}");
            w.wait_for_text_containing("#group-status", &format!("Saved · +{n} −0"))
                .await;

            // Open it from the list: the members include a known one, and the saved rule
            // previews as no change.
            w.open_page("directory").await;
            w.open_page("groups").await;
            w.click(&item).await;
            w.wait_for_text_containing("#group-summary", &format!("{n} members"))
                .await;
            let members = w
                .wait_for_text_containing("#group-members", &expected[n - 1])
                .await;
            for name in &expected {
                assert!(members.contains(name.as_str()), "{name} in {members}");
            }
            w.wait_for_text(
                "#rule-preview",
                &format!("Matches {} · +0 −0 against the saved rule", people(n)),
            )
            .await;

            // Selecting a member explains the rule for them.
            // Below the editor: bring it into view first, as a user scrolls to it.
            w.client()
                .execute(
                    "document.querySelector('#group-members .person').scrollIntoView({block: 'center'})",
                    vec![],
                )
                .await
                .unwrap();
            w.click("#group-members .person").await;
            let why = w.wait_for_text_containing("#rule-explain", "matches").await;
            assert!(
                why.contains(r#"user.jobTitle -eq "Senior Manager""#),
                "{why}"
            );
            assert!(why.contains("value: Finance"), "{why}");
            // The README picture: the list, the editor and its preview.
            w.client()
                .execute("document.querySelector('.groups-page').scrollIntoView()", vec![])
                .await
                .unwrap();
            w.snapshot("groups").await;
        },
    )
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_broken_rule_is_marked_inline_as_you_type() {
    let tenant = Tenant::start(30);
    window::run_with(
        "a_broken_rule_is_marked_inline_as_you_type",
        |dir| {
            tenant.signed_in_and_synced(dir);
        },
        async |w| {
            new_dynamic_group(w).await;
            w.click("#group-rule").await;
            w.press("user.department -eq").await;
            let error = w
                .wait_for_text_containing("#group-rule-error", "at position 19")
                .await;
            assert!(
                error.ends_with(&format!("user.department -eq\n{}^", " ".repeat(19))),
                "{error:?}"
            );
            let rule = w.find("#group-rule").await;
            assert_eq!(
                rule.attr("aria-invalid").await.unwrap().as_deref(),
                Some("true")
            );
            w.find(".rule-backdrop .rule-mark").await;
            assert_eq!(w.text("#rule-preview").await, "");

            // Completing the rule clears the error and previews.
            w.press(r#" "Finance""#).await;
            w.wait_for_text_containing("#rule-preview", "Matches").await;
            assert!(!w
                .find("#group-rule-error")
                .await
                .is_displayed()
                .await
                .unwrap());
        },
    )
    .await;
}
