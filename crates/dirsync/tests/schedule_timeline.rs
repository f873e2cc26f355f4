//! `Scheduler` ticked every 30 s through whole days with sleep, downtime, clock changes, DST and
//! setting changes; each case lists exactly the runs that must start.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use dirsync::schedule::{parse_daily_at, ScheduleConfig, Scheduler, SyncMode};

const TICK: TimeDelta = TimeDelta::seconds(30);

enum Step {
    /// Tick every 30 s until this time.
    TickUntil(&'static str),
    /// The machine sleeps (or the app is closed): no ticks, the wall clock moves on to this time.
    SleepUntil(&'static str),
    /// The admin sets the system clock to this time; ticks continue.
    SetClock(&'static str),
    Mode(SyncMode),
    Paused(bool),
    DailyAt(&'static str),
    /// From here on runs are not recorded in the history (still running, or the write failed).
    StopRecording,
}
use Step::*;

struct Timeline {
    name: &'static str,
    zone: &'static str,
    daily_at: &'static str,
    /// The latest covering run in the history when the app starts.
    history: Option<&'static str>,
    start: &'static str,
    steps: &'static [Step],
    /// (started at, for slot), in order.
    runs: &'static [(&'static str, &'static str)],
}

const TIMELINES: &[Timeline] = &[
    Timeline {
        name: "three days down: one catch-up, then the daily slots",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-07T02:00-04:00"),
        start: "2025-06-10T09:00-04:00",
        steps: &[TickUntil("2025-06-12T03:00-04:00")],
        runs: &[
            ("2025-06-10T09:02-04:00", "2025-06-10T02:00-04:00"),
            ("2025-06-11T02:00-04:00", "2025-06-11T02:00-04:00"),
            ("2025-06-12T02:00-04:00", "2025-06-12T02:00-04:00"),
        ],
    },
    Timeline {
        name: "asleep across the slot: runs soon after wake, once",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-10T02:00-04:00"),
        start: "2025-06-10T20:00-04:00",
        steps: &[
            TickUntil("2025-06-10T23:00-04:00"),
            SleepUntil("2025-06-11T07:30-04:00"),
            TickUntil("2025-06-11T12:00-04:00"),
        ],
        runs: &[("2025-06-11T07:32-04:00", "2025-06-11T02:00-04:00")],
    },
    Timeline {
        name: "asleep for two days: still one catch-up",
        zone: "Europe/Berlin",
        daily_at: "02:00",
        history: Some("2025-06-10T02:00+02:00"),
        start: "2025-06-10T20:00+02:00",
        steps: &[
            TickUntil("2025-06-10T21:00+02:00"),
            SleepUntil("2025-06-12T18:00+02:00"),
            TickUntil("2025-06-13T01:00+02:00"),
        ],
        runs: &[("2025-06-12T18:02+02:00", "2025-06-12T02:00+02:00")],
    },
    Timeline {
        name: "clock set back an hour after the run: no second run",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-09T02:00-04:00"),
        start: "2025-06-10T01:00-04:00",
        steps: &[
            TickUntil("2025-06-10T02:10-04:00"),
            SetClock("2025-06-10T01:10-04:00"),
            TickUntil("2025-06-11T01:00-04:00"),
        ],
        runs: &[("2025-06-10T02:00-04:00", "2025-06-10T02:00-04:00")],
    },
    Timeline {
        name: "clock set forward past the slot: caught up soon after",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-09T02:00-04:00"),
        start: "2025-06-10T01:00-04:00",
        steps: &[
            TickUntil("2025-06-10T01:30-04:00"),
            SetClock("2025-06-10T05:00-04:00"),
            TickUntil("2025-06-10T06:00-04:00"),
        ],
        runs: &[("2025-06-10T05:02-04:00", "2025-06-10T02:00-04:00")],
    },
    Timeline {
        name: "a run not yet in the history is not started again",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-07T02:00-04:00"),
        start: "2025-06-10T09:00-04:00",
        steps: &[StopRecording, TickUntil("2025-06-11T03:00-04:00")],
        runs: &[
            ("2025-06-10T09:02-04:00", "2025-06-10T02:00-04:00"),
            ("2025-06-11T02:00-04:00", "2025-06-11T02:00-04:00"),
        ],
    },
    Timeline {
        name: "one-time mode never runs",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-01T10:00-04:00"),
        start: "2025-06-10T00:00-04:00",
        steps: &[Mode(SyncMode::OneTime), TickUntil("2025-06-12T00:00-04:00")],
        runs: &[],
    },
    Timeline {
        name: "switching to recurring does not run at once; the next slot does",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-01T10:00-04:00"),
        start: "2025-06-10T09:00-04:00",
        steps: &[
            Mode(SyncMode::OneTime),
            TickUntil("2025-06-10T10:00-04:00"),
            Mode(SyncMode::Recurring),
            TickUntil("2025-06-11T03:00-04:00"),
        ],
        runs: &[("2025-06-11T02:00-04:00", "2025-06-11T02:00-04:00")],
    },
    Timeline {
        name: "paused across slots; resuming waits for the next slot",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-09T02:00-04:00"),
        start: "2025-06-09T12:00-04:00",
        steps: &[
            Paused(true),
            TickUntil("2025-06-11T09:00-04:00"),
            Paused(false),
            TickUntil("2025-06-12T03:00-04:00"),
        ],
        runs: &[("2025-06-12T02:00-04:00", "2025-06-12T02:00-04:00")],
    },
    Timeline {
        name: "daily time moved to earlier than now: next run tomorrow at the new time",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-10T02:00-04:00"),
        start: "2025-06-10T08:30-04:00",
        steps: &[
            TickUntil("2025-06-10T09:00-04:00"),
            DailyAt("08:00"),
            TickUntil("2025-06-11T09:00-04:00"),
        ],
        runs: &[("2025-06-11T08:00-04:00", "2025-06-11T08:00-04:00")],
    },
    Timeline {
        name: "daily time moved to later today: runs today at the new time",
        zone: "America/New_York",
        daily_at: "02:00",
        history: Some("2025-06-10T02:00-04:00"),
        start: "2025-06-10T08:30-04:00",
        steps: &[
            TickUntil("2025-06-10T09:00-04:00"),
            DailyAt("18:00"),
            TickUntil("2025-06-11T09:00-04:00"),
        ],
        runs: &[("2025-06-10T18:00-04:00", "2025-06-10T18:00-04:00")],
    },
    Timeline {
        name: "New York spring forward: the skipped 02:30 runs at 03:00",
        zone: "America/New_York",
        daily_at: "02:30",
        history: Some("2025-03-07T02:30-05:00"),
        start: "2025-03-07T12:00-05:00",
        steps: &[TickUntil("2025-03-10T12:00-04:00")],
        runs: &[
            ("2025-03-08T02:30-05:00", "2025-03-08T02:30-05:00"),
            ("2025-03-09T03:00-04:00", "2025-03-09T03:00-04:00"),
            ("2025-03-10T02:30-04:00", "2025-03-10T02:30-04:00"),
        ],
    },
    Timeline {
        name: "New York fall back: 01:30 happens twice, runs once",
        zone: "America/New_York",
        daily_at: "01:30",
        history: Some("2025-10-31T01:30-04:00"),
        start: "2025-10-31T12:00-04:00",
        steps: &[TickUntil("2025-11-03T12:00-05:00")],
        runs: &[
            ("2025-11-01T01:30-04:00", "2025-11-01T01:30-04:00"),
            ("2025-11-02T01:30-04:00", "2025-11-02T01:30-04:00"),
            ("2025-11-03T01:30-05:00", "2025-11-03T01:30-05:00"),
        ],
    },
    Timeline {
        name: "Berlin fall back: 02:30 happens twice, runs once",
        zone: "Europe/Berlin",
        daily_at: "02:30",
        history: Some("2025-10-25T02:30+02:00"),
        start: "2025-10-25T12:00+02:00",
        steps: &[TickUntil("2025-10-27T12:00+01:00")],
        runs: &[
            ("2025-10-26T02:30+02:00", "2025-10-26T02:30+02:00"),
            ("2025-10-27T02:30+01:00", "2025-10-27T02:30+01:00"),
        ],
    },
];

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z")
        .unwrap_or_else(|e| panic!("bad time '{s}': {e}"))
        .with_timezone(&Utc)
}

/// Plays a timeline; returns the runs started, as (started at, slot).
fn play(t: &Timeline) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let zone: Tz = t.zone.parse().expect("zone");
    let mut config = ScheduleConfig {
        mode: SyncMode::Recurring,
        daily_at: parse_daily_at(t.daily_at).expect("daily_at"),
        ..ScheduleConfig::default()
    };
    let mut history = t.history.map(time);
    let mut scheduler = Scheduler::new(TICK * 3);
    let mut now = time(t.start);
    let mut recording = true;
    let mut runs = Vec::new();
    let mut tick = |now: DateTime<Utc>, config: &ScheduleConfig, recording: bool| {
        if let Some(slot) = scheduler.tick(config, history, now, &zone).run {
            runs.push((now, slot));
            if recording {
                // The shell records the scheduled run's start in the history.
                history = Some(now);
            }
        }
    };
    for step in t.steps {
        match *step {
            TickUntil(until) => {
                let until = time(until);
                while now <= until {
                    tick(now, &config, recording);
                    now += TICK;
                }
            }
            SleepUntil(to) | SetClock(to) => now = time(to),
            Mode(mode) => config.mode = mode,
            Paused(paused) => config.paused = paused,
            DailyAt(at) => config.daily_at = parse_daily_at(at).expect("daily_at"),
            StopRecording => recording = false,
        }
    }
    runs
}

/// At most the first few runs, so a runaway failure stays readable.
fn show(runs: &[(DateTime<Utc>, DateTime<Utc>)]) -> String {
    let shown: Vec<String> = runs
        .iter()
        .take(6)
        .map(|(at, slot)| format!("{at} for {slot}"))
        .collect();
    let more = runs.len().saturating_sub(6);
    let tail = if more > 0 {
        format!(" … and {more} more")
    } else {
        String::new()
    };
    format!("{} run(s): [{}]{tail}", runs.len(), shown.join(", "))
}

#[test]
fn timelines_start_exactly_the_expected_runs() {
    let failures: Vec<String> = TIMELINES
        .iter()
        .filter_map(|t| {
            let expected: Vec<_> = t
                .runs
                .iter()
                .map(|(at, slot)| (time(at), time(slot)))
                .collect();
            let got = play(t);
            (got != expected).then(|| {
                format!(
                    "{}:\n  expected {}\n  got      {}",
                    t.name,
                    show(&expected),
                    show(&got)
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
