//! The sync engine: delta rounds against `/users/delta`, staged on disk and applied to the
//! directory together with the new deltaLink in one transaction.
//!
//! A run: take the run lock, decide incremental or full round, fetch every page into the stage
//! (following nextLinks, restarting as a full round when Graph lost the delta token), then apply
//! stage → directory → groups → deltaLink at once. Preview, the deletion guard and cancel roll the
//! apply back and keep only the run record; a crash or kill leaves the previous state untouched.
//! A full round into an empty directory skips the stage: it is applied as it arrives, still in
//! one transaction that commits with the deltaLink ([`load`]).

mod apply;
mod cancel;
mod load;
mod lock;
mod stage;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::datadir::DataDir;
use crate::directory::{self, DirectoryError};
use crate::graph::{GraphClient, GraphError, GraphEvent};
use crate::groups::{self, GroupsError};
use crate::mapping::{self, Mapping, MappingError};
use crate::rules::Rule;
use crate::runs::{self, EventKind, RunRecord, RunStatus, RunsError, Trigger};
use crate::settings::{self, SettingsError};
use crate::store::{Store, StoreError};

pub use cancel::CancelToken;
pub use lock::{running, RunningSync};

/// A stored deltaLink older than this is refused (the admin must Reset sync).
pub const MAX_DELTA_LINK_AGE_DAYS: i64 = 30;

/// The message of the 30-day rule, verbatim.
pub const DELTA_LINK_TOO_OLD: &str = "DeltaLink older than 30 days is not supported.";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("A sync is already in progress{}; wait for it to finish or cancel it.", describe_holder(.0))]
    RunInProgress(Option<RunningSync>),
    #[error("{DELTA_LINK_TOO_OLD} Use Reset sync to read the whole directory again (last sync {age_days} days ago).")]
    DeltaLinkTooOld { age_days: i64 },
    #[error("Sign-in required: {0}")]
    SignInRequired(String),
    #[error(transparent)]
    Graph(GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Runs(#[from] RunsError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("sync database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot use the data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("the sync worker stopped unexpectedly: {0}")]
    Worker(String),
}

fn describe_holder(h: &Option<RunningSync>) -> String {
    match h {
        Some(h) if h.run_id > 0 => {
            format!(" (run {} by {}, since {})", h.run_id, h.trigger, h.since)
        }
        _ => String::new(),
    }
}

impl From<GraphError> for SyncError {
    fn from(e: GraphError) -> Self {
        if e.is_sign_in_required() {
            SyncError::SignInRequired(e.to_string())
        } else {
            SyncError::Graph(e)
        }
    }
}

impl From<GroupsError> for SyncError {
    fn from(e: GroupsError) -> Self {
        SyncError::Directory(DirectoryError::Groups(e))
    }
}

impl SyncError {
    pub fn is_sign_in_required(&self) -> bool {
        matches!(self, SyncError::SignInRequired(_))
    }
}

/// The time source (tests move it forward to exercise the 30-day rule).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(Utc::now))
    }
    /// The system time shifted by `offset`.
    pub fn offset(offset: chrono::Duration) -> Self {
        Clock(Arc::new(move || Utc::now() + offset))
    }
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
    fn text(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub trigger: Trigger,
    /// Dry run: fetch and compute everything, apply nothing, keep the deltaLink.
    pub preview: bool,
    /// Apply even when the deletion guard would stop the run.
    pub allow_deletes: bool,
    pub clock: Clock,
    /// Run under this sync scope rule instead of the saved one (previewing or applying a scope
    /// change). A successful applied run saves it as the `sync_scope` setting, in the same
    /// transaction as the directory changes.
    pub scope: Option<String>,
}

impl SyncOptions {
    pub fn new(trigger: Trigger) -> Self {
        Self {
            trigger,
            preview: false,
            allow_deletes: false,
            clock: Clock::system(),
            scope: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Fetching,
    Applying,
}

/// Progress of a running sync, reported after every page and every applied batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub run_id: i64,
    pub phase: Phase,
    pub full_round: bool,
    pub pages: u64,
    /// Delta items received so far.
    pub users: u64,
    /// Fetching a full round: the tenant's user count (`/users/$count`) when Graph gives it;
    /// applying: the number of staged users.
    pub total: Option<u64>,
    /// Applying: users applied so far.
    pub applied: u64,
}

/// The outcome of a run that reached an end state (Success, Preview, NeedsApproval, Cancelled).
pub type RunSummary = RunRecord;

/// What the next run will do, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    pub delta_link_at: Option<String>,
    pub delta_link_age_secs: Option<i64>,
    /// The stored deltaLink is older than 30 days: runs fail until Reset sync.
    pub delta_link_too_old: bool,
    /// The next run reads every user (and sweeps those not seen).
    pub next_run_full: bool,
    pub full_round_reason: Option<String>,
    pub running: Option<RunningSync>,
    pub last_run: Option<RunRecord>,
}

/// The sync's view of the stored state, for the Sync page and `dirsync status`.
pub fn status(dir: &DataDir, store: &Store, clock: &Clock) -> Result<SyncStatus, SyncError> {
    let conn = store.conn();
    let stored = delta_state(conn)?;
    let scope = groups::scope::current_rule(conn)?;
    let plan = plan(conn, stored.as_ref(), clock.now(), &scope)?;
    Ok(SyncStatus {
        delta_link_at: stored.map(|(_, at)| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        delta_link_age_secs: plan.age_secs,
        delta_link_too_old: plan.too_old,
        next_run_full: plan.full_reason.is_some(),
        full_round_reason: plan.full_reason,
        running: lock::running(dir, conn)?,
        last_run: runs::latest(conn)?,
    })
}

/// What Reset sync does, in the words its confirmation uses.
pub const RESET_EXPLAINED: &str = "The stored delta link will be dropped. The next sync reads every user again and removes users that no longer exist in Azure AD, still under the deletion guard.";

/// Reset sync: forgets the deltaLink so the next run reads every user and sweeps those gone.
/// Refused while a run is in progress. Recorded in the history as done by the admin in the app.
pub fn reset(dir: &DataDir, store: &Store) -> Result<(), SyncError> {
    reset_by(dir, store, Trigger::Manual, &Clock::system()).map(|_| ())
}

/// [`reset`], recorded in the history as a Reset sync entry with `trigger`, in the same
/// transaction that drops the deltaLink. Returns that entry.
pub fn reset_by(
    dir: &DataDir,
    store: &Store,
    trigger: Trigger,
    clock: &Clock,
) -> Result<RunRecord, SyncError> {
    let conn = store.conn();
    let _lock = match lock::RunLock::try_acquire(dir, conn)? {
        lock::Acquire::Held(l) => l,
        lock::Acquire::Busy(who) => return Err(SyncError::RunInProgress(who)),
    };
    let now = clock.now();
    let stored = delta_state(conn)?;
    let age = stored.as_ref().map(|(_, at)| (now - *at).num_seconds());
    let message = match (&stored, age) {
        (Some((_, at)), Some(age)) => format!(
            "Reset sync: dropped the delta link stored {} ({} old). The next sync reads every user again and removes users that no longer exist in Azure AD, still under the deletion guard.",
            at.to_rfc3339_opts(SecondsFormat::Secs, true),
            runs::human_duration(age)
        ),
        _ => "Reset sync: no delta link was stored. The next sync reads every user again and removes users that no longer exist in Azure AD, still under the deletion guard.".to_string(),
    };
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE sync_state SET delta_link = NULL, delta_link_at = NULL WHERE id = 1",
        [],
    )?;
    mapping::set_tracked_select(&tx, None)?;
    let entry = runs::record_reset(&tx, trigger, &clock.text(), age, &message)?;
    tx.commit()?;
    Ok(entry)
}

/// Settings of the deletion guard.
pub const SETTING_GUARD_MAX: &str = "deletion_guard_max";
pub const SETTING_GUARD_PERCENT: &str = "deletion_guard_percent";

struct Plan {
    full_reason: Option<String>,
    age_secs: Option<i64>,
    too_old: bool,
}

fn delta_state(conn: &Connection) -> Result<Option<(String, DateTime<Utc>)>, SyncError> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT delta_link, delta_link_at FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((Some(link), Some(at))) => DateTime::parse_from_rfc3339(&at)
            .ok()
            .map(|at| (link, at.with_timezone(&Utc))),
        _ => None,
    })
}

/// The `$select` of a round: what the mapping maps, what every dynamic group's rule reads, and
/// what the sync scope reads.
fn needed_select(
    conn: &Connection,
    mapping: &Mapping,
    scope: &Rule,
) -> Result<Vec<String>, SyncError> {
    let mut names: BTreeSet<String> = mapping.graph_select().into_iter().collect();
    names.extend(groups::graph_properties(conn)?);
    names.extend(scope.graph_properties());
    Ok(names.into_iter().collect())
}

fn plan(
    conn: &Connection,
    stored: Option<&(String, DateTime<Utc>)>,
    now: DateTime<Utc>,
    scope: &Rule,
) -> Result<Plan, SyncError> {
    let Some((_, at)) = stored else {
        let reason = if directory::count(conn)? == 0 {
            "first sync".to_string()
        } else {
            "no delta link is stored (Reset sync)".to_string()
        };
        return Ok(Plan {
            full_reason: Some(reason),
            age_secs: None,
            too_old: false,
        });
    };
    let age = now - *at;
    let mapping = mapping::load(conn)?;
    let tracked = mapping::tracked_select(conn)?.unwrap_or_default();
    let for_mapping = mapping::requires_full_round(&tracked, &mapping.graph_select());
    let missing = mapping::requires_full_round(&tracked, &needed_select(conn, &mapping, scope)?);
    let applied_scope = groups::scope::applied(conn)?;
    let full_reason = if !for_mapping.is_empty() {
        Some(format!(
            "the mapping needs {} which the stored delta link does not track",
            for_mapping.join(", ")
        ))
    } else if !missing.is_empty() {
        Some(format!(
            "a group rule or the sync scope needs {} which the stored delta link does not track",
            missing.join(", ")
        ))
    } else if applied_scope.as_deref() != Some(scope.text()) {
        // People outside the old scope were never stored: only reading everyone finds them.
        Some(match applied_scope {
            Some(_) => format!("the sync scope changed to {}", scope.text()),
            None => format!("the sync scope {} has not been applied yet", scope.text()),
        })
    } else {
        None
    };
    Ok(Plan {
        full_reason,
        age_secs: Some(age.num_seconds()),
        too_old: age > chrono::Duration::days(MAX_DELTA_LINK_AGE_DAYS),
    })
}

/// Runs one sync. Returns the run record for every end state the admin acts on (Success,
/// Preview, NeedsApproval, Cancelled); failures return the error and are recorded as Failed runs.
pub async fn run(
    dir: &DataDir,
    client: &GraphClient,
    opts: SyncOptions,
    progress: impl Fn(&Progress) + Send + Sync + 'static,
    cancel: CancelToken,
) -> Result<RunSummary, SyncError> {
    let store = Store::open_in(dir)?;
    let held = match lock::RunLock::try_acquire(dir, store.conn())? {
        lock::Acquire::Held(l) => l,
        lock::Acquire::Busy(who) => return Err(SyncError::RunInProgress(who)),
    };
    let now = opts.clock.text();
    runs::mark_interrupted(store.conn(), &now)?;
    runs::prune(
        store.conn(),
        runs::retention_days(&store)?,
        opts.clock.now(),
    )?;
    let run_id = runs::start(
        store.conn(),
        opts.trigger,
        opts.preview,
        opts.allow_deletes,
        &now,
    )?;
    lock::record(store.conn(), run_id, opts.trigger, &now)?;
    let record = RunRecord {
        id: run_id,
        kind: runs::RunKind::Sync,
        trigger: opts.trigger,
        status: RunStatus::Running,
        preview: opts.preview,
        allow_deletes: opts.allow_deletes,
        full_round: false,
        full_round_reason: None,
        started_at: now,
        ended_at: None,
        delta_link_age_secs: None,
        counts: Default::default(),
        traffic: Default::default(),
        deletion_threshold: None,
        error: None,
    };
    let mut engine = Engine {
        dir: dir.clone(),
        store: Some(store),
        run: record,
        opts,
        progress: Arc::new(progress),
        cancel,
        events: Arc::new(Mutex::new(Vec::new())),
        held: Vec::new(),
    };
    let result = engine.execute(client).await;
    let store = engine.store.take();
    let outcome = match (result, store) {
        (Ok(()), Some(store)) => {
            let _ = lock::clear(store.conn());
            Ok(runs::get(store.conn(), run_id)?.unwrap_or(engine.run))
        }
        (Err(e), store) => {
            // Record the failure on a connection we trust (the worker may have lost ours).
            let store = match store {
                Some(s) => Some(s),
                None => Store::open_in(dir).ok(),
            };
            if let Some(store) = store {
                engine.run.status = RunStatus::Failed;
                engine.run.ended_at = Some(engine.opts.clock.text());
                engine.run.error = Some(e.to_string());
                engine.run.counts = Default::default();
                let _ = runs::add_event(
                    store.conn(),
                    run_id,
                    engine.run.ended_at.as_deref().unwrap_or_default(),
                    EventKind::Failed,
                    &e.to_string(),
                    None,
                    None,
                );
                let _ = runs::finish(store.conn(), &engine.run);
                let _ = lock::clear(store.conn());
            }
            Err(e)
        }
        (Ok(()), None) => Err(SyncError::Worker("the database connection was lost".into())),
    };
    drop(held);
    outcome
}

struct Engine {
    dir: DataDir,
    store: Option<Store>,
    run: RunRecord,
    opts: SyncOptions,
    progress: Arc<dyn Fn(&Progress) + Send + Sync>,
    cancel: CancelToken,
    events: Arc<Mutex<Vec<GraphEvent>>>,
    /// Events raised while the loader holds the store in its transaction, to write after.
    held: Vec<HeldEvent>,
}

struct HeldEvent {
    at: String,
    kind: EventKind,
    message: String,
    attempt: Option<i64>,
    seconds: Option<f64>,
}

/// Where fetched pages go: the stage, or the loader applying a first sync as it arrives.
enum Sink<'a> {
    Stage(&'a mut stage::Stage),
    Load(mpsc::Sender<load::Feed<Value>>),
}

impl Sink<'_> {
    async fn put(&mut self, items: Vec<Value>) -> Result<(), SyncError> {
        match self {
            Sink::Stage(stage) => Ok(stage.put_page(&items)?),
            Sink::Load(feed) => feed
                .send(load::Feed::Page(items))
                .await
                .map_err(|_| loader_gone()),
        }
    }

    async fn restart(&mut self) -> Result<(), SyncError> {
        match self {
            Sink::Stage(stage) => Ok(stage.clear_items()?),
            Sink::Load(feed) => feed
                .send(load::Feed::Restart)
                .await
                .map_err(|_| loader_gone()),
        }
    }

    async fn done(
        &mut self,
        delta_link: &str,
        run: &RunRecord,
        now: String,
    ) -> Result<(), SyncError> {
        match self {
            Sink::Stage(_) => Ok(()),
            Sink::Load(feed) => feed
                .send(load::Feed::Done {
                    delta_link: delta_link.to_string(),
                    run: Box::new(run.clone()),
                    now,
                })
                .await
                .map_err(|_| loader_gone()),
        }
    }
}

fn loader_gone() -> SyncError {
    SyncError::Worker("the directory writer stopped before the round was complete".into())
}

impl Engine {
    fn conn(&self) -> &Connection {
        self.store
            .as_ref()
            .expect("store present outside apply")
            .conn()
    }

    fn event(&mut self, kind: EventKind, message: &str) -> Result<(), SyncError> {
        tracing::info!(run = self.run.id, kind = kind.as_str(), "{message}");
        let at = self.opts.clock.text();
        self.write_event(at, kind, message.to_string(), None, None)
    }

    fn write_event(
        &mut self,
        at: String,
        kind: EventKind,
        message: String,
        attempt: Option<i64>,
        seconds: Option<f64>,
    ) -> Result<(), SyncError> {
        match &self.store {
            Some(store) => runs::add_event(
                store.conn(),
                self.run.id,
                &at,
                kind,
                &message,
                attempt,
                seconds,
            )?,
            None => self.held.push(HeldEvent {
                at,
                kind,
                message,
                attempt,
                seconds,
            }),
        }
        Ok(())
    }

    /// Writes the events held while the loader had the store.
    fn release_held_events(&mut self) -> Result<(), SyncError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        for e in std::mem::take(&mut self.held) {
            runs::add_event(
                store.conn(),
                self.run.id,
                &e.at,
                e.kind,
                &e.message,
                e.attempt,
                e.seconds,
            )?;
        }
        Ok(())
    }

    /// Writes the Graph client's retry/throttle/renewal events as run events.
    fn drain_graph_events(&mut self) -> Result<(), SyncError> {
        let events: Vec<GraphEvent> = std::mem::take(&mut *self.events.lock().unwrap());
        let at = self.opts.clock.text();
        for e in events {
            let (kind, msg, attempt, secs) = match &e {
                GraphEvent::Retry {
                    attempt,
                    reason,
                    wait,
                } => {
                    self.run.traffic.retries += 1;
                    (
                        EventKind::Retry,
                        format!(
                            "retry {attempt} after {:.1} s: {reason}",
                            wait.as_secs_f64()
                        ),
                        Some(*attempt as i64),
                        Some(wait.as_secs_f64()),
                    )
                }
                GraphEvent::Throttled { seconds } => {
                    self.run.traffic.throttle_waits += 1;
                    self.run.traffic.throttle_seconds += seconds;
                    (
                        EventKind::Throttled,
                        format!("throttled by Microsoft Graph: waiting {seconds:.3} s"),
                        None,
                        Some(*seconds),
                    )
                }
                GraphEvent::TokenRenewed => (
                    EventKind::TokenRenewed,
                    "access token renewed after Microsoft Graph rejected it".to_string(),
                    None,
                    None,
                ),
            };
            self.write_event(at.clone(), kind, msg, attempt, secs)?;
        }
        Ok(())
    }

    fn report(&self, phase: Phase, total: Option<u64>) {
        (self.progress)(&Progress {
            run_id: self.run.id,
            phase,
            full_round: self.run.full_round,
            pages: self.run.traffic.pages,
            users: self.run.traffic.users_seen,
            total,
            applied: 0,
        });
    }

    async fn execute(&mut self, client: &GraphClient) -> Result<(), SyncError> {
        let now = self.opts.clock.now();
        let stored = delta_state(self.conn())?;
        let scope = match &self.opts.scope {
            Some(text) => groups::compile(text)?,
            None => groups::scope::current_rule(self.conn())?,
        };
        let plan = plan(self.conn(), stored.as_ref(), now, &scope)?;
        self.run.delta_link_age_secs = plan.age_secs;
        if plan.too_old {
            return Err(SyncError::DeltaLinkTooOld {
                age_days: plan.age_secs.unwrap_or_default() / 86_400,
            });
        }
        let mapping = mapping::load(self.conn())?;
        let select = needed_select(self.conn(), &mapping, &scope)?;
        let initial = format!("users/delta?$select={}", select.join(","));
        let mut url = match (&plan.full_reason, &stored) {
            (None, Some((link, _))) => link.clone(),
            _ => initial.clone(),
        };
        if let Some(reason) = &plan.full_reason {
            self.start_full_round(reason)?;
        }
        let guard_max = parse_setting(
            self.store.as_ref().expect("store present"),
            SETTING_GUARD_MAX,
        )?;
        let guard_percent = parse_setting(
            self.store.as_ref().expect("store present"),
            SETTING_GUARD_PERCENT,
        )?;

        let observer = self.events.clone();
        let client = client.with_observer(Arc::new(move |e: &GraphEvent| {
            observer.lock().unwrap().push(e.clone());
        }));
        let mut apply_plan = apply::ApplyPlan {
            full_round: self.run.full_round,
            preview: self.opts.preview,
            allow_deletes: self.opts.allow_deletes,
            delta_link: String::new(),
            select,
            guard_max,
            guard_percent,
            now: String::new(),
            mapping,
            save_scope: self.opts.scope.is_some(),
            scope,
            cancel: self.cancel.clone(),
            progress: self.progress.clone(),
        };
        if plan.full_reason.is_some() && directory::count(self.conn())? == 0 {
            return self.load(&client, &mut url, &initial, apply_plan).await;
        }
        let mut stage = stage::Stage::create(&self.dir)?;
        let fetched = self
            .fetch(&client, Sink::Stage(&mut stage), &mut url, &initial)
            .await;
        apply_plan.delta_link = match fetched {
            Ok(Some(link)) => link,
            Ok(None) => {
                stage.discard();
                return self.cancelled_while_reading();
            }
            Err(e) => {
                stage.discard();
                return Err(e);
            }
        };
        // Graph may have turned the round into a full one (410, syncStateNotFound) while fetching.
        apply_plan.full_round = self.run.full_round;
        apply_plan.now = self.opts.clock.text();
        let mut store = self.store.take().expect("store present");
        let mut run = self.run.clone();
        let (store, stage, run, result) = tokio::task::spawn_blocking(move || {
            let r = apply::apply(&mut store, &mut stage, &apply_plan, &mut run);
            (store, stage, run, r)
        })
        .await
        .map_err(|e| SyncError::Worker(e.to_string()))?;
        self.store = Some(store);
        stage.discard();
        self.run = run;
        result
    }

    /// A first sync: fetched and applied at once by the loader on a worker thread, which holds
    /// the store until the round ends.
    async fn load(
        &mut self,
        client: &GraphClient,
        url: &mut String,
        initial: &str,
        plan: apply::ApplyPlan,
    ) -> Result<(), SyncError> {
        // Three stages on their own threads: fetch (here), prepare, write. Two pages in flight
        // between each: the fetch runs at most a few pages ahead of the writer.
        let (fetched, to_prepare) = mpsc::channel(2);
        let (prepared, to_write) = mpsc::channel(2);
        let mut store = self.store.take().expect("store present");
        let (dir, run_id) = (self.dir.clone(), self.run.id);
        let with = load::Preparer {
            mapping: plan.mapping.clone(),
            scope: plan.scope.clone(),
        };
        let preparer =
            tokio::task::spawn_blocking(move || load::prepare(to_prepare, prepared, with));
        let worker = tokio::task::spawn_blocking(move || {
            let loaded = load::load(&mut store, &dir, to_write, plan, run_id);
            (store, loaded)
        });
        let fetched = self.fetch(client, Sink::Load(fetched), url, initial).await;
        // The preparer ends once the fetch has dropped its sender (or the writer stopped).
        let _ = preparer.await;
        let loaded = match worker.await {
            Ok((store, loaded)) => {
                self.store = Some(store);
                loaded
            }
            Err(e) => {
                self.store = Store::open_in(&self.dir).ok();
                Err(SyncError::Worker(e.to_string()))
            }
        };
        self.release_held_events()?;
        match (fetched, loaded) {
            // The writer's own error explains a fetch that stopped because the writer did.
            (_, Err(e)) | (Err(e), _) => Err(e),
            (Ok(None), Ok(_)) => self.cancelled_while_reading(),
            (Ok(Some(_)), Ok(load::Loaded::Finished(run))) => {
                self.run = *run;
                Ok(())
            }
            (Ok(Some(_)), Ok(load::Loaded::Abandoned)) => Err(loader_gone()),
        }
    }

    fn cancelled_while_reading(&mut self) -> Result<(), SyncError> {
        self.run.status = RunStatus::Cancelled;
        self.run.ended_at = Some(self.opts.clock.text());
        self.event(
            EventKind::Cancelled,
            "Cancelled while reading Azure AD; nothing was applied.",
        )?;
        runs::finish(self.conn(), &self.run)?;
        Ok(())
    }

    fn start_full_round(&mut self, reason: &str) -> Result<(), SyncError> {
        self.run.full_round = true;
        self.run.full_round_reason = Some(reason.to_string());
        self.event(
            EventKind::FullRound,
            &format!(
                "Full round started because {reason}; users not seen in it are removed at the end."
            ),
        )
    }

    /// Fetches every page into `sink`. `Ok(None)`: cancelled.
    async fn fetch(
        &mut self,
        client: &GraphClient,
        mut sink: Sink<'_>,
        url: &mut String,
        initial: &str,
    ) -> Result<Option<String>, SyncError> {
        let mut total = None;
        if self.run.full_round {
            total = self.count_users(client).await;
        }
        let mut restarted = false;
        loop {
            self.report(Phase::Fetching, total);
            let page = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    self.drain_graph_events()?;
                    return Ok(None);
                }
                page = client.get_delta_page(url, &[]) => page,
            };
            self.drain_graph_events()?;
            let page = match page {
                Ok(p) => p,
                Err(e) if e.is_sync_state_lost() && !restarted => {
                    restarted = true;
                    let why = match e.status() {
                        Some(410) => {
                            "Microsoft Graph asked for a full resync (410 Gone)".to_string()
                        }
                        _ => format!(
                            "Microsoft Graph no longer knows the delta token ({})",
                            e.code().unwrap_or("syncStateNotFound")
                        ),
                    };
                    sink.restart().await?;
                    self.run.traffic.users_seen = 0;
                    self.start_full_round(&why)?;
                    total = self.count_users(client).await;
                    *url = initial.to_string();
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            self.run.traffic.pages += 1;
            self.run.traffic.users_seen += page.value.len() as u64;
            sink.put(page.value).await?;
            if let Some(next) = page.next_link {
                *url = next;
            } else if let Some(done) = page.delta_link {
                self.report(Phase::Fetching, total);
                sink.done(&done, &self.run, self.opts.clock.text()).await?;
                return Ok(Some(done));
            }
            if self.cancel.is_cancelled() {
                return Ok(None);
            }
        }
    }

    /// The tenant's user count for the progress bar; absent when Graph will not say.
    async fn count_users(&mut self, client: &GraphClient) -> Option<u64> {
        let r = client
            .get_text("users/$count", &[("ConsistencyLevel", "eventual")])
            .await;
        let _ = self.drain_graph_events();
        r.ok().and_then(|t| t.parse().ok())
    }
}

fn parse_setting(store: &Store, name: &str) -> Result<u64, SyncError> {
    let store_value = settings::get(store, name)?;
    store_value.trim().parse().map_err(|_| {
        SyncError::Settings(SettingsError::Invalid {
            key: name.to_string(),
            reason: format!("'{store_value}' is not a whole number"),
        })
    })
}
