//! `dirsync runs list|show|export`: the AAD sync history and each run's log file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use dirsync::runs::{self, Format, RunKind, RunRecord};
use dirsync::store::Store;

use crate::context::{fail, open_store, EXIT_FAILED};

#[derive(Subcommand)]
pub enum RunsCommand {
    /// List the runs of the sync history, newest first
    List {
        /// How many runs to list
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print the runs as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one run: its summary, then every event and change (the text log)
    Show {
        /// The run id (see `dirsync runs list`)
        id: i64,
        /// Print the run, its events and its changes as JSON
        #[arg(long)]
        json: bool,
    },
    /// Write a run's log file
    Export {
        /// The run id (see `dirsync runs list`)
        id: i64,
        /// The file to write
        #[arg(long)]
        out: PathBuf,
        /// text (the readable log), jsonl (JSON Lines) or csv
        #[arg(long, default_value = "text", value_parser = ["text", "jsonl", "csv"])]
        format: String,
    },
}

pub fn run(cmd: RunsCommand) -> ExitCode {
    let store = match open_store() {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let result = match cmd {
        RunsCommand::List { limit, json } => list(&store, limit, json),
        RunsCommand::Show { id, json } => show(&store, id, json),
        RunsCommand::Export { id, out, format } => {
            let format = Format::parse(&format).expect("clap allows only known formats");
            export(&store, id, &out, format)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, EXIT_FAILED),
    }
}

fn list(store: &Store, limit: u32, json: bool) -> Result<(), String> {
    let rows = runs::list(store.conn(), limit, None).map_err(|e| e.to_string())?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("runs serialize")
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!("No runs yet. `dirsync sync` starts one.");
        return Ok(());
    }
    println!(
        "{:>5}  {:<20}  {:<8}  {:>9}  {:<14}  {:>7} {:>7} {:>7}  Error",
        "Run", "Started (UTC)", "Trigger", "Duration", "Status", "Added", "Updated", "Removed"
    );
    for r in &rows {
        let error = r
            .error
            .as_deref()
            .and_then(|e| e.lines().next())
            .unwrap_or("");
        println!(
            "{:>5}  {:<20}  {:<8}  {:>9}  {:<14}  {:>7} {:>7} {:>7}  {}",
            r.id,
            r.started_at,
            r.trigger.as_str(),
            duration(r),
            status(r),
            r.counts.added,
            r.counts.updated,
            r.counts.removed,
            runs::redact(error)
        );
    }
    Ok(())
}

fn status(r: &RunRecord) -> &'static str {
    match r.kind {
        RunKind::Reset => "Reset sync",
        RunKind::Sync => r.status.label(),
    }
}

fn duration(r: &RunRecord) -> String {
    match r.duration_secs() {
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        Some(s) => format!("{} h {} min", s / 3600, s % 3600 / 60),
        None => "-".into(),
    }
}

fn show(store: &Store, id: i64, json: bool) -> Result<(), String> {
    let conn = store.conn();
    let mut stdout = std::io::stdout().lock();
    if !json {
        runs::export(conn, id, Format::Text, &mut stdout).map_err(|e| e.to_string())?;
        return Ok(());
    }
    // The JSON Lines export, gathered into one document: {"run", "events", "changes"}.
    let mut lines = Vec::new();
    runs::export(conn, id, Format::Jsonl, &mut lines).map_err(|e| e.to_string())?;
    let mut doc = serde_json::json!({ "run": null, "events": [], "changes": [] });
    for line in String::from_utf8_lossy(&lines).lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let record = v["record"].as_str().unwrap_or_default().to_string();
        if let Some(m) = v.as_object_mut() {
            m.remove("record");
        }
        match record.as_str() {
            "run" => doc["run"] = v,
            "event" => doc["events"].as_array_mut().expect("array").push(v),
            _ => doc["changes"].as_array_mut().expect("array").push(v),
        }
    }
    writeln!(
        stdout,
        "{}",
        serde_json::to_string_pretty(&doc).expect("serializes")
    )
    .map_err(|e| e.to_string())
}

fn export(store: &Store, id: i64, out: &Path, format: Format) -> Result<(), String> {
    // Written next to the target and renamed into place: never half a log under its name.
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", out.display()))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.part-{}", std::process::id()));
    let written = (|| -> Result<RunRecord, String> {
        let file = std::fs::File::create(&tmp)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        let mut w = std::io::BufWriter::new(file);
        let run = runs::export(store.conn(), id, format, &mut w).map_err(|e| e.to_string())?;
        w.into_inner()
            .map_err(|e| e.to_string())?
            .sync_all()
            .map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        Ok(run)
    })();
    match written {
        Ok(run) => {
            println!(
                "Wrote the {} of run {} to {}",
                format.label(),
                run.id,
                out.display()
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
