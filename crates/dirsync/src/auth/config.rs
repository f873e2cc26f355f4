//! Where to sign in: authority, tenant, client id and Graph URL, read from the settings, and the
//! identity-platform endpoints derived from them.

use serde::Serialize;

use super::AuthError;
use crate::settings;
use crate::store::Store;

/// Delegated scopes requested at interactive sign-in.
pub const USER_SCOPES: &[&str] = &["openid", "profile", "offline_access", "User.Read.All"];

/// Keychain service name for the refresh token (the app identifier).
pub const KEYCHAIN_SERVICE: &str = crate::APP_IDENTIFIER;

/// Sign-in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthConfig {
    /// Identity platform host, e.g. `https://login.microsoftonline.com`.
    pub authority: String,
    /// `organizations`, a tenant GUID or a domain.
    pub tenant: String,
    pub client_id: String,
    /// Microsoft Graph base URL, e.g. `https://graph.microsoft.com`.
    pub graph_url: String,
}

impl AuthConfig {
    /// Reads `authority`, `tenant`, `client_id` and `graph_url` from the settings.
    pub fn from_settings(store: &Store) -> Result<Self, AuthError> {
        let get = |k: &str| {
            settings::get(store, k)
                .map_err(|e| AuthError::Config(format!("cannot read setting {k}: {e}")))
        };
        Ok(Self {
            authority: get("authority")?.trim().trim_end_matches('/').to_string(),
            tenant: get("tenant")?.trim().to_string(),
            client_id: get("client_id")?.trim().to_string(),
            graph_url: get("graph_url")?.trim().trim_end_matches('/').to_string(),
        })
    }

    /// Refuses to start without a client id: the app registration is the user's to make.
    pub fn require_client_id(&self) -> Result<(), AuthError> {
        if self.client_id.is_empty() {
            return Err(AuthError::Config(
                "no client id is set: register an application in Entra ID (see the README, \"App registration\") \
                 and run `dirsync config set client_id <application id>`, or use the demo tenant"
                    .into(),
            ));
        }
        Ok(())
    }

    fn endpoint(&self, tenant: &str, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.authority.trim_end_matches('/'),
            tenant,
            path
        )
    }

    pub fn authorize_endpoint(&self) -> String {
        self.endpoint(&self.tenant, "oauth2/v2.0/authorize")
    }

    /// The token endpoint for `tenant` (the configured tenant at sign-in, the account's own
    /// tenant id afterwards, as MSAL does).
    pub fn token_endpoint(&self, tenant: &str) -> String {
        self.endpoint(tenant, "oauth2/v2.0/token")
    }

    /// Where a Global Administrator grants the app's permissions for the whole tenant.
    pub fn admin_consent_url(&self) -> String {
        let mut url = self.endpoint(&self.tenant, "adminconsent");
        url.push_str("?client_id=");
        url.push_str(
            &url::form_urlencoded::byte_serialize(self.client_id.as_bytes()).collect::<String>(),
        );
        url
    }

    /// The scope for application (client-credentials) tokens: the Graph resource's `.default`.
    /// A national cloud's Graph host is its own resource; a plain-http (local emulator) Graph
    /// stands in for the global one.
    pub fn app_scope(&self) -> String {
        if self.graph_url.starts_with("https://") {
            format!("{}/.default", self.graph_url.trim_end_matches('/'))
        } else {
            "https://graph.microsoft.com/.default".to_string()
        }
    }

    /// The keychain account name for this configuration's refresh token; a different authority,
    /// tenant or client id never picks up another configuration's token.
    pub fn token_key(&self) -> String {
        let host = self
            .authority
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        format!("{host}|{}|{}", self.tenant, self.client_id)
    }
}
