//! Every command the UI may call, by name. Shared with `build.rs` (which generates the ACL
//! permissions) and checked against `generate_handler!` and `capabilities/default.json` by tests.

pub const COMMANDS: &[&str] = &["app_info"];
