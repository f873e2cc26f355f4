//! Where the daily slot falls in real time, in a given time zone, across DST changes.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};

/// The longest stretch of local time a zone has ever skipped (Samoa skipped a whole day in 2011),
/// with room to spare.
const MAX_GAP_MINUTES: i64 = 48 * 60;

/// How many local days around "now" to search for the neighbouring slots. A slot lands at most a
/// day after its date (a skipped day), so a few days either side always contain both.
const SEARCH_DAYS: i64 = 3;

/// The instant of the slot for local `date` at `daily_at` in `tz`.
///
/// - Time that exists once: that instant.
/// - Time that exists twice (autumn fall-back): the first occurrence, so the day runs once.
/// - Time that does not exist (spring-forward gap): the first instant after the gap, i.e. the
///   moment the clocks jump (02:30 in New York on the spring-forward day runs at 03:00 EDT).
///
/// `None` only for a zone that skips more than two days, which no real zone does.
pub fn slot_on<Tz: TimeZone>(
    date: NaiveDate,
    daily_at: NaiveTime,
    tz: &Tz,
) -> Option<DateTime<Utc>> {
    let local = date.and_time(daily_at);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            // Zone transitions happen on whole minutes, so the first local minute that exists
            // is where the gap ends.
            let minute = local.with_second(0)?.with_nanosecond(0)?;
            (1..=MAX_GAP_MINUTES).find_map(|m| {
                tz.from_local_datetime(&(minute + TimeDelta::minutes(m)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            })
        }
    }
}

fn slots_around<Tz: TimeZone>(
    now: DateTime<Utc>,
    daily_at: NaiveTime,
    tz: &Tz,
) -> Vec<DateTime<Utc>> {
    let today = now.with_timezone(tz).date_naive();
    (-SEARCH_DAYS..=SEARCH_DAYS)
        .filter_map(|d| today.checked_add_signed(TimeDelta::days(d)))
        .filter_map(|date| slot_on(date, daily_at, tz))
        .collect()
}

/// The latest slot at or before `now`.
pub fn previous_slot<Tz: TimeZone>(
    now: DateTime<Utc>,
    daily_at: NaiveTime,
    tz: &Tz,
) -> Option<DateTime<Utc>> {
    slots_around(now, daily_at, tz)
        .into_iter()
        .filter(|s| *s <= now)
        .max()
}

/// The earliest slot strictly after `now`.
pub fn next_slot<Tz: TimeZone>(
    now: DateTime<Utc>,
    daily_at: NaiveTime,
    tz: &Tz,
) -> Option<DateTime<Utc>> {
    slots_around(now, daily_at, tz)
        .into_iter()
        .filter(|s| *s > now)
        .min()
}
