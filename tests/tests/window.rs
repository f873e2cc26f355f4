//! The real window, driven through WebDriver: text rendered from Rust commands, navigation by
//! mouse and keyboard, and a refused database explained instead of damaged.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs them under Xvfb with `--ignored`.

use dirsync::datadir::DATABASE_FILE;
use dirsync_e2e::window::{self, Window};
use fantoccini::key::Key;

async fn assert_page(w: &Window, page: &str, heading: &str) {
    w.wait_for_page(page).await;
    assert_eq!(w.text("#page h1").await, heading);
    let current = w.find("#nav a[aria-current=\"page\"]").await;
    assert_eq!(
        current.attr("data-page").await.unwrap().as_deref(),
        Some(page)
    );
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn settings_shows_what_rust_reports_and_pages_navigate() {
    window::run("settings_and_navigation", async |w: &Window| {
        // Opens on the Directory, which says what it will hold rather than showing made-up rows.
        assert_page(w, "directory", "Directory").await;
        assert_eq!(
            w.text("#directory-empty .title").await,
            "The organization directory appears here after the first sync."
        );
        assert_eq!(w.client().title().await.unwrap(), "Directory Sync");
        w.snapshot("directory").await;

        // Settings: the version and database path come from the `app_info` command, and the
        // path is inside the DIRSYNC_DATA_DIR the harness gave the app.
        w.open_page("settings").await;
        assert_page(w, "settings", "Settings").await;
        w.wait_for_text("#app-version", dirsync::VERSION).await;
        let db = w.data_dir().join(DATABASE_FILE);
        assert_eq!(w.text("#database-path").await, db.display().to_string());
        assert_eq!(
            w.text("#data-dir").await,
            w.data_dir().display().to_string()
        );
        assert!(
            db.is_file(),
            "the app created its database at {}",
            db.display()
        );
        w.snapshot("settings").await;

        w.open_page("groups").await;
        assert_page(w, "groups", "Groups").await;
        w.open_page("sync").await;
        assert_page(w, "sync", "Sync").await;

        // Keyboard: arrows move along the navigation, Enter opens the focused page.
        w.find("#nav a[data-page=\"sync\"]")
            .await
            .send_keys(&Key::Up.to_string())
            .await
            .unwrap();
        w.press(&Key::Up.to_string()).await;
        w.press(&Key::Enter.to_string()).await;
        assert_page(w, "directory", "Directory").await;
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_database_from_a_newer_version_is_explained_and_left_untouched() {
    let before = std::cell::OnceCell::new();
    window::run_with(
        "newer_database",
        |data_dir| {
            let db = data_dir.join(DATABASE_FILE);
            let store = dirsync::store::Store::open(&db).unwrap();
            store
                .conn()
                .pragma_update(None, "user_version", 999)
                .unwrap();
            drop(store);
            before.set(std::fs::read(&db).unwrap()).unwrap();
        },
        async |w: &Window| {
            let alert = w
                .wait_for_text_containing("#alert", "written by a newer version")
                .await;
            assert!(
                alert.starts_with("Directory Sync cannot open its data."),
                "{alert}"
            );
            w.snapshot("newer-database").await;
            w.open_page("settings").await;
            w.wait_for_text_containing("#app-info-error", "written by a newer version")
                .await;
            let after = std::fs::read(w.data_dir().join(DATABASE_FILE)).unwrap();
            assert!(
                Some(&after) == before.get(),
                "the refused database was modified"
            );
        },
    )
    .await;
}
