//! Settings › Tenant: authority, tenant, client id and Graph URL, read and saved together.
//!
//! Saving checks every field with the core's validation and writes all of them or none; the
//! problems come back as data, one per field, so the page can show each beside its field.

use dirsync::auth;
use dirsync::settings::{self, SettingsError};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::commands::auth::announce;
use crate::{error::Error, state::AppState};

/// The four tenant settings, by their database keys.
pub const TENANT_KEYS: [&str; 4] = ["authority", "tenant", "client_id", "graph_url"];

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TenantSettings {
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
    pub graph_url: String,
    /// The settings point at the built-in demo tenant.
    pub demo: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    /// The setting's key (`authority`, `tenant`, `client_id`, `graph_url`).
    pub key: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveTenantOutcome {
    /// True when every field was valid and all were saved; false saves nothing.
    pub saved: bool,
    pub problems: Vec<FieldProblem>,
    /// The settings as stored after the call.
    pub settings: TenantSettings,
}

fn read(store: &dirsync::store::Store) -> Result<TenantSettings, Error> {
    Ok(TenantSettings {
        authority: settings::get(store, "authority")?,
        tenant: settings::get(store, "tenant")?,
        client_id: settings::get(store, "client_id")?,
        graph_url: settings::get(store, "graph_url")?,
        demo: auth::demo::is_demo(store)?,
    })
}

#[tauri::command]
pub fn get_tenant_settings(state: State<'_, AppState>) -> Result<TenantSettings, Error> {
    read(&*state.store()?)
}

/// Saves the four tenant settings at once. Changing them while signed in makes the account
/// "sign-in required" (the core compares against what it signed in with); values that differ
/// from the demo tenant's leave the demo.
#[tauri::command]
pub async fn save_tenant_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    authority: String,
    tenant: String,
    client_id: String,
    graph_url: String,
) -> Result<SaveTenantOutcome, Error> {
    let outcome = {
        let store = state.store()?;
        save(
            &store,
            [
                ("authority", authority.trim()),
                ("tenant", tenant.trim()),
                ("client_id", client_id.trim()),
                ("graph_url", graph_url.trim()),
            ],
        )?
    };
    if outcome.saved {
        announce(&app, None).await;
    }
    Ok(outcome)
}

fn save(
    store: &dirsync::store::Store,
    values: [(&str, &str); 4],
) -> Result<SaveTenantOutcome, Error> {
    let before = read(store)?;
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(|e| Error::Settings(SettingsError::from(e)))?;
    let mut problems = Vec::new();
    for (key, value) in values {
        match settings::set(store, key, value) {
            Ok(()) => {}
            Err(SettingsError::Invalid { key, reason }) => problems.push(FieldProblem {
                message: dirsync_sentence(&reason),
                key,
            }),
            Err(e) => return Err(e.into()),
        }
    }
    let changed = {
        let now = read(store)?;
        TENANT_KEYS
            .iter()
            .any(|k| field(&now, k) != field(&before, k))
    };
    if problems.is_empty() && before.demo && changed {
        settings::set(store, "demo", "false")?;
    }
    if problems.is_empty() {
        tx.commit()
            .map_err(|e| Error::Settings(SettingsError::from(e)))?;
    } else {
        drop(tx); // rolls back: nothing is saved when a field is wrong
    }
    Ok(SaveTenantOutcome {
        saved: problems.is_empty(),
        problems,
        settings: read(store)?,
    })
}

fn field<'a>(s: &'a TenantSettings, key: &str) -> &'a str {
    match key {
        "authority" => &s.authority,
        "tenant" => &s.tenant,
        "client_id" => &s.client_id,
        _ => &s.graph_url,
    }
}

/// The core's reasons are clauses ("must be a GUID…"); shown under a field they read as sentences.
fn dirsync_sentence(reason: &str) -> String {
    let mut s = reason.trim().to_string();
    if let Some(first) = s.get(0..1) {
        s.replace_range(0..1, &first.to_uppercase());
    }
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::datadir::DataDir;
    use dirsync::store::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open_in(&DataDir::at(tmp.path()).unwrap()).unwrap();
        (tmp, store)
    }

    #[test]
    fn saves_all_fields_or_none_and_names_each_wrong_field() {
        let (_tmp, store) = store();
        let defaults = read(&store).unwrap();

        // Two wrong fields: both are named, nothing is saved (not even the valid client id).
        let outcome = save(
            &store,
            [
                ("authority", "ftp://login.example"),
                ("tenant", "contoso.onmicrosoft.com"),
                ("client_id", "00000000-0000-0000-0000-000000000001"),
                ("graph_url", ""),
            ],
        )
        .unwrap();
        assert!(!outcome.saved);
        let keys: Vec<&str> = outcome.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["authority", "graph_url"]);
        assert!(outcome.problems.iter().all(|p| p.message.ends_with('.')));
        assert_eq!(outcome.settings, defaults);

        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["problems"][0]["key"], "authority");
        assert_eq!(json["settings"]["clientId"], "");
        assert_eq!(json["settings"]["graphUrl"], "https://graph.microsoft.com");

        let good = save(
            &store,
            [
                ("authority", "https://login.microsoftonline.us"),
                ("tenant", "contoso.onmicrosoft.com"),
                ("client_id", "00000000-0000-0000-0000-000000000001"),
                ("graph_url", "https://graph.microsoft.us"),
            ],
        )
        .unwrap();
        assert!(good.saved, "{:?}", good.problems);
        assert_eq!(
            settings::get(&store, "tenant").unwrap(),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(
            settings::get(&store, "authority").unwrap(),
            "https://login.microsoftonline.us"
        );
    }

    #[test]
    fn editing_the_demo_settings_leaves_the_demo_and_saving_them_unchanged_does_not() {
        let (_tmp, store) = store();
        let demo = auth::demo::DemoTenant {
            authority: "http://127.0.0.1:47290".into(),
            graph_url: "http://127.0.0.1:47290".into(),
            tenant_id: "6e1c2f0a-1b7e-4c55-9a39-1f4bd0f6c001".into(),
            client_id: graph_emulator::DEMO_CLIENT_ID.into(),
        };
        auth::demo::use_demo_tenant(&store, &demo).unwrap();
        let same = [
            ("authority", demo.authority.as_str()),
            ("tenant", demo.tenant_id.as_str()),
            ("client_id", demo.client_id.as_str()),
            ("graph_url", demo.graph_url.as_str()),
        ];
        assert!(save(&store, same).unwrap().settings.demo);
        let mut other = same;
        other[1].1 = "contoso.onmicrosoft.com";
        let outcome = save(&store, other).unwrap();
        assert!(outcome.saved);
        assert!(!outcome.settings.demo);
    }
}
