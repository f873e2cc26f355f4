//! The thin async loop the desktop shell runs in its tokio runtime.
//!
//! It ticks on a short interval and re-reads the wall clock each time, instead of sleeping until
//! the next slot: a long sleep does not notice suspend or clock changes, a tick does.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio::time::MissedTickBehavior;

use super::config::ScheduleConfig;
use super::decide::Decision;
use super::scheduler::Scheduler;

/// Wall-clock time, injectable for tests.
pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// What the driver reads at each tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleState {
    pub config: ScheduleConfig,
    /// The history's part of `Observation::covered_through`: the start of the latest scheduled
    /// run (any outcome) or successful run of another trigger.
    pub last_run: Option<DateTime<Utc>>,
}

/// The app side of the schedule: reads settings and history, starts runs, shows the next run.
pub trait ScheduleHost {
    type Error: std::fmt::Display;

    /// The current schedule and history, read fresh each tick so changes apply within a tick.
    fn state(&mut self) -> Result<ScheduleState, Self::Error>;

    /// The latest decision, for the tray tooltip and the status line.
    fn decided(&mut self, decision: &Decision);

    /// Performs one scheduled run for `slot`, recording it with trigger
    /// [`SCHEDULE_TRIGGER`](super::SCHEDULE_TRIGGER) and notifying per `notification_for`.
    fn run_scheduled(&mut self, slot: DateTime<Utc>) -> impl Future<Output = ()> + Send;
}

/// Runs the schedule until `stop` completes. Ticks every `every` (30–60 s is right); a gap of more
/// than three ticks counts as sleep or a clock jump. A state read that fails is logged and retried
/// at the next tick.
pub async fn run_scheduler<C, Tz, H, S>(clock: C, tz: Tz, mut host: H, every: Duration, stop: S)
where
    C: Clock,
    Tz: TimeZone,
    H: ScheduleHost,
    S: Future<Output = ()>,
{
    let wake_gap = TimeDelta::from_std(every * 3).unwrap_or(TimeDelta::MAX);
    let mut scheduler = Scheduler::new(wake_gap);
    let mut interval = tokio::time::interval(every);
    // After a suspend, one tick, not a burst of the ticks the machine slept through.
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = interval.tick() => {}
        }
        let state = match host.state() {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!("schedule: cannot read the schedule, trying again shortly: {e}");
                continue;
            }
        };
        let tick = scheduler.tick(&state.config, state.last_run, clock.now(), &tz);
        host.decided(&tick.decision);
        if let Some(slot) = tick.run {
            tracing::info!("schedule: starting the run for the slot at {slot}");
            tokio::select! {
                _ = &mut stop => return,
                _ = host.run_scheduled(slot) => {}
            }
            scheduler.run_finished(clock.now());
            // Decide again now, not a tick later: until then the status line and the tray would
            // still show the slot that just ran as the next one.
            interval.reset_immediately();
        }
    }
}
