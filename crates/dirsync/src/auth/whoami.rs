//! Who signed in and to which tenant: `/me` and `/organization` through the Graph client.

use std::sync::Arc;

use serde::Deserialize;

use super::{AuthError, TokenProvider};
use crate::graph::{GraphClient, GraphError};

#[derive(Debug, Clone, Default)]
pub(crate) struct Me {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Organization {
    pub id: String,
    pub display_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeBody {
    id: String,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
}

#[derive(Deserialize)]
struct OrgList {
    value: Vec<OrgBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrgBody {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
}

fn graph_err(e: GraphError) -> AuthError {
    match e {
        GraphError::Auth(a) => a,
        other => AuthError::Graph(other.to_string()),
    }
}

pub(crate) fn client(
    graph_url: &str,
    tokens: Arc<dyn TokenProvider>,
) -> Result<GraphClient, AuthError> {
    GraphClient::new(graph_url, tokens)
        .map_err(|e| AuthError::Config(format!("the graph_url setting is not usable: {e}")))
}

pub(crate) async fn me(graph: &GraphClient) -> Result<Me, AuthError> {
    let body: MeBody = graph
        .get_json("me?$select=id,userPrincipalName,displayName,mail", &[])
        .await
        .map_err(graph_err)?;
    Ok(Me {
        user_principal_name: body
            .user_principal_name
            .or(body.mail)
            .unwrap_or_else(|| body.id.clone()),
        display_name: body.display_name.unwrap_or_default(),
        id: body.id,
    })
}

/// The tenant. `Ok(None)` when Graph refuses `/organization` (403): the caller falls back to the
/// id_token's tenant id rather than failing a sign-in that otherwise worked.
pub(crate) async fn organization(graph: &GraphClient) -> Result<Option<Organization>, AuthError> {
    match graph
        .get_json::<OrgList>("organization?$select=id,displayName", &[])
        .await
    {
        Ok(list) => Ok(list.value.into_iter().next().map(|o| Organization {
            display_name: o.display_name.unwrap_or_else(|| o.id.clone()),
            id: o.id,
        })),
        Err(GraphError::PermissionDenied { .. }) => Ok(None),
        Err(e) => Err(graph_err(e)),
    }
}
