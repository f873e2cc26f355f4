//! The IPC surface: one module per domain, each command a thin call into the `dirsync` core.
//!
//! Adding a command: write it in `<domain>.rs`, add its name to `names.rs`, add it to
//! `handler()` below, and grant `allow-<name-in-kebab-case>` in `capabilities/default.json`. The tests in
//! `lib.rs` fail if any of the four is missing.

pub mod app;
pub mod auth;
pub mod directory;
pub mod groups;
pub mod mapping;
pub mod names;
pub mod runs;
pub mod schedule;
pub mod settings;
pub mod sync;

/// The invoke handler with every command, for the real app and the MockRuntime tests alike.
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        app::app_info,
        directory::search_users,
        directory::get_user,
        directory::export_directory,
        mapping::get_mapping,
        mapping::check_mapping,
        mapping::save_mapping,
        sync::start_sync,
        sync::cancel_sync,
        sync::sync_status,
        sync::sync_changes,
        sync::get_sync_frequency,
        sync::save_sync_frequency,
        schedule::get_schedule,
        schedule::save_schedule,
        auth::auth_status,
        auth::start_sign_in,
        auth::cancel_sign_in,
        auth::sign_out,
        auth::use_demo_tenant,
        auth::leave_demo_tenant,
        settings::get_tenant_settings,
        settings::save_tenant_settings,
        groups::list_groups,
        groups::get_group,
        groups::group_members,
        groups::rules_check,
        groups::preview_rule,
        groups::explain_rule,
        groups::create_group,
        groups::update_group,
        groups::delete_group,
        groups::add_group_members,
        groups::remove_group_members,
        groups::get_sync_scope,
        groups::preview_sync_scope,
        groups::save_sync_scope,
        runs::history_runs,
        runs::history_changes,
        runs::export_run_log,
        runs::reset_sync,
        runs::reject_deletes
    ]
}
