//! The async driver on tokio's paused clock: wall time follows virtual time, plus jumps that
//! stand for suspend. Nothing waits in real time and nothing asserts on durations.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use dirsync::schedule::{
    parse_daily_at, run_scheduler, Clock, Decision, ScheduleConfig, ScheduleHost, ScheduleState,
    SyncMode,
};

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%:z")
        .unwrap_or_else(|e| panic!("bad time '{s}': {e}"))
        .with_timezone(&Utc)
}

/// Wall clock = start + tokio's (virtual) elapsed time + any suspend jumps so far. Like a real
/// suspend, a jump moves the wall clock while the monotonic timers stand still.
#[derive(Clone)]
struct VirtualClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
    jumped: Arc<Mutex<TimeDelta>>,
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        self.base
            + TimeDelta::from_std(self.start.elapsed()).expect("elapsed fits")
            + *self.jumped.lock().unwrap()
    }
}

#[derive(Default)]
struct Record {
    runs: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    last_run: Option<DateTime<Utc>>,
    last_decision: Option<Decision>,
    failed_reads_left: usize,
}

struct Host {
    config: ScheduleConfig,
    clock: VirtualClock,
    record: Arc<Mutex<Record>>,
    /// How long each scheduled run takes.
    run_takes: Duration,
}

impl ScheduleHost for Host {
    type Error = String;

    fn state(&mut self) -> Result<ScheduleState, String> {
        let mut record = self.record.lock().unwrap();
        if record.failed_reads_left > 0 {
            record.failed_reads_left -= 1;
            return Err("database is locked".to_string());
        }
        Ok(ScheduleState {
            config: self.config.clone(),
            last_run: record.last_run,
        })
    }

    fn decided(&mut self, decision: &Decision) {
        self.record.lock().unwrap().last_decision = Some(*decision);
    }

    fn run_scheduled(&mut self, slot: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let started = self.clock.now();
        {
            let mut record = self.record.lock().unwrap();
            record.runs.push((started, slot));
            record.last_run = Some(started);
        }
        tokio::time::sleep(self.run_takes)
    }
}

impl VirtualClock {
    /// A wall clock that reads `base` now.
    fn starting_at(base: &str) -> Self {
        VirtualClock {
            base: time(base),
            start: tokio::time::Instant::now(),
            jumped: Arc::default(),
        }
    }
}

impl Host {
    /// A daily schedule at 02:00 whose runs each take `run_takes`.
    fn daily_at_two(
        clock: &VirtualClock,
        record: &Arc<Mutex<Record>>,
        run_takes: Duration,
    ) -> Self {
        Host {
            config: ScheduleConfig {
                mode: SyncMode::Recurring,
                daily_at: parse_daily_at("02:00").unwrap(),
                ..ScheduleConfig::default()
            },
            clock: clock.clone(),
            record: record.clone(),
            run_takes,
        }
    }
}

#[tokio::test(start_paused = true)]
async fn driver_catches_up_once_runs_daily_and_survives_suspend() {
    let zone: Tz = "America/New_York".parse().unwrap();
    let clock = VirtualClock::starting_at("2025-06-10T09:00:00-04:00");
    let record = Arc::new(Mutex::new(Record {
        // Closed for three days.
        last_run: Some(time("2025-06-07T02:00:00-04:00")),
        // The database is busy for the first two ticks; the driver keeps going.
        failed_reads_left: 2,
        ..Record::default()
    }));
    // A sync that takes 20 minutes: longer than the wake gap, and must not count as sleep.
    let host = Host::daily_at_two(&clock, &record, Duration::from_secs(20 * 60));

    // At 22:00:15 wall time the machine sleeps for 8 hours (between two ticks).
    let jumped = clock.jumped.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(13 * 3600 + 15)).await;
        *jumped.lock().unwrap() = TimeDelta::hours(8);
    });
    // Stop at 2025-06-12 03:00 wall time: 42 h after start, 8 of them asleep.
    let stop = tokio::time::sleep(Duration::from_secs(34 * 3600));
    run_scheduler(clock, zone, host, Duration::from_secs(30), stop).await;

    let record = record.lock().unwrap();
    let expected = vec![
        // First readable tick at 09:01, catch-up two minutes later.
        (
            time("2025-06-10T09:03:00-04:00"),
            time("2025-06-10T02:00:00-04:00"),
        ),
        // Woke at 06:00:30 (first tick after the jump); the 02:00 slot was slept through.
        (
            time("2025-06-11T06:02:30-04:00"),
            time("2025-06-11T02:00:00-04:00"),
        ),
        (
            time("2025-06-12T02:00:00-04:00"),
            time("2025-06-12T02:00:00-04:00"),
        ),
    ];
    assert_eq!(record.runs, expected);
    let next = time("2025-06-13T02:00:00-04:00");
    assert_eq!(
        record.last_decision,
        Some(Decision::At {
            at: next,
            slot: next
        })
    );
}

#[tokio::test(start_paused = true)]
async fn the_next_slot_is_shown_as_soon_as_a_run_ends_not_a_tick_later() {
    let zone: Tz = "Europe/Berlin".parse().unwrap();
    let clock = VirtualClock::starting_at("2025-06-10T01:59:50+02:00");
    let record = Arc::new(Mutex::new(Record {
        last_run: Some(time("2025-06-09T02:00:00+02:00")),
        ..Record::default()
    }));
    let host = Host::daily_at_two(&clock, &record, Duration::from_secs(1));
    // Ticks at 01:59:50 and 02:00:20 (the run, one second long); stop at 02:00:40, before the
    // tick at 02:00:50.
    let stop = tokio::time::sleep(Duration::from_secs(50));
    run_scheduler(clock, zone, host, Duration::from_secs(30), stop).await;

    let record = record.lock().unwrap();
    assert_eq!(
        record.runs,
        vec![(
            time("2025-06-10T02:00:20+02:00"),
            time("2025-06-10T02:00:00+02:00")
        )]
    );
    let next = time("2025-06-11T02:00:00+02:00");
    assert_eq!(
        record.last_decision,
        Some(Decision::At {
            at: next,
            slot: next
        }),
        "the decision after the run names tomorrow's slot"
    );
}
