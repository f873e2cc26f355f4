//! Identity-platform errors in plain language. The AADSTS code is kept; the raw description is
//! reduced to its first sentence (it carries trace ids, never secrets, but is long and cryptic).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AuthConfig, AuthError};

/// The token endpoint's error body: `{"error", "error_description", "error_codes", ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AadErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<i64>,
}

impl fmt::Display for AadErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match aadsts_code(self.error_description.as_deref(), &self.error_codes) {
            Some(code) => write!(f, "{} ({code})", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl oauth2::ErrorResponse for AadErrorResponse {}

/// Where in the flow the error happened; it changes what the user should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The browser came back to the loopback with `error=...`.
    Authorize,
    /// Redeeming the authorization code.
    Redeem,
    /// Silent renewal with the refresh token.
    Refresh,
    /// Client-credentials token for the application itself.
    AppToken,
}

/// `AADSTS65001` from `error_codes`, or from the description's `AADSTS65001:` prefix.
pub fn aadsts_code(description: Option<&str>, error_codes: &[i64]) -> Option<String> {
    if let Some(c) = error_codes.first() {
        return Some(format!("AADSTS{c}"));
    }
    let d = description?;
    let start = d.find("AADSTS")?;
    let digits: String = d[start + 6..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

/// The first sentence of Microsoft's description, without the code prefix and trace lines.
fn first_sentence(description: Option<&str>) -> Option<String> {
    let d = description?.lines().next()?.trim();
    let d = match d.split_once(": ") {
        Some((code, rest)) if code.starts_with("AADSTS") => rest,
        _ => d,
    };
    let s = match d.find(". ") {
        Some(i) => &d[..=i],
        None => d,
    };
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Codes after which the refresh token is useless and only an interactive sign-in helps.
const SIGN_IN_AGAIN: &[&str] = &[
    "AADSTS700082", // expired for inactivity
    "AADSTS50173",  // revoked (password change, revoke sessions)
    "AADSTS70043",  // Conditional Access sign-in frequency
    "AADSTS70000",  // invalid grant
    "AADSTS50076",  // MFA now required
    "AADSTS50079",  // MFA registration required
    "AADSTS50078",  // MFA claim expired
    "AADSTS65001",  // consent withdrawn
    "AADSTS50105",  // user no longer assigned
    "AADSTS53003",  // Conditional Access block
];

/// Turns an identity-platform error into an [`AuthError`] in plain language.
/// `redirect_uri` is the loopback URI the sign-in used (for redirect mismatches).
pub fn explain(
    stage: Stage,
    error: &str,
    description: Option<&str>,
    error_codes: &[i64],
    cfg: &AuthConfig,
    redirect_uri: Option<&str>,
) -> AuthError {
    let code = aadsts_code(description, error_codes);
    let with_code = |text: String| match &code {
        Some(c) => format!("{text} ({c})"),
        None => format!("{text} ({error})"),
    };
    let identity = |text: String| AuthError::Identity {
        code: code.clone(),
        message: with_code(text),
    };
    let ms_says = first_sentence(description)
        .map(|s| format!(" Microsoft says: {s}"))
        .unwrap_or_default();

    if stage == Stage::Refresh {
        let fatal = error == "invalid_grant"
            || error == "interaction_required"
            || error == "consent_required"
            || code.as_deref().is_some_and(|c| SIGN_IN_AGAIN.contains(&c));
        if fatal {
            let why = match code.as_deref() {
                Some("AADSTS700082") => "the stored sign-in expired after a long time unused",
                Some("AADSTS50173") => {
                    "the stored sign-in was revoked (password change or an administrator revoked sessions)"
                }
                Some("AADSTS70043") => "your organization requires signing in again periodically",
                Some("AADSTS50076" | "AADSTS50079" | "AADSTS50078") => {
                    "multi-factor authentication is required again"
                }
                _ => "the stored sign-in is no longer accepted",
            };
            return AuthError::SignInRequired {
                reason: with_code(format!("{why}; sign in again")),
            };
        }
    }

    match code.as_deref() {
        Some(c @ ("AADSTS65001" | "AADSTS90094" | "AADSTS90095" | "AADSTS90008")) => {
            return AuthError::AdminConsentRequired {
                code: c.to_string(),
                admin_consent_url: cfg.admin_consent_url(),
            }
        }
        Some("AADSTS65004") => {
            return identity(
                "You declined the permissions Directory Sync asks for, so it cannot read the directory. \
                 Sign in again and accept them"
                    .into(),
            )
        }
        Some("AADSTS50011") => {
            let used = redirect_uri.unwrap_or("http://localhost/");
            return identity(format!(
                "The redirect URI does not match the app registration. In Entra ID → App registrations → \
                 {} → Authentication, add the platform \"Mobile and desktop applications\" with the redirect URI \
                 http://localhost exactly (this sign-in used {used}; the port is ignored for localhost)",
                cfg.client_id
            ));
        }
        Some("AADSTS700016") => {
            return identity(format!(
                "The application {} was not found in the tenant '{}'. Check the client id, or ask the tenant's \
                 administrator to register the app (or to consent to it if it is registered in another tenant)",
                cfg.client_id, cfg.tenant
            ))
        }
        Some("AADSTS7000218") => {
            return identity(
                "The app registration asks for a client secret: its redirect URI is registered under \"Web\". \
                 Move http://localhost to the \"Mobile and desktop applications\" platform (and set \"Allow \
                 public client flows\" to Yes)"
                    .into(),
            )
        }
        Some("AADSTS700025") => {
            return identity(
                "The app registration is a public client, so no client secret may be sent. Sign in interactively, \
                 or register a confidential client for unattended use"
                    .into(),
            )
        }
        Some("AADSTS7000215" | "AADSTS7000222") => {
            return identity(
                "The client secret was refused (wrong or expired). Create a new secret in the app registration \
                 and provide it through DIRSYNC_CLIENT_SECRET or the secret file"
                    .into(),
            )
        }
        Some("AADSTS90002") => {
            return identity(format!(
                "The tenant '{}' does not exist. Check the tenant setting (a tenant GUID, a verified domain, or organizations)",
                cfg.tenant
            ))
        }
        Some("AADSTS50194") => {
            return identity(format!(
                "This app is single-tenant and cannot sign in through '{}'. Set the tenant to your tenant's GUID or domain",
                cfg.tenant
            ))
        }
        Some("AADSTS50105") => {
            return identity(
                "Your account is not assigned to this application. Ask an administrator to assign you in \
                 Enterprise applications"
                    .into(),
            )
        }
        Some("AADSTS53003") => {
            return identity(format!(
                "Conditional Access blocked the sign-in.{ms_says}"
            ))
        }
        Some("AADSTS54005") => {
            return identity(
                "This sign-in code was already used; start the sign-in again".into(),
            )
        }
        Some("AADSTS501481") => {
            return identity(
                "The sign-in code did not match this sign-in (PKCE check failed); start the sign-in again".into(),
            )
        }
        Some("AADSTS70011") => {
            return identity(format!("The requested permissions are not valid for this app.{ms_says}"))
        }
        _ => {}
    }

    match error {
        "access_denied" => identity(format!(
            "Sign-in was refused or cancelled in the browser.{ms_says} Sign in again when ready"
        )),
        "consent_required" => AuthError::AdminConsentRequired {
            code: code.unwrap_or_else(|| "consent_required".into()),
            admin_consent_url: cfg.admin_consent_url(),
        },
        "invalid_grant" if stage == Stage::Redeem => identity(format!(
            "The sign-in code was refused; start the sign-in again.{ms_says}"
        )),
        "unauthorized_client" | "invalid_client" => identity(format!(
            "The app registration {} cannot be used for this sign-in.{ms_says}",
            cfg.client_id
        )),
        "temporarily_unavailable" | "server_error" => identity(format!(
            "The sign-in service is temporarily unavailable; try again in a few minutes.{ms_says}"
        )),
        other => identity(format!("Sign-in failed: {other}.{ms_says}")),
    }
}

/// A transport failure in plain language, naming the host but never the request (it may carry a code).
pub fn network(host_of: &str, err: &dyn std::error::Error) -> AuthError {
    let host = url::Url::parse(host_of)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| host_of.to_string());
    let mut kind = "the connection failed";
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("dns") || text.contains("resolve") {
            kind = "the host name could not be resolved";
        } else if text.contains("refused") {
            kind = "the connection was refused";
        } else if text.contains("timed out") {
            kind = "the connection timed out";
        }
        source = e.source();
    }
    AuthError::Network(format!(
        "{host}: {kind}. Check the network connection, proxy and the authority setting"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AuthConfig {
        AuthConfig {
            authority: "https://login.microsoftonline.com".into(),
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            graph_url: "https://graph.microsoft.com".into(),
        }
    }

    #[test]
    fn code_comes_from_error_codes_or_description() {
        assert_eq!(aadsts_code(None, &[70011]).as_deref(), Some("AADSTS70011"));
        assert_eq!(
            aadsts_code(Some("AADSTS50011: The redirect URI ..."), &[]).as_deref(),
            Some("AADSTS50011")
        );
        assert_eq!(aadsts_code(Some("no code here"), &[]), None);
    }

    // Documented bodies (reference-error-codes, v2-oauth2-auth-code-flow).
    #[test]
    fn consent_missing_names_the_admin_consent_url() {
        let e = explain(
            Stage::Redeem,
            "invalid_grant",
            Some("AADSTS65001: The user or administrator has not consented to use the application with ID '1111'.\r\nTrace ID: x"),
            &[65001],
            &cfg(),
            None,
        );
        let text = e.to_string();
        assert!(text.contains("Global Administrator"), "{text}");
        assert!(text.contains("https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=11111111-2222-3333-4444-555555555555"), "{text}");
        assert_eq!(e.aadsts_code(), Some("AADSTS65001"));
    }

    #[test]
    fn redirect_mismatch_shows_the_uri_to_register() {
        let e = explain(
            Stage::Authorize,
            "invalid_request",
            Some("AADSTS50011: The redirect URI 'http://localhost:5123/' specified in the request does not match"),
            &[],
            &cfg(),
            Some("http://localhost:5123/"),
        );
        let text = e.to_string();
        assert!(text.contains("http://localhost exactly"), "{text}");
        assert!(text.contains("Mobile and desktop applications"), "{text}");
        assert!(text.contains("AADSTS50011"), "{text}");
    }

    #[test]
    fn web_platform_redirect_is_explained() {
        let e = explain(
            Stage::Redeem,
            "invalid_client",
            Some("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
            &[7000218],
            &cfg(),
            None,
        );
        assert!(e.to_string().contains("registered under \"Web\""), "{e}");
    }

    #[test]
    fn app_not_found_declined_and_access_denied() {
        let e = explain(
            Stage::Authorize,
            "unauthorized_client",
            Some(
                "AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.",
            ),
            &[],
            &cfg(),
            None,
        );
        assert!(
            e.to_string()
                .contains("was not found in the tenant 'contoso.onmicrosoft.com'"),
            "{e}"
        );
        let e = explain(
            Stage::Authorize,
            "access_denied",
            Some("AADSTS65004: User declined to consent to access the app."),
            &[],
            &cfg(),
            None,
        );
        assert!(e.to_string().contains("You declined"), "{e}");
        let e = explain(
            Stage::Authorize,
            "access_denied",
            Some("The user cancelled."),
            &[],
            &cfg(),
            None,
        );
        assert!(e.to_string().contains("refused or cancelled"), "{e}");
        assert!(e.to_string().contains("(access_denied)"), "{e}");
    }

    #[test]
    fn refresh_failures_for_good_require_sign_in() {
        for (err, code) in [
            ("invalid_grant", 700082),
            ("invalid_grant", 50173),
            ("invalid_grant", 70000),
            ("interaction_required", 50076),
        ] {
            let e = explain(Stage::Refresh, err, None, &[code], &cfg(), None);
            assert!(e.is_sign_in_required(), "{code}: {e}");
            assert!(e.to_string().contains(&format!("AADSTS{code}")), "{e}");
        }
        let e = explain(
            Stage::Refresh,
            "temporarily_unavailable",
            None,
            &[],
            &cfg(),
            None,
        );
        assert!(!e.is_sign_in_required());
    }
}
