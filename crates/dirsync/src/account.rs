//! The signed-in account record: who signed in, to which tenant, with which configuration, and
//! whether silent renewal has failed for good. No token is ever kept here (see `auth::token_store`).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::store::{Store, StoreError};

/// How the app authenticates: as a signed-in admin (delegated) or as the application itself
/// (client credentials, for unattended runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountMode {
    User,
    App,
}

impl AccountMode {
    fn as_str(self) -> &'static str {
        match self {
            AccountMode::User => "user",
            AccountMode::App => "app",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "app" {
            AccountMode::App
        } else {
            AccountMode::User
        }
    }
}

/// The account row. `username`/`display_name`/`user_id` are empty in app mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub mode: AccountMode,
    pub authority: String,
    /// The `tenant` setting signed in with (may be `organizations`).
    pub tenant: String,
    pub client_id: String,
    pub graph_url: String,
    /// The directory (tenant) id the account belongs to.
    pub tenant_id: String,
    pub tenant_name: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    /// Why an interactive sign-in is needed again, once silent renewal failed for good.
    pub sign_in_required: Option<String>,
}

impl Account {
    /// One line for people: "admin@contoso.com (Ada Admin) · tenant Contoso".
    pub fn summary(&self) -> String {
        match self.mode {
            AccountMode::User => format!(
                "{} ({}) · tenant {}",
                self.username.as_deref().unwrap_or("unknown user"),
                self.display_name.as_deref().unwrap_or(""),
                self.tenant_name
            ),
            AccountMode::App => format!(
                "application {} · tenant {}",
                self.client_id, self.tenant_name
            ),
        }
    }
}

/// The signed-in account, if any.
pub fn load(store: &Store) -> Result<Option<Account>, StoreError> {
    let row = store
        .conn()
        .query_row(
            "SELECT mode, authority, tenant, client_id, graph_url, tenant_id, tenant_name,
                    user_id, username, display_name, signed_in_at, sign_in_required
             FROM account WHERE id = 1",
            [],
            |r| {
                let signed_in_at: String = r.get(10)?;
                Ok(Account {
                    mode: AccountMode::parse(&r.get::<_, String>(0)?),
                    authority: r.get(1)?,
                    tenant: r.get(2)?,
                    client_id: r.get(3)?,
                    graph_url: r.get(4)?,
                    tenant_id: r.get(5)?,
                    tenant_name: r.get(6)?,
                    user_id: r.get(7)?,
                    username: r.get(8)?,
                    display_name: r.get(9)?,
                    // Written by `save` in RFC 3339; an unreadable value is shown as "now" rather than
                    // hiding the account.
                    signed_in_at: DateTime::parse_from_rfc3339(&signed_in_at)
                        .map(|d| d.with_timezone(&Utc))
                        .unwrap_or_else(|_| Utc::now()),
                    sign_in_required: r.get(11)?,
                })
            },
        )
        .optional()?;
    Ok(row)
}

/// Records a fresh sign-in, replacing any previous account.
pub fn save(store: &Store, a: &Account) -> Result<(), StoreError> {
    store.conn().execute(
        "INSERT INTO account (id, mode, authority, tenant, client_id, graph_url, tenant_id,
                              tenant_name, user_id, username, display_name, signed_in_at, sign_in_required)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(id) DO UPDATE SET
            mode = excluded.mode, authority = excluded.authority, tenant = excluded.tenant,
            client_id = excluded.client_id, graph_url = excluded.graph_url,
            tenant_id = excluded.tenant_id, tenant_name = excluded.tenant_name,
            user_id = excluded.user_id, username = excluded.username,
            display_name = excluded.display_name, signed_in_at = excluded.signed_in_at,
            sign_in_required = excluded.sign_in_required",
        params![
            a.mode.as_str(),
            a.authority,
            a.tenant,
            a.client_id,
            a.graph_url,
            a.tenant_id,
            a.tenant_name,
            a.user_id,
            a.username,
            a.display_name,
            a.signed_in_at.to_rfc3339(),
            a.sign_in_required,
        ],
    )?;
    Ok(())
}

/// Marks the account as needing an interactive sign-in (silent renewal failed for good).
pub fn mark_sign_in_required(store: &Store, reason: &str) -> Result<(), StoreError> {
    store.conn().execute(
        "UPDATE account SET sign_in_required = ?1 WHERE id = 1",
        [reason],
    )?;
    Ok(())
}

/// Forgets the account (sign-out).
pub fn clear(store: &Store) -> Result<(), StoreError> {
    store.conn().execute("DELETE FROM account", [])?;
    Ok(())
}
