//! Every command the UI may call, by name. Shared with `build.rs` (which generates the ACL
//! permissions) and checked against `generate_handler!` and `capabilities/default.json` by tests.

pub const COMMANDS: &[&str] = &[
    "app_info",
    // Directory, Manage Mapping, sync runs (issue 5)
    "search_users",
    "get_user",
    "export_directory",
    "get_mapping",
    "check_mapping",
    "save_mapping",
    "start_sync",
    "cancel_sync",
    "sync_status",
    "sync_changes",
    "get_sync_frequency",
    "save_sync_frequency",
    // Daily schedule (issue 8)
    "get_schedule",
    "save_schedule",
    // Sign-in, demo tenant, Settings › Tenant (issue 4)
    "auth_status",
    "start_sign_in",
    "cancel_sign_in",
    "sign_out",
    "use_demo_tenant",
    "leave_demo_tenant",
    "get_tenant_settings",
    "save_tenant_settings",
    // Groups and rules (issue 7)
    "list_groups",
    "get_group",
    "group_members",
    "rules_check",
    "preview_rule",
    "explain_rule",
    "create_group",
    "update_group",
    "delete_group",
    "add_group_members",
    "remove_group_members",
    // Settings › Sync scope (issue 7)
    "get_sync_scope",
    "preview_sync_scope",
    "save_sync_scope",
    // AAD sync history, log files, Reset sync (issue 6)
    "history_runs",
    "history_changes",
    "export_run_log",
    "reset_sync",
    "reject_deletes",
];
