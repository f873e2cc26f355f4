//! The state a running app keeps between ticks, around the pure decision.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::config::ScheduleConfig;
use super::decide::{next_due, Decision, Observation};

/// The outcome of one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// What the schedule wants now (for the tray tooltip and the status line).
    pub decision: Decision,
    /// Start a scheduled run now, for this slot.
    pub run: Option<DateTime<Utc>>,
}

/// Drives `next_due` from periodic ticks.
///
/// It notices start, wake and clock jumps (a tick arriving much later than expected, or earlier
/// than the previous one), notices when the schedule is switched on or moved (so the change
/// itself does not start a run), and remembers what it fired (so a run whose history is not
/// written yet is never started twice).
#[derive(Debug, Clone)]
pub struct Scheduler {
    wake_gap: TimeDelta,
    last_tick: Option<DateTime<Utc>>,
    awake_since: Option<DateTime<Utc>>,
    armed_at: Option<DateTime<Utc>>,
    fired_at: Option<DateTime<Utc>>,
    last_config: Option<ScheduleConfig>,
}

impl Scheduler {
    /// `wake_gap`: a gap between ticks longer than this means the machine slept or the clock
    /// jumped forward. A few tick intervals is right.
    pub fn new(wake_gap: TimeDelta) -> Self {
        Scheduler {
            wake_gap,
            last_tick: None,
            awake_since: None,
            armed_at: None,
            fired_at: None,
            last_config: None,
        }
    }

    /// Re-evaluates the schedule at `now`. `last_run` is the history's part of
    /// `Observation::covered_through` (see there for which runs count).
    pub fn tick<Tz: TimeZone>(
        &mut self,
        config: &ScheduleConfig,
        last_run: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Tick {
        let woke = self
            .last_tick
            .is_none_or(|last| now < last || now - last > self.wake_gap);
        if woke {
            self.awake_since = Some(now);
        }
        self.last_tick = Some(now);

        if let Some(previous) = &self.last_config {
            let switched_on = !previous.is_active() && config.is_active();
            let moved = previous.is_active() && previous.daily_at != config.daily_at;
            if switched_on || moved {
                self.armed_at = Some(now);
            }
        }
        self.last_config = Some(config.clone());

        let obs = Observation {
            now,
            awake_since: self.awake_since.unwrap_or(now),
            covered_through: last_run.max(self.armed_at).max(self.fired_at),
        };
        let decision = next_due(config, &obs, tz);
        let run = match decision {
            Decision::RunNow { slot } => {
                self.fired_at = Some(now);
                Some(slot)
            }
            _ => None,
        };
        Tick { decision, run }
    }

    /// Call when a scheduled run returns, so its duration is not mistaken for sleep.
    pub fn run_finished(&mut self, now: DateTime<Utc>) {
        self.last_tick = Some(now);
    }
}
