//! Manage Mapping: the attribute mapping with sample values, a check before saving (validation
//! naming the row, and whether the next run becomes a full round), and saving.

use dirsync::directory;
use dirsync::mapping::{self, MappingError, MappingRow};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::{error::Error, state::AppState};

/// A row as the UI edits it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub field: String,
    pub source: String,
    #[serde(default)]
    pub builtin: bool,
}

impl From<&Row> for MappingRow {
    fn from(r: &Row) -> Self {
        MappingRow {
            field: r.field.clone(),
            source: r.source.clone(),
            builtin: r.builtin,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: mapping::AttributeType,
    pub description: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingView {
    pub rows: Vec<Row>,
    /// The value of each row for the first synced user (`None` before the first sync).
    pub samples: Vec<Option<String>>,
    /// The user properties the attribute picker offers.
    pub attributes: Vec<Attribute>,
}

/// The stored mapping, its sample values and the attribute list.
#[tauri::command]
pub fn get_mapping(state: State<'_, AppState>) -> Result<MappingView, Error> {
    let store = state.store()?;
    let stored = mapping::load(store.conn())?;
    let samples = directory::sample_values(store.conn(), stored.rows())?;
    Ok(MappingView {
        rows: stored
            .rows()
            .iter()
            .map(|r| Row {
                field: r.field.clone(),
                source: r.source.clone(),
                builtin: r.builtin,
            })
            .collect(),
        samples,
        attributes: mapping::known_attributes()
            .iter()
            .map(|a| Attribute {
                name: a.name,
                kind: a.kind,
                description: a.description,
            })
            .collect(),
    })
}

/// A refused row: its 1-based position and what to change.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowProblem {
    pub row: Option<usize>,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingCheck {
    /// Why the rows cannot be saved; absent when they can.
    pub problem: Option<RowProblem>,
    /// Graph properties the stored delta link does not track.
    pub untracked: Vec<String>,
    /// Saving makes the next run a full round.
    pub full_round_required: bool,
    /// Sample values of the edited rows.
    pub samples: Vec<Option<String>>,
}

/// What saving `rows` would mean, without saving: the row that is wrong, or whether the next
/// run becomes a full round; plus the sample values of the edited rows.
#[tauri::command]
pub fn check_mapping(state: State<'_, AppState>, rows: Vec<Row>) -> Result<MappingCheck, Error> {
    let rows: Vec<MappingRow> = rows.iter().map(MappingRow::from).collect();
    let store = state.store()?;
    let samples = directory::sample_values(store.conn(), &rows)?;
    let check = match mapping::preview(store.conn(), &rows) {
        Ok(outcome) => MappingCheck {
            problem: None,
            untracked: outcome.untracked,
            full_round_required: outcome.full_round_required,
            samples,
        },
        Err(e) => MappingCheck {
            problem: Some(problem(e)?),
            untracked: Vec::new(),
            full_round_required: false,
            samples,
        },
    };
    Ok(check)
}

fn problem(e: MappingError) -> Result<RowProblem, Error> {
    match e {
        MappingError::InvalidRow { row, .. } => Ok(RowProblem {
            row: Some(row),
            message: e.to_string(),
        }),
        MappingError::BuiltinRemoved(_) | MappingError::UnknownField(_) => Ok(RowProblem {
            row: None,
            message: e.to_string(),
        }),
        other => Err(other.into()),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingSaved {
    pub untracked: Vec<String>,
    /// The next run re-reads every user.
    pub full_round_required: bool,
    /// Users whose fields changed, recomputed from their stored attributes at once.
    pub refreshed: usize,
}

/// Saves the mapping; when the stored delta link tracks everything it needs, every user's
/// fields are recomputed in the same transaction, else the next run is a full round.
#[tauri::command]
pub fn save_mapping(state: State<'_, AppState>, rows: Vec<Row>) -> Result<MappingSaved, Error> {
    let rows: Vec<MappingRow> = rows.iter().map(MappingRow::from).collect();
    let mut store = state.store()?;
    let tx = store
        .conn_mut()
        .transaction()
        .map_err(dirsync::store::StoreError::Sql)?;
    let saved = directory::save_mapping(&tx, &rows)?;
    tx.commit().map_err(dirsync::store::StoreError::Sql)?;
    Ok(MappingSaved {
        untracked: saved.outcome.untracked,
        full_round_required: saved.outcome.full_round_required,
        refreshed: saved.refreshed.len(),
    })
}
