//! The schedule's settings: parsed from the `settings` table into typed values.

use chrono::{NaiveTime, TimeDelta};

use crate::settings::{self, SettingsError};
use crate::store::Store;

/// One-time syncs only when asked; Recurring syncs every day at `daily_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    OneTime,
    Recurring,
}

impl SyncMode {
    /// The value stored in the `sync_mode` setting.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::OneTime => "one-time",
            SyncMode::Recurring => "recurring",
        }
    }

    /// Parses a `sync_mode` setting value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "one-time" => Some(SyncMode::OneTime),
            "recurring" => Some(SyncMode::Recurring),
            _ => None,
        }
    }
}

/// What the decision core needs to know about the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    pub mode: SyncMode,
    /// Local wall-clock time of the daily run.
    pub daily_at: NaiveTime,
    pub paused: bool,
    /// How long after the app starts or the machine wakes a missed run starts: long enough for
    /// the network to come back, short enough to count as "soon".
    pub catch_up_delay: TimeDelta,
}

impl ScheduleConfig {
    /// The default catch-up delay after start or wake.
    pub const CATCH_UP_DELAY: TimeDelta = TimeDelta::minutes(2);

    /// True when the schedule should produce runs at all.
    pub fn is_active(&self) -> bool {
        self.mode == SyncMode::Recurring && !self.paused
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            mode: SyncMode::OneTime,
            daily_at: NaiveTime::from_hms_opt(2, 0, 0).expect("02:00 is a valid time"),
            paused: false,
            catch_up_delay: Self::CATCH_UP_DELAY,
        }
    }
}

/// Everything schedule-related stored in settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSettings {
    pub config: ScheduleConfig,
    /// Notify after successful scheduled runs too (failures always notify).
    pub notify_success: bool,
    /// Start the app (hidden, in the tray) when the admin logs in.
    pub start_at_login: bool,
}

/// Parses a `daily_at` value: 24-hour `HH:MM`, two digits each, e.g. `02:00` or `23:30`.
pub fn parse_daily_at(value: &str) -> Option<NaiveTime> {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let hour = value[..2].parse().ok()?;
    let minute = value[3..].parse().ok()?;
    NaiveTime::from_hms_opt(hour, minute, 0)
}

pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Reads the schedule settings. A value that does not parse (written around `settings::set`)
/// is reported rather than silently replaced by the default.
pub fn load(store: &Store) -> Result<ScheduleSettings, SettingsError> {
    let read = |name: &str| settings::get(store, name);
    let bad = |name: &str, value: String, reason: &str| SettingsError::Invalid {
        key: name.to_string(),
        reason: format!(
            "stored value '{value}' {reason}; set it again with `dirsync config set {name} …`"
        ),
    };
    let read_bool = |name: &str| -> Result<bool, SettingsError> {
        let v = read(name)?;
        parse_bool(&v).ok_or_else(|| bad(name, v, "is not true or false"))
    };

    let mode_value = read("sync_mode")?;
    let mode = SyncMode::parse(&mode_value)
        .ok_or_else(|| bad("sync_mode", mode_value, "is not one-time or recurring"))?;
    let at_value = read("daily_at")?;
    let daily_at =
        parse_daily_at(&at_value).ok_or_else(|| bad("daily_at", at_value, "is not HH:MM"))?;
    Ok(ScheduleSettings {
        config: ScheduleConfig {
            mode,
            daily_at,
            paused: read_bool("schedule_paused")?,
            catch_up_delay: ScheduleConfig::CATCH_UP_DELAY,
        },
        notify_success: read_bool("notify_success")?,
        start_at_login: read_bool("start_at_login")?,
    })
}
