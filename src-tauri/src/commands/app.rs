//! What the app is and where it keeps its data: shown in Settings.

use serde::Serialize;
use tauri::State;

use crate::{error::Error, state::AppState};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub database_path: String,
    pub schema_version: usize,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, Error> {
    let store = state.store()?;
    Ok(AppInfo {
        version: dirsync::VERSION,
        data_dir: state.data_dir()?.path().display().to_string(),
        database_path: store.path().display().to_string(),
        schema_version: dirsync::store::schema_version(),
    })
}
