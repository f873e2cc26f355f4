//! The JSON tenant file format for hand-written tenants.
//!
//! ```json
//! {
//!   "tenant": {"id": "…guid…", "domain": "contoso.example", "displayName": "Contoso"},
//!   "admins": ["admin@contoso.example"],
//!   "users": [{"id": "…", "displayName": "…", "userPrincipalName": "…", "manager": "<id or upn>"}]
//! }
//! ```
//! All fields except `users` are optional; users without an `id` get a random one. `admins` lists
//! user principal names; without it, the users whose jobTitle contains "Administrator" (or else
//! the first user) are the administrators.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfoFile {
    pub id: Option<String>,
    pub domain: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TenantFile {
    #[serde(default)]
    pub tenant: TenantInfoFile,
    #[serde(default)]
    pub admins: Vec<String>,
    pub users: Vec<Value>,
}

impl TenantFile {
    pub fn load(path: &std::path::Path) -> std::io::Result<TenantFile> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}
