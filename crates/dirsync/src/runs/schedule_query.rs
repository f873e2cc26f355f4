//! The history's part of the schedule's `covered_through`: which daily slots need no run.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::RunsError;

/// The latest of the start of the most recent schedule-triggered run (whatever its outcome: a
/// failed scheduled run is reported, not retried every tick) and the start of the most recent
/// successful run of any trigger (a **Sync now** after a missed slot already brought the
/// directory up to date; a Reset sync entry is not a run). `None` when neither exists.
pub fn schedule_covered_through(conn: &Connection) -> Result<Option<DateTime<Utc>>, RunsError> {
    let latest = |filter: &str| -> Result<Option<DateTime<Utc>>, RunsError> {
        let sql = format!(
            "SELECT started_at FROM runs WHERE {filter} ORDER BY started_at DESC, id DESC LIMIT 1"
        );
        let Some(text) = conn
            .query_row(&sql, [], |r| r.get::<_, String>(0))
            .optional()?
        else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| RunsError::Unknown {
                what: "start time",
                value: text,
            })
    };
    Ok(latest("trigger = 'schedule'")?.max(latest("kind = 'sync' AND status = 'success'")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// (trigger, status, started_at) of one stored run.
    type Row = (&'static str, &'static str, &'static str);

    /// Stored rows, and the expected answer.
    const CASES: &[(&[Row], Option<&str>)] = &[
        (&[], None),
        // A manual run that failed or was only a preview covers nothing.
        (
            &[
                ("manual", "failed", "2026-03-01T09:00:00Z"),
                ("manual", "preview", "2026-03-02T09:00:00Z"),
            ],
            None,
        ),
        // A failed scheduled run covers its slot: it is reported, not retried.
        (
            &[("schedule", "failed", "2026-03-01T02:00:00Z")],
            Some("2026-03-01T02:00:00Z"),
        ),
        // A later successful Sync now covers the slots before it.
        (
            &[
                ("schedule", "success", "2026-03-01T02:00:00Z"),
                ("manual", "success", "2026-03-02T10:00:00Z"),
                ("manual", "failed", "2026-03-03T10:00:00Z"),
            ],
            Some("2026-03-02T10:00:00Z"),
        ),
        // Whichever is later wins, CLI runs included.
        (
            &[
                ("cli", "success", "2026-03-01T10:00:00Z"),
                ("schedule", "needs_approval", "2026-03-02T02:00:00Z"),
            ],
            Some("2026-03-02T02:00:00Z"),
        ),
    ];

    #[test]
    fn covered_through_is_the_later_of_scheduled_and_successful_runs() {
        for (rows, expected) in CASES {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
            for (trigger, status, started_at) in *rows {
                store
                    .conn()
                    .execute(
                        "INSERT INTO runs (trigger, status, preview, allow_deletes, started_at)
                         VALUES (?1, ?2, ?3, 0, ?4)",
                        rusqlite::params![trigger, status, *status == "preview", started_at],
                    )
                    .unwrap();
            }
            let expected = expected.map(|t| t.parse::<DateTime<Utc>>().unwrap());
            assert_eq!(
                schedule_covered_through(store.conn()).unwrap(),
                expected,
                "{rows:?}"
            );
        }
    }
}
