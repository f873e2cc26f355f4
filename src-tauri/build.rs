// Declares the app's commands to Tauri's ACL: each gets `allow-<name>`/`deny-<name>` permissions
// and must be granted in `capabilities/default.json`, so the UI can call nothing it was not given.

#[path = "src/commands/names.rs"]
mod names;

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(names::COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step failed");
}
