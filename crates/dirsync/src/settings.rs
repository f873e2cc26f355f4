//! Typed access to the `settings` table. Known keys have defaults; unknown keys are refused so a
//! typo in `dirsync config set` does not silently do nothing.

use rusqlite::{params, OptionalExtension};

use crate::schedule::{parse_bool, parse_daily_at, SyncMode};
use crate::store::{Store, StoreError};

/// A setting the product understands, with its default and a one-line description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingKey {
    pub name: &'static str,
    pub default: &'static str,
    pub description: &'static str,
}

/// Every known setting. Features add their keys here.
pub const KNOWN: &[SettingKey] = &[
    SettingKey {
        name: "authority",
        default: "https://login.microsoftonline.com",
        description: "Microsoft identity platform host (national clouds allowed)",
    },
    SettingKey {
        name: "tenant",
        default: "organizations",
        description: "Tenant: a GUID, a domain, or organizations",
    },
    SettingKey {
        name: "client_id",
        default: "",
        description: "Application (client) id of your app registration",
    },
    SettingKey {
        name: "graph_url",
        default: "https://graph.microsoft.com",
        description: "Microsoft Graph base URL",
    },
    SettingKey {
        name: "sync_mode",
        default: "one-time",
        description: "one-time (sync when asked) or recurring (every day at daily_at)",
    },
    SettingKey {
        name: "daily_at",
        default: "02:00",
        description: "Local time of the daily sync, 24-hour HH:MM",
    },
    SettingKey {
        name: "schedule_paused",
        default: "false",
        description: "true pauses the daily sync without leaving recurring mode",
    },
    SettingKey {
        name: "notify_success",
        default: "false",
        description: "true also notifies after successful scheduled runs (failures always notify)",
    },
    SettingKey {
        name: "start_at_login",
        default: "false",
        description: "true starts Directory Sync in the tray when you log in",
    },
    SettingKey {
        name: "auth_mode",
        default: "user",
        description: "user (interactive sign-in) or app (client secret, unattended)",
    },
    SettingKey {
        name: "client_secret_file",
        default: "",
        description:
            "File holding the client secret for auth_mode app (else DIRSYNC_CLIENT_SECRET)",
    },
    SettingKey {
        name: "demo",
        default: "false",
        description: "true when the settings point at the built-in demo tenant",
    },
    SettingKey {
        name: "deletion_guard_max",
        default: "500",
        description: "A run that would remove more users than this stops as Needs approval",
    },
    SettingKey {
        name: "deletion_guard_percent",
        default: "20",
        description: "... or more than this percentage of the directory, whichever is smaller",
    },
    SettingKey {
        name: "sync_scope",
        default: crate::groups::DEFAULT_SCOPE,
        description: "Rule deciding which Azure AD users are synced (changing it makes the next sync a full round)",
    },
    SettingKey {
        name: "close_to_tray_explained",
        default: "false",
        description: "true once the app has said that closing its window keeps it running in the tray",
    },
    SettingKey {
        name: "log_retention_days",
        default: "90",
        description: "Sync history older than this many days is pruned (never the latest successful run)",
    },
];

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown setting '{0}'; known settings: {known}", known = KNOWN.iter().map(|k| k.name).collect::<Vec<_>>().join(", "))]
    Unknown(String),
    #[error("invalid value for '{key}': {reason}")]
    Invalid { key: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for SettingsError {
    fn from(e: rusqlite::Error) -> Self {
        SettingsError::Store(StoreError::Sql(e))
    }
}

pub fn key(name: &str) -> Result<&'static SettingKey, SettingsError> {
    KNOWN
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| SettingsError::Unknown(name.to_string()))
}

/// The stored value, or the key's default.
pub fn get(store: &Store, name: &str) -> Result<String, SettingsError> {
    let k = key(name)?;
    let stored: Option<String> = store
        .conn()
        .query_row("SELECT value FROM settings WHERE key = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(stored.unwrap_or_else(|| k.default.to_string()))
}

/// Stores a value after checking it.
pub fn set(store: &Store, name: &str, value: &str) -> Result<(), SettingsError> {
    key(name)?;
    validate(name, value)?;
    store.conn().execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// Every known setting with its current value, in a stable order.
pub fn list(store: &Store) -> Result<Vec<(&'static SettingKey, String)>, SettingsError> {
    KNOWN.iter().map(|k| Ok((k, get(store, k.name)?))).collect()
}

fn validate(name: &str, value: &str) -> Result<(), SettingsError> {
    let invalid = |reason: &str| SettingsError::Invalid {
        key: name.to_string(),
        reason: reason.to_string(),
    };
    match name {
        "authority" | "graph_url" => {
            let lower = value.to_ascii_lowercase();
            let loopback =
                lower.starts_with("http://127.0.0.1") || lower.starts_with("http://localhost");
            if !(lower.starts_with("https://") || loopback) {
                return Err(invalid(
                    "must be an https:// URL (http:// is allowed only for localhost)",
                ));
            }
        }
        "tenant" if value.trim().is_empty() => {
            return Err(invalid("must be a tenant GUID, a domain, or organizations"))
        }
        "sync_mode" if SyncMode::parse(value).is_none() => {
            return Err(invalid("must be one-time or recurring"))
        }
        "daily_at" if parse_daily_at(value).is_none() => {
            return Err(invalid(
                "must be a 24-hour time as HH:MM, from 00:00 to 23:59 (e.g. 02:00)",
            ))
        }
        "schedule_paused" | "notify_success" | "start_at_login" | "close_to_tray_explained"
            if parse_bool(value).is_none() =>
        {
            return Err(invalid("must be true or false"))
        }
        "auth_mode" if !matches!(value, "user" | "app") => {
            return Err(invalid("must be user or app"))
        }
        "demo" if !matches!(value, "true" | "false") => {
            return Err(invalid("must be true or false"))
        }
        "deletion_guard_max" if value.trim().parse::<u64>().is_err() => {
            return Err(invalid("must be a whole number of users"))
        }
        "deletion_guard_percent" if !matches!(value.trim().parse::<u64>(), Ok(0..=100)) => {
            return Err(invalid("must be a whole number from 0 to 100"))
        }
        "sync_scope" => {
            if let Err(e) = crate::rules::parse(value.trim()) {
                return Err(invalid(&format!(
                    "must be a membership rule such as user.userType -eq \"Member\": {}",
                    e.render(value.trim())
                )));
            }
        }
        "log_retention_days" if !matches!(value.trim().parse::<u32>(), Ok(1..=36500)) => {
            return Err(invalid("must be a whole number of days from 1 to 36500"))
        }
        _ => {}
    }
    Ok(())
}
