//! The tenant store: generated base users plus a sparse overlay of changes with sequence numbers.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::generator::Generator;
use super::KNOWN_PROPS;

/// Lifecycle state of a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UserState {
    Active,
    SoftDeleted,
    HardDeleted,
}

/// An overlaid (changed, added or deleted) user.
#[derive(Clone, Debug)]
pub struct Entry {
    pub user: Map<String, Value>,
    pub state: UserState,
    /// Sequence number of the latest change of any kind.
    pub seq: u64,
    /// Sequence number of the latest lifecycle change (delete, restore).
    pub state_seq: u64,
    /// Sequence number of creation (0 for users that existed at startup).
    pub created_seq: u64,
    /// Sequence number of the latest change per property.
    pub prop_seq: HashMap<String, u64>,
    /// The manager id before the latest manager removal.
    pub removed_manager: Option<String>,
}

/// A user as seen by readers.
#[derive(Clone, Debug)]
pub struct UserView {
    pub user: Map<String, Value>,
    pub state: UserState,
    pub entry: Option<Entry>,
}

/// Error from a store mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    NotFound(String),
    Invalid(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound(id) => write!(f, "user {id} not found"),
            StoreError::Invalid(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for StoreError {}

pub struct Store {
    pub gen: Generator,
    entries: HashMap<String, Entry>,
    /// seq -> id for the latest change of each overlaid user.
    log: BTreeMap<u64, String>,
    added: Vec<String>,
    seq: u64,
    live: usize,
    pub admins: Vec<String>,
}

impl Store {
    pub fn new(gen: Generator, initial_seq: u64) -> Self {
        let admins = super::generator::ADMIN_INDICES
            .iter()
            .filter(|&&i| i < gen.count)
            .map(|&i| gen.id_of(i))
            .collect();
        let live = gen.count;
        Store {
            gen,
            entries: HashMap::new(),
            log: BTreeMap::new(),
            added: Vec::new(),
            seq: initial_seq,
            live,
            admins,
        }
    }

    /// The current change sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Bumps and returns the sequence (used to mark events such as a delta reset).
    pub fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn live_count(&self) -> usize {
        self.live
    }

    /// Number of enumeration positions (base users, then added users).
    pub fn positions(&self) -> usize {
        self.gen.count + self.added.len()
    }

    pub fn id_at(&self, pos: usize) -> Option<String> {
        if pos < self.gen.count {
            Some(self.gen.id_of(pos))
        } else {
            self.added.get(pos - self.gen.count).cloned()
        }
    }

    /// The user at enumeration position `pos`.
    pub fn view_at(&self, pos: usize) -> Option<UserView> {
        let id = self.id_at(pos)?;
        if let Some(e) = self.entries.get(&id) {
            return Some(UserView {
                user: e.user.clone(),
                state: e.state,
                entry: Some(e.clone()),
            });
        }
        (pos < self.gen.count).then(|| UserView {
            user: self.gen.user(pos),
            state: UserState::Active,
            entry: None,
        })
    }

    pub fn get(&self, id: &str) -> Option<UserView> {
        let id = id.to_ascii_lowercase();
        if let Some(e) = self.entries.get(&id) {
            return Some(UserView {
                user: e.user.clone(),
                state: e.state,
                entry: Some(e.clone()),
            });
        }
        let i = self.gen.index_of(&id)?;
        Some(UserView {
            user: self.gen.user(i),
            state: UserState::Active,
            entry: None,
        })
    }

    /// Looks a user up by id or user principal name.
    pub fn find(&self, key: &str) -> Option<UserView> {
        if let Some(v) = self.get(key) {
            return Some(v);
        }
        let found = self.entries.values().find(|e| {
            e.user
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .is_some_and(|u| u.eq_ignore_ascii_case(key))
        });
        if let Some(e) = found {
            return self.get(e.user["id"].as_str().unwrap_or_default());
        }
        let i = self.gen.index_of_upn(key)?;
        let id = self.gen.id_of(i);
        if self.entries.contains_key(&id) {
            return None; // overlaid with a different UPN
        }
        self.get(&id)
    }

    /// Overlaid users changed after `after` and at or before `end`, in change order.
    pub fn changes(&self, after: u64, end: u64, limit: usize) -> Vec<(u64, Entry)> {
        if after >= end {
            return Vec::new();
        }
        self.log
            .range(after + 1..=end)
            .take(limit)
            .filter_map(|(s, id)| self.entries.get(id).map(|e| (*s, e.clone())))
            .collect()
    }

    fn record(&mut self, id: &str) -> u64 {
        self.seq += 1;
        let seq = self.seq;
        if let Some(e) = self.entries.get_mut(id) {
            self.log.remove(&e.seq);
            e.seq = seq;
        }
        self.log.insert(seq, id.to_owned());
        seq
    }

    fn entry_mut(&mut self, id: &str) -> Result<&mut Entry, StoreError> {
        let id = id.to_ascii_lowercase();
        if !self.entries.contains_key(&id) {
            let i = self
                .gen
                .index_of(&id)
                .ok_or_else(|| StoreError::NotFound(id.clone()))?;
            self.entries.insert(
                id.clone(),
                Entry {
                    user: self.gen.user(i),
                    state: UserState::Active,
                    seq: 0,
                    state_seq: 0,
                    created_seq: 0,
                    prop_seq: HashMap::new(),
                    removed_manager: None,
                },
            );
        }
        Ok(self.entries.get_mut(&id).expect("just inserted"))
    }

    fn validate(&self, props: &Map<String, Value>) -> Result<(), StoreError> {
        for k in props.keys() {
            if !KNOWN_PROPS.contains(&k.as_str()) && *k != self.gen.extension_name {
                return Err(StoreError::Invalid(format!(
                    "Property '{k}' does not exist on type 'microsoft.graph.user'."
                )));
            }
        }
        if let Some(m) = props.get("manager") {
            match m {
                Value::Null => {}
                Value::String(mid) if self.get(mid).is_some() => {}
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "manager {m} is not a known user id"
                    )))
                }
            }
        }
        Ok(())
    }

    fn normalize(&self, user: &mut Map<String, Value>) {
        for k in KNOWN_PROPS {
            user.entry(k.to_string()).or_insert(Value::Null);
        }
        user.entry(self.gen.extension_name.clone())
            .or_insert(Value::Null);
        if user["businessPhones"].is_null() {
            user.insert("businessPhones".into(), Value::Array(vec![]));
        }
        if user["accountEnabled"].is_null() {
            user.insert("accountEnabled".into(), Value::Bool(true));
        }
        if user["userType"].is_null() {
            user.insert("userType".into(), Value::String("Member".into()));
        }
        if user["onPremisesExtensionAttributes"].is_null() {
            let mut ext = Map::new();
            for n in 1..=15 {
                ext.insert(format!("extensionAttribute{n}"), Value::Null);
            }
            user.insert("onPremisesExtensionAttributes".into(), Value::Object(ext));
        }
    }

    /// Adds a user. `initial` users exist from the start (they never show in incremental rounds).
    pub fn add_user(&mut self, user: Value, initial: bool) -> Result<String, StoreError> {
        let Value::Object(mut user) = user else {
            return Err(StoreError::Invalid("a user must be a JSON object".into()));
        };
        self.validate(&user)?;
        let id = match user.get("id").and_then(Value::as_str) {
            Some(id) => id.to_ascii_lowercase(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        if self
            .get(&id)
            .is_some_and(|v| v.state != UserState::HardDeleted)
        {
            return Err(StoreError::Invalid(format!(
                "a user with id {id} already exists"
            )));
        }
        if self.entries.contains_key(&id) {
            return Err(StoreError::Invalid(format!(
                "the id {id} was used by a deleted user"
            )));
        }
        user.insert("id".into(), Value::String(id.clone()));
        if user.get("displayName").and_then(Value::as_str).is_none() {
            return Err(StoreError::Invalid("displayName is required".into()));
        }
        self.normalize(&mut user);
        let mut entry = Entry {
            user,
            state: UserState::Active,
            seq: 0,
            state_seq: 0,
            created_seq: 0,
            prop_seq: HashMap::new(),
            removed_manager: None,
        };
        if !initial {
            self.seq += 1;
            entry.seq = self.seq;
            entry.created_seq = self.seq;
            self.log.insert(self.seq, id.clone());
        }
        self.entries.insert(id.clone(), entry);
        self.added.push(id.clone());
        self.live += 1;
        Ok(id)
    }

    /// Sets a property of an initial user without recording a change (tenant file loading).
    pub fn set_initial(&mut self, id: &str, prop: &str, value: Value) {
        if let Some(e) = self.entries.get_mut(id) {
            e.user.insert(prop.to_owned(), value);
        }
    }

    /// Applies a partial update; properties set to the value they already have are not changes.
    pub fn update_user(&mut self, id: &str, patch: Value) -> Result<(), StoreError> {
        let Value::Object(patch) = patch else {
            return Err(StoreError::Invalid("a patch must be a JSON object".into()));
        };
        self.validate(&patch)?;
        if patch.contains_key("id") {
            return Err(StoreError::Invalid("id cannot be changed".into()));
        }
        let view = self
            .get(id)
            .ok_or_else(|| StoreError::NotFound(id.into()))?;
        if view.state == UserState::HardDeleted {
            return Err(StoreError::NotFound(id.into()));
        }
        let changed: Vec<(String, Value)> = patch
            .into_iter()
            .filter(|(k, v)| view.user.get(k) != Some(v))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let id = view.user["id"].as_str().unwrap_or(id).to_owned();
        self.entry_mut(&id)?;
        let seq = self.record(&id);
        let e = self.entries.get_mut(&id).expect("entry exists");
        for (k, v) in changed {
            if k == "manager" && v.is_null() {
                e.removed_manager = e
                    .user
                    .get("manager")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            e.prop_seq.insert(k.clone(), seq);
            e.user.insert(k, v);
        }
        Ok(())
    }

    fn set_state(
        &mut self,
        id: &str,
        allowed: &[UserState],
        to: UserState,
    ) -> Result<(), StoreError> {
        let view = self
            .get(id)
            .ok_or_else(|| StoreError::NotFound(id.into()))?;
        if !allowed.contains(&view.state) {
            return Err(match view.state {
                UserState::HardDeleted => StoreError::NotFound(id.into()),
                s => StoreError::Invalid(format!("user {id} is {s:?}")),
            });
        }
        let id = view.user["id"].as_str().unwrap_or(id).to_owned();
        self.entry_mut(&id)?;
        let seq = self.record(&id);
        let e = self.entries.get_mut(&id).expect("entry exists");
        let was_live = e.state == UserState::Active;
        e.state = to;
        e.state_seq = seq;
        match (was_live, to == UserState::Active) {
            (true, false) => self.live -= 1,
            (false, true) => self.live += 1,
            _ => {}
        }
        Ok(())
    }

    pub fn soft_delete(&mut self, id: &str) -> Result<(), StoreError> {
        self.set_state(id, &[UserState::Active], UserState::SoftDeleted)
    }

    pub fn restore(&mut self, id: &str) -> Result<(), StoreError> {
        self.set_state(id, &[UserState::SoftDeleted], UserState::Active)
    }

    /// Permanently deletes a user (from the active set or from deleted items).
    pub fn hard_delete(&mut self, id: &str) -> Result<(), StoreError> {
        self.set_state(
            id,
            &[UserState::Active, UserState::SoftDeleted],
            UserState::HardDeleted,
        )
    }
}
