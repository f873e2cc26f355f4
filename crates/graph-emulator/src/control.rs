//! The control API: in-process ([`Control`]) and over HTTP under `/_emulator/`.

use std::sync::Arc;

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::clients::ClientApp;
use crate::faults::FaultSpec;
use crate::state::{LoggedRequest, State};
use crate::tenant::store::{StoreError, UserState};

/// A user as stored, with its lifecycle state.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSnapshot {
    pub user: Value,
    pub state: UserState,
}

/// In-process control of a running emulator (same operations as the HTTP control API).
#[derive(Clone)]
pub struct Control {
    pub(crate) st: Arc<State>,
}

impl Control {
    /// Adds a user (a Graph user JSON object; `displayName` required, `id` optional). Returns its id.
    pub fn add_user(&self, user: Value) -> Result<String, StoreError> {
        self.st.store.lock().unwrap().add_user(user, false)
    }
    /// Changes properties of a user (`manager` takes a user id or null).
    pub fn update_user(&self, id: &str, patch: Value) -> Result<(), StoreError> {
        self.st.store.lock().unwrap().update_user(id, patch)
    }
    /// Deletes a user into deleted items (delta: `@removed` reason `changed`).
    pub fn soft_delete(&self, id: &str) -> Result<(), StoreError> {
        self.st.store.lock().unwrap().soft_delete(id)
    }
    /// Restores a soft-deleted user (delta: full object, no annotation).
    pub fn restore(&self, id: &str) -> Result<(), StoreError> {
        self.st.store.lock().unwrap().restore(id)
    }
    /// Permanently deletes a user (delta: `@removed` reason `deleted`).
    pub fn hard_delete(&self, id: &str) -> Result<(), StoreError> {
        self.st.store.lock().unwrap().hard_delete(id)
    }
    /// Moves the simulated clock forward (token expiry, delta token expiry).
    pub fn advance_clock(&self, by: chrono::Duration) {
        *self.st.clock_offset.lock().unwrap() += by;
    }
    /// The simulated clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.st.now()
    }
    /// Sets the delta page size (1..=999).
    pub fn set_page_size(&self, n: usize) {
        self.st.set_page_size(n)
    }
    pub fn page_size(&self) -> usize {
        self.st.page_size()
    }
    pub fn inject_fault(&self, spec: FaultSpec) {
        self.st.faults.lock().unwrap().add(spec)
    }
    pub fn clear_faults(&self) {
        self.st.faults.lock().unwrap().clear()
    }
    /// Revokes every refresh token issued so far (next use: AADSTS50173).
    pub fn revoke_refresh_tokens(&self) {
        let now = self.st.now() + chrono::Duration::milliseconds(1);
        self.st.identity.lock().unwrap().revoked_before = Some(now);
    }
    /// On: every delta/skip token issued before now answers 410 Gone with a Location header.
    pub fn set_delta_reset(&self, on: bool) {
        let mut r = self.st.delta_reset_seq.lock().unwrap();
        *r = on.then(|| self.st.store.lock().unwrap().bump());
    }
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.st.log.lock().unwrap().clone()
    }
    pub fn clear_request_log(&self) {
        self.st.log.lock().unwrap().clear()
    }
    /// A user by id or user principal name, whatever its state.
    pub fn user(&self, id: &str) -> Option<UserSnapshot> {
        self.st
            .store
            .lock()
            .unwrap()
            .find(id)
            .map(|v| UserSnapshot {
                user: Value::Object(v.user),
                state: v.state,
            })
    }
    /// All active users (intended for small tenants in tests).
    pub fn users_snapshot(&self) -> Vec<Value> {
        let store = self.st.store.lock().unwrap();
        (0..store.positions())
            .filter_map(|p| store.view_at(p))
            .filter(|v| v.state == UserState::Active)
            .map(|v| Value::Object(v.user))
            .collect()
    }
    /// The id at enumeration position `pos` (generated users first, then added ones).
    pub fn user_id_at(&self, pos: usize) -> Option<String> {
        self.st.store.lock().unwrap().id_at(pos)
    }
    pub fn user_count(&self) -> usize {
        self.st.store.lock().unwrap().live_count()
    }
    /// Registers (or replaces) an application.
    pub fn register_client(&self, app: ClientApp) {
        self.st
            .clients
            .lock()
            .unwrap()
            .insert(app.client_id.to_ascii_lowercase(), app);
    }
}

fn store_result(r: Result<(), StoreError>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

fn store_error(e: StoreError) -> Response {
    let status = match e {
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
    };
    (status, Json(json!({"error": e.to_string()}))).into_response()
}

fn ctl(st: &Arc<State>) -> Control {
    Control { st: st.clone() }
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

#[derive(Deserialize)]
struct PageSize {
    size: usize,
}

#[derive(Deserialize)]
struct Toggle {
    enabled: bool,
}

pub fn router() -> Router<Arc<State>> {
    Router::new()
        .route("/_emulator/info", get(info))
        .route("/_emulator/users", post(add_user).get(list_users))
        .route(
            "/_emulator/users/{id}",
            get(get_user).patch(update_user).delete(hard_delete),
        )
        .route("/_emulator/users/{id}/soft-delete", post(soft_delete))
        .route("/_emulator/users/{id}/restore", post(restore))
        .route("/_emulator/users/{id}/hard-delete", post(hard_delete))
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance))
        .route("/_emulator/page-size", put(page_size))
        .route("/_emulator/faults", post(add_fault).delete(clear_faults))
        .route("/_emulator/revoke-refresh-tokens", post(revoke))
        .route("/_emulator/delta-reset", put(delta_reset))
        .route("/_emulator/requests", get(requests).delete(clear_requests))
        .route("/_emulator/clients", post(register_client))
}

async fn info(AxState(st): AxState<Arc<State>>) -> Response {
    let admins: Vec<Value> = {
        let store = st.store.lock().unwrap();
        store
            .admins
            .iter()
            .filter_map(|id| store.get(id))
            .map(|v| v.user["userPrincipalName"].clone())
            .collect()
    };
    Json(json!({
        "authority": st.base_url, "graphUrl": st.base_url, "tenantId": st.tenant.id,
        "tenantDomain": st.tenant.domain, "clientId": crate::clients::DEMO_CLIENT_ID,
        "adminUpns": admins, "userCount": st.store.lock().unwrap().live_count(),
        "pageSize": st.page_size(), "now": st.now(),
        "extensionAttribute": st.extension_name(),
    }))
    .into_response()
}

async fn add_user(AxState(st): AxState<Arc<State>>, Json(v): Json<Value>) -> Response {
    match ctl(&st).add_user(v) {
        Ok(id) => (StatusCode::CREATED, Json(json!({"id": id}))).into_response(),
        Err(e) => store_error(e),
    }
}

async fn list_users(AxState(st): AxState<Arc<State>>) -> Response {
    Json(ctl(&st).users_snapshot()).into_response()
}

async fn get_user(AxState(st): AxState<Arc<State>>, Path(id): Path<String>) -> Response {
    match ctl(&st).user(&id) {
        Some(u) => Json(u).into_response(),
        None => store_error(StoreError::NotFound(id)),
    }
}

async fn update_user(
    AxState(st): AxState<Arc<State>>,
    Path(id): Path<String>,
    Json(v): Json<Value>,
) -> Response {
    store_result(ctl(&st).update_user(&id, v))
}

async fn soft_delete(AxState(st): AxState<Arc<State>>, Path(id): Path<String>) -> Response {
    store_result(ctl(&st).soft_delete(&id))
}

async fn restore(AxState(st): AxState<Arc<State>>, Path(id): Path<String>) -> Response {
    store_result(ctl(&st).restore(&id))
}

async fn hard_delete(AxState(st): AxState<Arc<State>>, Path(id): Path<String>) -> Response {
    store_result(ctl(&st).hard_delete(&id))
}

async fn clock(AxState(st): AxState<Arc<State>>) -> Response {
    Json(json!({"now": st.now()})).into_response()
}

async fn advance(AxState(st): AxState<Arc<State>>, Json(a): Json<Advance>) -> Response {
    ctl(&st).advance_clock(chrono::Duration::milliseconds((a.seconds * 1000.0) as i64));
    Json(json!({"now": st.now()})).into_response()
}

async fn page_size(AxState(st): AxState<Arc<State>>, Json(p): Json<PageSize>) -> Response {
    ctl(&st).set_page_size(p.size);
    Json(json!({"size": st.page_size()})).into_response()
}

async fn add_fault(AxState(st): AxState<Arc<State>>, Json(f): Json<FaultSpec>) -> Response {
    ctl(&st).inject_fault(f);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_faults(AxState(st): AxState<Arc<State>>) -> Response {
    ctl(&st).clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke(AxState(st): AxState<Arc<State>>) -> Response {
    ctl(&st).revoke_refresh_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn delta_reset(AxState(st): AxState<Arc<State>>, Json(t): Json<Toggle>) -> Response {
    ctl(&st).set_delta_reset(t.enabled);
    StatusCode::NO_CONTENT.into_response()
}

async fn requests(AxState(st): AxState<Arc<State>>) -> Response {
    Json(ctl(&st).request_log()).into_response()
}

async fn clear_requests(AxState(st): AxState<Arc<State>>) -> Response {
    ctl(&st).clear_request_log();
    StatusCode::NO_CONTENT.into_response()
}

async fn register_client(AxState(st): AxState<Arc<State>>, Json(app): Json<ClientApp>) -> Response {
    ctl(&st).register_client(app);
    StatusCode::NO_CONTENT.into_response()
}
