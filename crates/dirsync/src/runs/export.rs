//! A run's log file: a human-readable text log (the default), or the same records as JSON Lines
//! or CSV for tools.
//!
//! - Text: a header of `Name: value` lines (the summary and the error), a blank line, then one
//!   line per event and change in time order, each starting with its ISO 8601 UTC timestamp.
//! - JSON Lines: one object per record, `record` = `run` (first), `event` or `change`.
//! - CSV: fixed columns `timestamp, record, user_id, upn, field, old, new, reason, message`; one
//!   row for the run, one per event (`record` = `event`, `reason` = its kind), one per changed or
//!   added field (`record` = the change kind), cells defused against spreadsheet formulas.
//!
//! Change records carry no time of their own: a run applies all of them in one transaction when
//! it ends, so they are stamped with the run's end. Changes are streamed page by page (a full
//! round of a large tenant has one per user). Every string passes [`redact`] on its way out.

use std::borrow::Cow;
use std::io::Write;

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::redact::redact;
use super::{changes, events, get, ChangeKind, ChangeRecord, EventKind, RunEvent, RunKind};
use super::{RunRecord, RunStatus, RunsError};

/// Change records read per page while exporting.
const PAGE: u32 = 1000;

/// The formats a run can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The human-readable log.
    #[default]
    Text,
    /// JSON Lines.
    Jsonl,
    Csv,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Text, Format::Jsonl, Format::Csv];

    /// `text`, `jsonl` or `csv` (as on the command line).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "log" | "txt" => Some(Format::Text),
            "jsonl" | "json-lines" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "log",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// The name of the format in the save dialog's filter.
    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "Text log",
            Format::Jsonl => "JSON Lines",
            Format::Csv => "CSV",
        }
    }
}

/// The suggested file name: `dirsync-run-<id>-<start date>.<log|jsonl|csv>`.
pub fn file_name(run: &RunRecord, format: Format) -> String {
    let date = run.started_at.get(..10).unwrap_or("undated");
    format!("dirsync-run-{}-{date}.{}", run.id, format.extension())
}

/// Writes run `run_id` in `format` to `out`; returns the run.
pub fn export(
    conn: &Connection,
    run_id: i64,
    format: Format,
    out: &mut dyn Write,
) -> Result<RunRecord, RunsError> {
    let run = get(conn, run_id)?.ok_or(RunsError::NotFound(run_id))?;
    let mut sink: Box<dyn Sink + '_> = match format {
        Format::Text => Box::new(TextSink { out: &mut *out }),
        Format::Jsonl => Box::new(JsonlSink { out: &mut *out }),
        Format::Csv => Box::new(CsvSink {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut *out),
        }),
    };
    sink.run(&run)?;
    // Changes took effect when the run ended (one transaction); events are few and in order.
    let changed_at = run
        .ended_at
        .clone()
        .unwrap_or_else(|| run.started_at.clone());
    let mut pending = events(conn, run_id)?.into_iter().peekable();
    let mut offset = 0u64;
    loop {
        let page = changes(conn, run_id, offset, PAGE)?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        while let Some(e) = pending.next_if(|e| e.at <= changed_at) {
            sink.event(&e)?;
        }
        for c in &page {
            sink.change(&changed_at, c)?;
        }
    }
    for e in pending {
        sink.event(&e)?;
    }
    sink.finish()?;
    Ok(run)
}

trait Sink {
    fn run(&mut self, run: &RunRecord) -> Result<(), RunsError>;
    fn event(&mut self, e: &RunEvent) -> Result<(), RunsError>;
    fn change(&mut self, at: &str, c: &ChangeRecord) -> Result<(), RunsError>;
    fn finish(&mut self) -> Result<(), RunsError>;
}

// ---- shared wording ------------------------------------------------------------------------

fn status_text(run: &RunRecord) -> &'static str {
    match run.kind {
        RunKind::Reset => "Reset sync",
        RunKind::Sync => run.status.label(),
    }
}

/// "3 s", "2 min 5 s", "1 h 3 min", "2 days 4 h".
pub(crate) fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        (1, _, _) => format!("1 day {h} h"),
        _ => format!("{d} days {h} h"),
    }
}

fn round_text(run: &RunRecord) -> String {
    match (run.kind, run.full_round, &run.full_round_reason) {
        (RunKind::Reset, _, _) => "none (the stored delta link was dropped)".into(),
        (_, true, Some(why)) => format!("full, because {why}"),
        (_, true, None) => "full".into(),
        (_, false, _) => "incremental (changes since the stored delta link)".into(),
    }
}

fn age_text(run: &RunRecord) -> String {
    match run.delta_link_age_secs {
        Some(secs) => format!("{} ({secs} s)", human_duration(secs)),
        None => "none stored".into(),
    }
}

fn removal_reason(reason: Option<&str>) -> Cow<'_, str> {
    match reason {
        Some("soft") => "soft delete (in Azure AD's deleted items)".into(),
        Some("hard") => "hard delete (permanently deleted in Azure AD)".into(),
        Some("swept") => "swept after a full round (no longer in Azure AD)".into(),
        Some(other) => other.into(),
        None => "no reason recorded".into(),
    }
}

fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Retry => "retry",
        EventKind::Throttled => "throttled",
        EventKind::TokenRenewed => "token renewed",
        EventKind::FullRound => "full round",
        EventKind::Swept => "sweep",
        EventKind::DeletionGuard => "deletion guard",
        EventKind::Cancelled => "cancelled",
        EventKind::Failed => "run failed",
        EventKind::Info => "info",
    }
}

fn change_label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "user added",
        ChangeKind::Updated => "user updated",
        ChangeKind::Removed => "user removed",
        ChangeKind::Joined => "joined group",
        ChangeKind::Left => "left group",
        ChangeKind::Failed => "user failed",
    }
}

/// The summary lines of the header, as (name, value).
fn summary(run: &RunRecord) -> Vec<(&'static str, String)> {
    let c = &run.counts;
    let t = &run.traffic;
    let mut rows = vec![
        ("Run", run.id.to_string()),
        (
            "Kind",
            match run.kind {
                RunKind::Sync => "sync run",
                RunKind::Reset => "Reset sync",
            }
            .into(),
        ),
        ("Trigger", run.trigger.as_str().into()),
        ("Status", status_text(run).into()),
        ("Started", run.started_at.clone()),
        (
            "Ended",
            run.ended_at
                .clone()
                .unwrap_or_else(|| "still running".into()),
        ),
        (
            "Duration",
            run.duration_secs()
                .map(human_duration)
                .unwrap_or_else(|| "-".into()),
        ),
        ("Round", round_text(run)),
        ("Delta link age", age_text(run)),
        (
            "Users",
            format!(
                "added {}, updated {}, removed {}, unchanged {}, failed {}",
                c.added, c.updated, c.removed, c.unchanged, c.failed
            ),
        ),
        (
            "Group memberships",
            format!("added {}, removed {}", c.group_joined, c.group_left),
        ),
        ("Pages fetched", t.pages.to_string()),
        ("Delta items received", t.users_seen.to_string()),
        ("Retries", t.retries.to_string()),
        (
            "Throttling waits",
            format!(
                "{} ({:.1} s in total)",
                t.throttle_waits, t.throttle_seconds
            ),
        ),
    ];
    if let Some(limit) = run.deletion_threshold {
        rows.push((
            "Deletion guard",
            if run.allow_deletes {
                format!("limit {limit} removals; deletes were allowed for this run")
            } else {
                format!("stops the run above {limit} removals")
            },
        ));
    }
    if run.preview || matches!(run.status, RunStatus::Preview | RunStatus::NeedsApproval) {
        rows.push((
            "Applied",
            "no: the changes below are what the run would have done".into(),
        ));
    }
    rows.push(("Error", run.error.clone().unwrap_or_else(|| "none".into())));
    rows
}

fn user_label(c: &ChangeRecord) -> String {
    let who = c.upn.as_deref().unwrap_or(&c.user_id);
    match &c.name {
        Some(name) if !name.is_empty() => format!("{who} ({name})"),
        _ => who.to_string(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line: no CR/LF inside a field or message.
fn one_line(s: &str) -> Cow<'_, str> {
    if s.contains(['\r', '\n']) {
        s.replace("\r\n", " ").replace(['\r', '\n'], " ").into()
    } else {
        s.into()
    }
}

fn added_fields(c: &ChangeRecord) -> Vec<(String, Value)> {
    c.detail
        .get("fields")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn updated_fields(c: &ChangeRecord) -> Vec<(String, Value, Value)> {
    c.detail
        .get("changes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|ch| {
                    (
                        plain(&ch["field"]),
                        ch.get("old").cloned().unwrap_or(Value::Null),
                        ch.get("new").cloned().unwrap_or(Value::Null),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---- text ----------------------------------------------------------------------------------

struct TextSink<'a> {
    out: &'a mut dyn Write,
}

impl TextSink<'_> {
    fn line(&mut self, text: &str) -> Result<(), RunsError> {
        writeln!(self.out, "{}", redact(&one_line(text)))?;
        Ok(())
    }
}

impl Sink for TextSink<'_> {
    fn run(&mut self, run: &RunRecord) -> Result<(), RunsError> {
        self.line(&format!(
            "Directory Sync - AAD sync history - run {} (times in UTC)",
            run.id
        ))?;
        for (name, value) in summary(run) {
            self.line(&format!("{:<22}{value}", format!("{name}:")))?;
        }
        self.line("")?;
        self.line("Events and changes:")
    }

    fn event(&mut self, e: &RunEvent) -> Result<(), RunsError> {
        self.line(&format!(
            "{}  [{}] {}",
            e.at,
            event_label(e.kind),
            e.message
        ))
    }

    fn change(&mut self, at: &str, c: &ChangeRecord) -> Result<(), RunsError> {
        let what = match c.kind {
            ChangeKind::Added => added_fields(c)
                .iter()
                .map(|(f, v)| format!("{f} = {}", value_text(v)))
                .collect::<Vec<_>>()
                .join("; "),
            ChangeKind::Updated => updated_fields(c)
                .iter()
                .map(|(f, o, n)| format!("{f}: {} → {}", value_text(o), value_text(n)))
                .collect::<Vec<_>>()
                .join("; "),
            ChangeKind::Removed => removal_reason(c.reason.as_deref()).into_owned(),
            ChangeKind::Joined => format!("joined {}", c.group.as_deref().unwrap_or("a group")),
            ChangeKind::Left => match c.reason.as_deref() {
                Some(r) => format!(
                    "left {} ({})",
                    c.group.as_deref().unwrap_or("a group"),
                    removal_reason(Some(r))
                ),
                None => format!("left {}", c.group.as_deref().unwrap_or("a group")),
            },
            ChangeKind::Failed => c.reason.clone().unwrap_or_default(),
        };
        self.line(&format!(
            "{at}  [{}] {}: {what}",
            change_label(c.kind),
            user_label(c)
        ))
    }

    fn finish(&mut self) -> Result<(), RunsError> {
        self.out.flush()?;
        Ok(())
    }
}

// ---- JSON Lines ----------------------------------------------------------------------------

struct JsonlSink<'a> {
    out: &'a mut dyn Write,
}

/// Redacts every string of a JSON value in place.
fn redact_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(clean) = redact(s) {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_value),
        Value::Object(m) => m.values_mut().for_each(redact_value),
        _ => {}
    }
}

impl JsonlSink<'_> {
    fn write(&mut self, mut v: Value) -> Result<(), RunsError> {
        redact_value(&mut v);
        serde_json::to_writer(&mut *self.out, &v).map_err(std::io::Error::from)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }
}

impl Sink for JsonlSink<'_> {
    fn run(&mut self, run: &RunRecord) -> Result<(), RunsError> {
        let mut v = serde_json::to_value(run).map_err(std::io::Error::from)?;
        if let Value::Object(m) = &mut v {
            m.insert("record".into(), json!("run"));
            m.insert("duration_secs".into(), json!(run.duration_secs()));
            m.insert("status_label".into(), json!(status_text(run)));
        }
        self.write(v)
    }

    fn event(&mut self, e: &RunEvent) -> Result<(), RunsError> {
        self.write(json!({
            "record": "event",
            "at": e.at,
            "kind": e.kind.as_str(),
            "message": e.message,
            "attempt": e.attempt,
            "seconds": e.seconds,
        }))
    }

    fn change(&mut self, at: &str, c: &ChangeRecord) -> Result<(), RunsError> {
        let mut m = Map::new();
        m.insert("record".into(), json!("change"));
        m.insert("at".into(), json!(at));
        m.insert("kind".into(), json!(c.kind.as_str()));
        m.insert("user_id".into(), json!(c.user_id));
        m.insert("upn".into(), json!(c.upn));
        m.insert("name".into(), json!(c.name));
        m.insert("reason".into(), json!(c.reason));
        m.insert("group".into(), json!(c.group));
        // added: "fields"; updated: "changes"; removed: "groups".
        if let Value::Object(detail) = &c.detail {
            for (k, v) in detail {
                m.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        self.write(Value::Object(m))
    }

    fn finish(&mut self) -> Result<(), RunsError> {
        self.out.flush()?;
        Ok(())
    }
}

// ---- CSV -----------------------------------------------------------------------------------

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 9] = [
    "timestamp",
    "record",
    "user_id",
    "upn",
    "field",
    "old",
    "new",
    "reason",
    "message",
];

struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

/// A spreadsheet evaluates a cell starting with = + - @ (or tab/CR); such text gets a leading
/// apostrophe, as in the directory's CSV. Numbers such as "-3" or "+1 555 0100" stay as they are.
fn defuse(value: &str) -> Cow<'_, str> {
    let mut chars = value.chars();
    let formula = match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !chars.all(|c| c.is_ascii_digit() || " ()-./x".contains(c)),
        _ => false,
    };
    if formula {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

impl<W: Write> CsvSink<W> {
    fn row(&mut self, cells: [&str; 9]) -> Result<(), RunsError> {
        let clean: Vec<String> = cells
            .iter()
            .map(|c| defuse(&redact(c)).into_owned())
            .collect();
        self.w.write_record(&clean).map_err(csv_error)
    }
}

fn csv_error(e: csv::Error) -> RunsError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => RunsError::Write(io),
        other => RunsError::Write(std::io::Error::other(format!("{other:?}"))),
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn run(&mut self, run: &RunRecord) -> Result<(), RunsError> {
        self.w.write_record(CSV_COLUMNS).map_err(csv_error)?;
        let message = summary(run)
            .into_iter()
            .filter(|(name, _)| !matches!(*name, "Run" | "Started" | "Error"))
            .map(|(name, value)| format!("{name}: {value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let id = run.id.to_string();
        let error = run.error.as_deref().unwrap_or("");
        self.row([
            &run.started_at,
            "run",
            "",
            "",
            "run",
            "",
            &id,
            error,
            &message,
        ])
    }

    fn event(&mut self, e: &RunEvent) -> Result<(), RunsError> {
        self.row([
            &e.at,
            "event",
            "",
            "",
            "",
            "",
            "",
            e.kind.as_str(),
            &e.message,
        ])
    }

    fn change(&mut self, at: &str, c: &ChangeRecord) -> Result<(), RunsError> {
        let kind = c.kind.as_str();
        let upn = c.upn.as_deref().unwrap_or("");
        let reason = c.reason.as_deref().unwrap_or("");
        let name = c.name.as_deref().unwrap_or("");
        match c.kind {
            ChangeKind::Added => {
                let fields = added_fields(c);
                if fields.is_empty() {
                    self.row([at, kind, &c.user_id, upn, "", "", "", reason, name])?;
                }
                for (field, value) in fields {
                    let new = plain(&value);
                    self.row([at, kind, &c.user_id, upn, &field, "", &new, reason, name])?;
                }
            }
            ChangeKind::Updated => {
                for (field, old, new) in updated_fields(c) {
                    let (old, new) = (plain(&old), plain(&new));
                    self.row([at, kind, &c.user_id, upn, &field, &old, &new, reason, name])?;
                }
            }
            ChangeKind::Joined => {
                let group = c.group.as_deref().unwrap_or("");
                self.row([at, kind, &c.user_id, upn, "group", "", group, reason, name])?;
            }
            ChangeKind::Left => {
                let group = c.group.as_deref().unwrap_or("");
                self.row([at, kind, &c.user_id, upn, "group", group, "", reason, name])?;
            }
            ChangeKind::Removed | ChangeKind::Failed => {
                self.row([at, kind, &c.user_id, upn, "", "", "", reason, name])?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), RunsError> {
        self.w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (0, "0 s"),
            (59, "59 s"),
            (125, "2 min 5 s"),
            (3_780, "1 h 3 min"),
            (86_400 + 7_200, "1 day 2 h"),
            (31 * 86_400, "31 days 0 h"),
        ];
        for (secs, text) in cases {
            assert_eq!(human_duration(secs), text);
        }
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        let cases = [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-cmd", "'-cmd"),
            ("+1 555 0100", "+1 555 0100"),
            ("-3", "-3"),
            ("plain", "plain"),
        ];
        for (input, expected) in cases {
            assert_eq!(defuse(input), expected);
        }
    }

    #[test]
    fn formats_parse_and_name_files() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse("xml"), None);
    }
}
