//! The Directory page: indexed search with paging, one user in full, Export directory (CSV).

use dirsync::directory::{self, Query, SortKey};
use dirsync::groups::EMPLOYEE_NETWORK;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::save_path::{self, SaveRequest};
use crate::{error::Error, state::AppState};

/// Longest page the UI may ask for (the list loads ~100 rows at a time).
const MAX_PAGE: u64 = 500;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRow {
    pub id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub mail: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub account_enabled: Option<bool>,
    pub guest: bool,
    /// Values of the added fields, in the order of `UserPage::added_fields`.
    pub added: Vec<Option<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub items: Vec<UserRow>,
    /// Users matching the search.
    pub total: u64,
    pub offset: u64,
    /// Users in the directory (the Employee network).
    pub directory_total: u64,
    pub group: &'static str,
    /// Names of the added (non built-in) fields, the extra columns.
    pub added_fields: Vec<String>,
}

/// One page of the directory: `text` searched in name, UPN, mail, phone, city, department and
/// job title; `sort` is `name`, `phone`, `city`, `upn`, `mail`, `department`, `jobTitle`,
/// `added`, `changed`, or an added field's name.
#[tauri::command]
pub fn search_users(
    state: State<'_, AppState>,
    text: String,
    sort: Option<String>,
    descending: Option<bool>,
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<UserPage, Error> {
    let store = state.store()?;
    let conn = store.conn();
    let query = Query {
        text,
        sort: sort.as_deref().map(sort_key).unwrap_or_default(),
        descending: descending.unwrap_or(false),
        offset: offset.unwrap_or(0),
        limit: limit.unwrap_or(100).clamp(1, MAX_PAGE),
    };
    let page = directory::search(conn, &query)?;
    let added_fields = dirsync::mapping::load(conn)?
        .added_rows()
        .map(|r| r.field.clone())
        .collect();
    Ok(UserPage {
        items: page
            .items
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                name: u.name,
                upn: u.upn,
                mail: u.mail,
                phone: u.phone,
                city: u.city,
                job_title: u.job_title,
                department: u.department,
                account_enabled: u.account_enabled,
                guest: u.guest,
                added: u.added_fields.into_iter().map(|(_, v)| v).collect(),
            })
            .collect(),
        total: page.total,
        offset: page.offset,
        directory_total: directory::count(conn)?,
        group: EMPLOYEE_NETWORK,
        added_fields,
    })
}

fn sort_key(name: &str) -> SortKey {
    match name {
        "name" => SortKey::Name,
        "upn" => SortKey::Upn,
        "mail" => SortKey::Mail,
        "phone" => SortKey::Phone,
        "city" => SortKey::City,
        "department" => SortKey::Department,
        "jobTitle" => SortKey::JobTitle,
        "added" => SortKey::Added,
        "changed" => SortKey::Changed,
        field => SortKey::Field(field.to_string()),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    pub id: String,
    pub upn: Option<String>,
    pub mail: Option<String>,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    /// "Enabled", "Disabled" or "Unknown".
    pub account_state: &'static str,
    pub guest: bool,
    pub user_type: Option<String>,
    /// Every mapped field, in mapping order.
    pub fields: Vec<Field>,
    pub added_at: String,
    pub changed_at: String,
    pub groups: Vec<String>,
}

/// One user in full, by object id (or UPN).
#[tauri::command]
pub fn get_user(state: State<'_, AppState>, id: String) -> Result<UserDetail, Error> {
    let store = state.store()?;
    let user = directory::get(store.conn(), &id)?.ok_or_else(|| {
        Error::NotFound(format!(
            "the user {id} is no longer in the directory; search again to refresh the list"
        ))
    })?;
    Ok(UserDetail {
        account_state: user.account_state(),
        id: user.id,
        upn: user.upn,
        mail: user.mail,
        display_name: user.display_name,
        job_title: user.job_title,
        department: user.department,
        guest: user.guest,
        user_type: user.user_type,
        fields: user
            .fields
            .into_iter()
            .map(|(name, value)| Field { name, value })
            .collect(),
        added_at: user.added_at,
        changed_at: user.changed_at,
        groups: user.groups,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub path: String,
    pub users: u64,
}

/// Export directory (CSV): asks where to save (native dialog, or `DIRSYNC_SAVE_PATH`) and writes
/// every user matching `search` (everyone when empty) with every mapped field. `None` when the
/// admin cancelled the dialog.
#[tauri::command]
pub async fn export_directory<R: Runtime>(
    app: AppHandle<R>,
    search: String,
) -> Result<Option<Exported>, Error> {
    let request = SaveRequest::new(format!(
        "directory-{}.csv",
        chrono::Local::now().format("%Y-%m-%d")
    ))
    .title("Export directory (CSV)")
    .filter("CSV", &["csv"]);
    let Some(path) = save_path::choose(&app, &request).await? else {
        return Ok(None);
    };
    let state = app.state::<AppState>();
    let store = state.store()?;
    let mut users = 0;
    save_path::write_file(&path, |mut out| {
        users = directory::export_csv_matching(store.conn(), &search, &mut out)?;
        Ok::<_, directory::DirectoryError>(())
    })?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        users,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_names_map_to_keys_and_anything_else_is_a_field() {
        assert_eq!(sort_key("jobTitle"), SortKey::JobTitle);
        assert_eq!(sort_key("city"), SortKey::City);
        assert_eq!(
            sort_key("Cost center"),
            SortKey::Field("Cost center".into())
        );
    }
}
