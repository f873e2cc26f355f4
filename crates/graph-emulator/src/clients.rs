//! App registrations known to the emulated tenant, with fixed ids for the error cases.

use serde::{Deserialize, Serialize};

/// The demo public client ("Mobile and desktop" redirect `http://localhost`, admin consent for User.Read.All).
pub const DEMO_CLIENT_ID: &str = "3f0c5a2e-7b1d-4c8e-9a64-2d5b8e1f0c37";
/// A public client without admin consent: redeeming a code for User.Read.All fails with AADSTS65001.
pub const NO_CONSENT_CLIENT_ID: &str = "6b1e9d40-2c7a-4f53-8e15-0a9c3d7b2f61";
/// A client whose `http://localhost` redirect is registered as Web: redemption without a secret
/// fails with AADSTS7000218.
pub const WEB_REDIRECT_CLIENT_ID: &str = "9d4a7c12-5e3b-4a80-b6f2-7c1e0d9a3b54";
/// The Web client's secret.
pub const WEB_REDIRECT_CLIENT_SECRET: &str = "web~emulator-secret-0001";
/// A confidential client with application permission User.Read.All, for `client_credentials`.
pub const CONFIDENTIAL_CLIENT_ID: &str = "c2e85f7a-9b34-4d1c-a7e6-5f0b3c8d2e19";
/// The confidential client's secret.
pub const CONFIDENTIAL_CLIENT_SECRET: &str = "conf~emulator-secret-0001";
/// Application id of Microsoft Graph (the `aud` of access tokens).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// How a redirect URI is registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RedirectKind {
    /// "Mobile and desktop applications" (public client).
    MobileDesktop,
    /// "Web" (confidential client; redemption requires a secret).
    Web,
}

/// An application registration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientApp {
    pub client_id: String,
    pub display_name: String,
    /// True for public clients, which must not send secrets.
    pub public_client: bool,
    pub redirect_uris: Vec<String>,
    pub redirect_kind: RedirectKind,
    pub secret: Option<String>,
    /// Delegated Graph scopes with tenant-wide admin consent.
    pub admin_consented: Vec<String>,
    /// Application permissions (roles) granted, for client_credentials.
    pub app_roles: Vec<String>,
}

impl ClientApp {
    pub fn builtin() -> Vec<ClientApp> {
        let all_user = vec!["User.Read".to_owned(), "User.Read.All".to_owned()];
        vec![
            ClientApp {
                client_id: DEMO_CLIENT_ID.into(),
                display_name: "dirsync".into(),
                public_client: true,
                redirect_uris: vec!["http://localhost".into()],
                redirect_kind: RedirectKind::MobileDesktop,
                secret: None,
                admin_consented: all_user.clone(),
                app_roles: vec![],
            },
            ClientApp {
                client_id: NO_CONSENT_CLIENT_ID.into(),
                display_name: "dirsync (no admin consent)".into(),
                public_client: true,
                redirect_uris: vec!["http://localhost".into()],
                redirect_kind: RedirectKind::MobileDesktop,
                secret: None,
                admin_consented: vec![],
                app_roles: vec![],
            },
            ClientApp {
                client_id: WEB_REDIRECT_CLIENT_ID.into(),
                display_name: "dirsync (web redirect)".into(),
                public_client: false,
                redirect_uris: vec!["http://localhost".into()],
                redirect_kind: RedirectKind::Web,
                secret: Some(WEB_REDIRECT_CLIENT_SECRET.into()),
                admin_consented: all_user.clone(),
                app_roles: vec![],
            },
            ClientApp {
                client_id: CONFIDENTIAL_CLIENT_ID.into(),
                display_name: "dirsync daemon".into(),
                public_client: false,
                redirect_uris: vec![],
                redirect_kind: RedirectKind::Web,
                secret: Some(CONFIDENTIAL_CLIENT_SECRET.into()),
                admin_consented: vec![],
                app_roles: vec!["User.Read.All".into()],
            },
        ]
    }
}
