//! Plain HTML pages (no script): account picker, consent, errors.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:Segoe UI,Arial,sans-serif;max-width:440px;margin:60px auto;}}\
         button{{display:block;width:100%;margin:6px 0;padding:10px;text-align:left}}</style></head>\
         <body><h1>{}</h1>{}</body></html>",
        esc(title),
        esc(title),
        body
    )
}

/// Account picker: one button per administrator account, a field for another account, Cancel.
pub fn login(
    action: &str,
    flow: &str,
    tenant_name: &str,
    accounts: &[(String, String)],
    error: Option<&str>,
) -> Response {
    let mut body = format!("<p>Sign in to <b>{}</b></p>", esc(tenant_name));
    if let Some(e) = error {
        body.push_str(&format!("<p role=\"alert\" class=\"error\">{}</p>", esc(e)));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">",
        esc(action)
    ));
    body.push_str(&format!(
        "<input type=\"hidden\" name=\"flow\" value=\"{}\">",
        esc(flow)
    ));
    body.push_str("<p>Pick an account</p>");
    for (upn, name) in accounts {
        body.push_str(&format!(
            "<button type=\"submit\" name=\"account\" value=\"{}\">{}<br><small>{}</small></button>",
            esc(upn),
            esc(name),
            esc(upn)
        ));
    }
    body.push_str("</form>");
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"flow\" value=\"{}\">\
         <label>Use another account <input type=\"email\" name=\"account\"></label>\
         <button type=\"submit\">Next</button></form>",
        esc(action),
        esc(flow)
    ));
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"flow\" value=\"{}\">\
         <button type=\"submit\" name=\"cancel\" value=\"1\">Cancel</button></form>",
        esc(action),
        esc(flow)
    ));
    Html(page("Sign in", &body)).into_response()
}

/// Consent page listing the requested permissions, Accept / Cancel.
pub fn consent(
    action: &str,
    flow: &str,
    app: &str,
    upn: &str,
    scopes: &[String],
    admin_note: bool,
) -> Response {
    let mut body = format!(
        "<p>{}</p><p><b>{}</b> wants to:</p><ul>",
        esc(upn),
        esc(app)
    );
    for s in scopes {
        body.push_str(&format!("<li>{}</li>", esc(s)));
    }
    body.push_str("</ul>");
    if admin_note {
        body.push_str("<p>Some permissions require an administrator to grant consent for the organization; they are not granted by accepting here.</p>");
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{a}\"><input type=\"hidden\" name=\"flow\" value=\"{f}\">\
         <button type=\"submit\" name=\"decision\" value=\"accept\">Accept</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
        a = esc(action),
        f = esc(flow)
    ));
    Html(page("Permissions requested", &body)).into_response()
}

/// An error page shown when the error cannot be sent to the redirect URI.
pub fn error(code: u32, message: &str) -> Response {
    let body = format!(
        "<p>Sorry, but we're having trouble signing you in.</p><p id=\"error\">AADSTS{code}: {}</p>",
        esc(message)
    );
    (StatusCode::BAD_REQUEST, Html(page("Sign in error", &body))).into_response()
}
