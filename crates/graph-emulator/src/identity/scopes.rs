//! Scope parsing and consent rules.

/// OpenID Connect scopes (not Graph permissions).
pub const OIDC: &[&str] = &["openid", "profile", "offline_access", "email"];

/// Delegated Graph permissions known to the emulator, with whether they need admin consent.
pub const GRAPH_DELEGATED: &[(&str, bool)] = &[
    ("User.Read", false),
    ("User.ReadBasic.All", false),
    ("User.Read.All", true),
    ("User.ReadWrite.All", true),
    ("Directory.Read.All", true),
    ("GroupMember.Read.All", true),
    ("Group.Read.All", true),
    ("Organization.Read.All", true),
];

const GRAPH_PREFIXES: &[&str] = &[
    "https://graph.microsoft.com/",
    "00000003-0000-0000-c000-000000000000/",
];

/// A normalized scope: OIDC scopes, Graph permission names, or ".default".
pub fn normalize(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split([' ', '+']).filter(|s| !s.is_empty()) {
        let mut name = s;
        for p in GRAPH_PREFIXES {
            if let Some(rest) = s.strip_prefix(p) {
                name = rest;
            }
        }
        let canon = if let Some(o) = OIDC.iter().find(|o| o.eq_ignore_ascii_case(name)) {
            o.to_string()
        } else if name == ".default" {
            ".default".to_owned()
        } else if let Some((g, _)) = GRAPH_DELEGATED
            .iter()
            .find(|(g, _)| g.eq_ignore_ascii_case(name))
        {
            g.to_string()
        } else {
            return Err(s.to_owned());
        };
        if !out.contains(&canon) {
            out.push(canon);
        }
    }
    Ok(out)
}

pub fn needs_admin(scope: &str) -> bool {
    GRAPH_DELEGATED.iter().any(|(g, a)| *g == scope && *a)
}

pub fn is_graph(scope: &str) -> bool {
    GRAPH_DELEGATED.iter().any(|(g, _)| *g == scope)
}
