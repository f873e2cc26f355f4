//! `next_due` against the table in `data/schedule_decisions.txt`: real time zones, an injected
//! clock reading, no waiting.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use dirsync::schedule::{
    next_due, parse_daily_at, Decision, Idle, Observation, ScheduleConfig, SyncMode,
};

const CASES: &str = include_str!("data/schedule_decisions.txt");

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z")
        .unwrap_or_else(|e| panic!("bad time '{s}' in the table: {e}"))
        .with_timezone(&Utc)
}

fn expected(s: &str) -> Decision {
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.as_slice() {
        ["never", "one-time"] => Decision::Never(Idle::OneTime),
        ["never", "paused"] => Decision::Never(Idle::Paused),
        ["now", slot] => Decision::RunNow { slot: time(slot) },
        ["at", at] => Decision::At {
            at: time(at),
            slot: time(at),
        },
        ["at", at, "for", slot] => Decision::At {
            at: time(at),
            slot: time(slot),
        },
        _ => panic!("bad expectation '{s}' in the table"),
    }
}

struct Case {
    name: String,
    zone: Tz,
    config: ScheduleConfig,
    obs: Observation,
    expected: Decision,
}

fn parse(line: &str) -> Case {
    let cols: Vec<&str> = line.split('|').map(str::trim).collect();
    let [name, zone, mode, daily_at, paused, covered, awake, now, expect] = cols[..] else {
        panic!("expected 9 columns in '{line}'");
    };
    Case {
        name: name.to_string(),
        zone: zone
            .parse()
            .unwrap_or_else(|e| panic!("bad zone in '{line}': {e}")),
        config: ScheduleConfig {
            mode: SyncMode::parse(mode).expect("mode"),
            daily_at: parse_daily_at(daily_at).expect("daily_at"),
            paused: paused.parse().expect("paused"),
            catch_up_delay: TimeDelta::minutes(2),
        },
        obs: Observation {
            now: time(now),
            awake_since: time(awake),
            covered_through: (covered != "-").then(|| time(covered)),
        },
        expected: expected(expect),
    }
}

fn check(case: &Case) -> Result<(), String> {
    let got = next_due(&case.config, &case.obs, &case.zone);
    if got == case.expected {
        Ok(())
    } else {
        Err(format!(
            "{}: expected {:?}, got {:?}",
            case.name, case.expected, got
        ))
    }
}

#[test]
fn decisions_match_the_table() {
    let cases: Vec<Case> = CASES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(parse)
        .collect();
    assert!(cases.len() >= 30, "the table lost cases: {}", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn default_config_is_one_time_at_two() {
    let config = ScheduleConfig::default();
    assert_eq!(config.mode, SyncMode::OneTime);
    assert_eq!(config.daily_at, parse_daily_at("02:00").unwrap());
    assert!(!config.paused);
    assert_eq!(config.catch_up_delay, TimeDelta::minutes(2));
}
