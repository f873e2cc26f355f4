//! Directory and Configure AAD Sync (issue 5) in the real window: the first sync from the dialog
//! fills the directory and search finds a person; a bad mapping is refused on its row; Preview
//! shows what would be added without changing the directory.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs them under Xvfb with `--ignored`.

use std::path::Path;

use dirsync::datadir::DataDir;
use dirsync::store::Store;
use dirsync_e2e::tenant::Tenant;
use dirsync_e2e::window::{self, Window};
use serde_json::json;

/// A tenant with one person we can look for, besides the generated ones.
fn tenant_with_zora() -> Tenant {
    let tenant = Tenant::start(40);
    let domain = tenant
        .emulator()
        .admin_upn()
        .split_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap();
    tenant
        .emulator()
        .control()
        .add_user(json!({
            "displayName": "Zora Quillfeather",
            "userPrincipalName": format!("zora.quillfeather@{domain}"),
            "mobilePhone": "+354 555 0142",
            "city": "Reykjavik",
            "jobTitle": "Cartographer",
            "department": "Maps",
            "accountEnabled": true,
            "userType": "Member",
        }))
        .unwrap();
    tenant
}

/// The people a sync brings in: members (the default sync scope leaves guests out).
fn members(tenant: &Tenant) -> usize {
    let users = tenant.emulator().control().users_snapshot();
    let member = |u: &&serde_json::Value| {
        u["userType"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("member"))
    };
    users.iter().filter(member).count()
}

fn people_in(dir: &Path) -> u64 {
    let store = Store::open_in(&DataDir::at(dir).unwrap()).unwrap();
    dirsync::directory::count(store.conn()).unwrap()
}

/// Directory → More → Configure AAD Sync, with the default mapping shown.
async fn open_configure(w: &Window) {
    w.wait_for_page("directory").await;
    w.click("#directory-more").await;
    w.click("#directory-more-menu [data-action=\"configure\"]")
        .await;
    w.find("#mapping-rows tr[data-row=\"3\"]").await;
}

/// Waits for the status line to mention `needle` (read from the DOM: WebKitWebDriver reports the
/// footer's text as empty although it is painted).
async fn status_line_shows(w: &Window, needle: &str) {
    let mut seen = String::new();
    for _ in 0..100 {
        seen = w
            .client()
            .execute(
                "return document.getElementById('status').textContent",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string();
        if seen.contains(needle) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the status line shows {seen:?}, expected it to mention {needle:?}");
}

/// Clicks `css`, again if the list was redrawn between finding and clicking (typing the search
/// runs a search for every pause, each of which redraws the rows).
async fn click_settled(w: &Window, css: &str) {
    let mut error = None;
    for _ in 0..20 {
        match w.find(css).await.click().await {
            Ok(_) => return,
            Err(e) => error = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("cannot click `{css}`: {error:?}");
}

async fn value(w: &Window, css: &str) -> String {
    w.find(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn configure_aad_sync_fills_the_directory_and_search_finds_a_person() {
    let tenant = tenant_with_zora();
    let users = members(&tenant);
    window::run_with(
        "configure_aad_sync",
        |dir| drop(tenant.signed_in(dir)),
        async |w: &Window| {
            w.wait_for_page("directory").await;
            w.wait_for_text_containing("#directory-empty .hint", "More → Configure AAD Sync")
                .await;
            w.snapshot("directory-before-sync").await;
            open_configure(w).await;
            // The three default rows.
            for (row, field, source) in [
                (1, "Name", "displayName"),
                (2, "Phone number", "mobilePhone"),
                (3, "City", "city"),
            ] {
                let tr = format!("#mapping-rows tr[data-row=\"{row}\"]");
                assert_eq!(w.text(&format!("{tr} .field")).await, field);
                assert_eq!(value(w, &format!("{tr} input.source")).await, source);
            }
            w.snapshot("configure-sync-mapping").await;
            w.click("#configure-continue").await;
            w.click("#frequency-one-time").await;
            w.click("#configure-next").await;

            let summary = format!("Added {users} · Updated 0 · Removed 0");
            w.wait_for_text("#sync-summary", &summary).await;
            assert_eq!(people_in(&w.data_dir()), users as u64);
            w.snapshot("configure-sync-summary").await;
            w.click("#summary-directory").await;
            status_line_shows(w, &summary).await;

            w.wait_for_text(
                "#directory-count",
                &format!("{users} people · Employee network"),
            )
            .await;
            w.click("#directory-search").await;
            w.press("Reykjavik").await;
            w.wait_for_text("#directory-matches", "1 match").await;
            w.wait_for_text_containing("#directory-rows tr:only-child", "Zora Quillfeather")
                .await;
            click_settled(w, "#directory-rows tr td.name").await;
            w.wait_for_text("#detail-name", "Zora Quillfeather").await;
            let fields = w.text("#detail-fields").await;
            for expected in ["Reykjavik", "+354 555 0142", "Phone number"] {
                assert!(fields.contains(expected), "{expected} in {fields:?}");
            }
            w.snapshot("directory-synced").await;
        },
    )
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_bad_mapping_is_refused_on_its_row() {
    window::run("mapping_validation", async |w: &Window| {
        open_configure(w).await;
        w.click("#mapping-add").await;
        w.press("City").await; // the new row's field name: taken by row 3
        w.click("#mapping-rows tr[data-row=\"4\"] input.source")
            .await;
        w.press("department").await;
        let error = w
            .wait_for_text_containing(
                "#mapping-rows tr.row-error[data-error-row=\"4\"]",
                "Row 4 (City)",
            )
            .await;
        assert!(error.contains("already used by row 3"), "{error}");
        // Continue saves nothing and stays on the mapping.
        w.click("#configure-continue").await;
        w.find("#mapping-rows tr.invalid[data-row=\"4\"]").await;

        w.click("#mapping-rows tr[data-row=\"4\"] input.field")
            .await;
        w.press(&fantoccini::key::Key::End.to_string()).await;
        w.press(" district").await;
        w.click("#configure-continue").await;
        w.find("#frequency-one-time").await;
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn preview_shows_adds_without_changing_the_directory() {
    let tenant = tenant_with_zora();
    let users = members(&tenant);
    window::run_with(
        "preview",
        |dir| drop(tenant.signed_in(dir)),
        async |w: &Window| {
            open_configure(w).await;
            w.click("#configure-continue").await;
            w.click("#configure-preview").await;
            w.wait_for_text(
                "#sync-summary",
                &format!("Would add {users} · update 0 · remove 0"),
            )
            .await;
            w.wait_for_text_containing("#preview-added", "Zora Quillfeather")
                .await;
            assert_eq!(people_in(&w.data_dir()), 0, "a preview applies nothing");
            w.snapshot("configure-sync-preview").await;
            w.press(&fantoccini::key::Key::Escape.to_string()).await;
            w.open_page("directory").await;
            w.find("#directory-empty").await;
        },
    )
    .await;
}
