//! The pure decision: given the schedule, what has been covered and what time it is, when does
//! the next scheduled run start?

use chrono::{DateTime, TimeZone, Utc};

use super::config::{ScheduleConfig, SyncMode};
use super::slots::{next_slot, previous_slot};

/// Why no run is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// One-time mode never schedules.
    OneTime,
    /// The admin chose **Pause daily sync**.
    Paused,
    /// The time zone has no valid instant for the daily time within days (no real zone does
    /// this; reported rather than guessed).
    NoValidTime,
}

/// What the schedule wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Never(Idle),
    /// Start a run now, for the daily slot at `slot`.
    RunNow {
        slot: DateTime<Utc>,
    },
    /// The next run starts at `at`, for the daily slot at `slot`. `at` is later than `slot` when
    /// the run catches up on a slot missed while the app was closed or the machine asleep.
    At {
        at: DateTime<Utc>,
        slot: DateTime<Utc>,
    },
}

/// One reading of the world, taken at each tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Wall-clock time now.
    pub now: DateTime<Utc>,
    /// When the app started or the machine last woke (or the clock last jumped). A slot before
    /// this passed while nobody was watching; it is caught up after `catch_up_delay`.
    pub awake_since: DateTime<Utc>,
    /// Every slot at or before this instant needs no run. It is the latest of:
    /// - the start of the most recent schedule-triggered run, whatever its outcome (a failed
    ///   scheduled run is reported to the admin, not retried every tick);
    /// - the start of the most recent successful run of any other trigger (a **Sync now** after a
    ///   missed slot already brought the directory up to date);
    /// - when the schedule was switched on, resumed or moved to another time (slots before that
    ///   were not promised).
    ///
    /// `None` means nothing ever covered a slot: there is nothing to catch up, and the schedule
    /// starts with the next slot. `Option`'s ordering (`None` < `Some`) makes `a.max(b)` the
    /// way to combine these.
    pub covered_through: Option<DateTime<Utc>>,
}

/// When the next scheduled run starts.
///
/// Only the most recent uncovered slot matters, so three days of downtime give one catch-up run,
/// not three. Decisions derive from the wall clock at every call: after sleep, or when the clock
/// is changed, the next call simply sees the new time. A run recorded "in the future" (the clock
/// was moved back after it) covers every slot up to its start, so it never causes a second run.
pub fn next_due<Tz: TimeZone>(config: &ScheduleConfig, obs: &Observation, tz: &Tz) -> Decision {
    if config.mode == SyncMode::OneTime {
        return Decision::Never(Idle::OneTime);
    }
    if config.paused {
        return Decision::Never(Idle::Paused);
    }
    let uncovered = |slot: DateTime<Utc>| obs.covered_through.is_none_or(|c| c < slot);

    if let Some(slot) = previous_slot(obs.now, config.daily_at, tz).filter(|s| uncovered(*s)) {
        if slot >= obs.awake_since {
            // The slot came while the app was watching: this is its ordinary run.
            return Decision::RunNow { slot };
        }
        if obs.covered_through.is_some() {
            // Missed while closed or asleep: run once, soon after start or wake.
            let at = obs.awake_since + config.catch_up_delay;
            return if obs.now >= at {
                Decision::RunNow { slot }
            } else {
                Decision::At { at, slot }
            };
        }
    }
    // A run recorded after `now` (the clock was moved back) already covers the slots up to it.
    let after = obs.covered_through.map_or(obs.now, |c| c.max(obs.now));
    match next_slot(after, config.daily_at, tz) {
        Some(slot) => Decision::At { at: slot, slot },
        None => Decision::Never(Idle::NoValidTime),
    }
}
