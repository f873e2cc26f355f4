//! The daily schedule: when the next sync should run, and what to tell the admin afterwards.
//!
//! The decisions are pure functions of the configuration, an injected clock reading and a time
//! zone (`decide`, `slots`, `notify`), so every case — catch-up after downtime, sleep, clock
//! changes, DST — is testable without waiting. `Scheduler` keeps the little state a long-running
//! process needs (when it woke, what it already fired), and `driver` is the thin tokio loop the
//! desktop shell runs. Nothing here performs a sync: the shell's `ScheduleHost` does, and records
//! the run with trigger [`SCHEDULE_TRIGGER`].

mod config;
mod decide;
mod driver;
mod notify;
mod scheduler;
mod slots;

pub(crate) use config::parse_bool;
pub use config::{load, parse_daily_at, ScheduleConfig, ScheduleSettings, SyncMode};
pub use decide::{next_due, Decision, Idle, Observation};
pub use driver::{run_scheduler, Clock, ScheduleHost, ScheduleState, SystemClock};
pub use notify::{notification_for, Notification, RunOutcomeKind};
pub use scheduler::{Scheduler, Tick};
pub use slots::{next_slot, previous_slot, slot_on};

/// The `trigger` recorded in the run history for a run the schedule started.
pub const SCHEDULE_TRIGGER: &str = "schedule";
