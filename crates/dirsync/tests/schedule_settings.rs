//! The schedule's settings: validation on `settings::set`, defaults, and `schedule::load`.

use dirsync::schedule::{self, parse_daily_at, SyncMode};
use dirsync::settings::{self, SettingsError};
use dirsync::store::Store;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("dirsync.db")).expect("open store");
    (dir, store)
}

/// (key, value, accepted)
const VALUES: &[(&str, &str, bool)] = &[
    ("daily_at", "02:00", true),
    ("daily_at", "00:00", true),
    ("daily_at", "23:59", true),
    ("daily_at", "12:30", true),
    ("daily_at", "24:00", false),
    ("daily_at", "23:60", false),
    ("daily_at", "2:00", false),
    ("daily_at", "02:0", false),
    ("daily_at", "0200", false),
    ("daily_at", "02:00:00", false),
    ("daily_at", " 02:00", false),
    ("daily_at", "+2:00", false),
    ("daily_at", "ab:cd", false),
    ("daily_at", "２２:００", false),
    ("daily_at", "", false),
    ("sync_mode", "one-time", true),
    ("sync_mode", "recurring", true),
    ("sync_mode", "daily", false),
    ("sync_mode", "Recurring", false),
    ("schedule_paused", "true", true),
    ("schedule_paused", "false", true),
    ("schedule_paused", "yes", false),
    ("notify_success", "true", true),
    ("notify_success", "1", false),
    ("start_at_login", "false", true),
    ("start_at_login", "", false),
];

#[test]
fn schedule_values_are_validated() {
    let (_dir, store) = store();
    let mut failures = Vec::new();
    for &(key, value, accepted) in VALUES {
        let before = settings::get(&store, key).expect("get");
        match (settings::set(&store, key, value), accepted) {
            (Ok(()), true) => {
                if settings::get(&store, key).expect("get") != value {
                    failures.push(format!("{key}={value:?} accepted but not stored"));
                }
            }
            (Err(SettingsError::Invalid { key: k, reason }), false) => {
                if k != key || reason.is_empty() {
                    failures.push(format!("{key}={value:?}: unhelpful error ({k}: {reason})"));
                }
                if settings::get(&store, key).expect("get") != before {
                    failures.push(format!("{key}={value:?} refused but the value changed"));
                }
            }
            (got, _) => failures.push(format!(
                "{key}={value:?}: expected accepted={accepted}, got {got:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn daily_at_error_says_what_is_expected() {
    let (_dir, store) = store();
    let err = settings::set(&store, "daily_at", "25:00").unwrap_err();
    assert!(err.to_string().contains("HH:MM"), "{err}");
}

#[test]
fn defaults_are_one_time_at_two_not_paused_quiet() {
    let (_dir, store) = store();
    let loaded = schedule::load(&store).expect("load");
    assert_eq!(loaded.config.mode, SyncMode::OneTime);
    assert_eq!(loaded.config.daily_at, parse_daily_at("02:00").unwrap());
    assert!(!loaded.config.paused);
    assert!(!loaded.notify_success);
    assert!(!loaded.start_at_login);
    let listed: Vec<&str> = settings::list(&store)
        .expect("list")
        .iter()
        .map(|(k, _)| k.name)
        .collect();
    for key in [
        "sync_mode",
        "daily_at",
        "schedule_paused",
        "notify_success",
        "start_at_login",
    ] {
        assert!(listed.contains(&key), "{key} missing from settings::list");
    }
}

#[test]
fn load_reads_what_was_set() {
    let (_dir, store) = store();
    for (key, value) in [
        ("sync_mode", "recurring"),
        ("daily_at", "23:15"),
        ("schedule_paused", "true"),
        ("notify_success", "true"),
        ("start_at_login", "true"),
    ] {
        settings::set(&store, key, value).expect("set");
    }
    let loaded = schedule::load(&store).expect("load");
    assert_eq!(loaded.config.mode, SyncMode::Recurring);
    assert_eq!(loaded.config.daily_at, parse_daily_at("23:15").unwrap());
    assert!(loaded.config.paused);
    assert!(loaded.notify_success);
    assert!(loaded.start_at_login);
}

#[test]
fn load_reports_a_value_stored_around_validation() {
    let (_dir, store) = store();
    store
        .conn()
        .execute(
            "INSERT INTO settings (key, value) VALUES ('daily_at', 'noon')",
            [],
        )
        .expect("insert");
    let err = schedule::load(&store).unwrap_err();
    assert!(
        matches!(&err, SettingsError::Invalid { key, .. } if key == "daily_at"),
        "{err}"
    );
    assert!(err.to_string().contains("noon"), "{err}");
}
