//! The recovery screen's commands: what the page shows when the database did not open (damaged,
//! not a database, newer, locked, or an upgrade that failed) or was found damaged later, and the
//! ways forward — restore a
//! snapshot, export what can still be read, try again, or quit. They need no open store, so they
//! run whether or not start-up succeeded (see `startup`); nothing is deleted or overwritten
//! unless the user clicked for it.

use confab_core::error::ErrorCode;
use confab_core::export::{self, ExportFile, Salvaged};
use confab_core::store::recovery::{self, Restored, SnapshotInfo};
use confab_core::store::{backups_dir, Store};
use serde::Serialize;
use tauri::{Manager, State};
use ts_rs::TS;

use crate::error::IpcError;
use crate::startup;
use crate::state::{AppState, DataPaths};

/// The commands that run before (and without) a successful start.
pub const NAMES: [&str; 6] = [
    "database_info",
    "list_snapshots",
    "restore_snapshot",
    "export_readable",
    "retry_start",
    "quit_app",
];

/// Resolves once start-up has succeeded (the wrapper in `startup` runs it only then, and refuses
/// it with start-up's error otherwise): how the page learns to show the recovery screen.
#[tauri::command]
pub fn startup_status() {}

/// Where the database and its snapshots are, and whether the file is there at all.
#[derive(Serialize, TS)]
pub struct DatabaseInfo {
    pub path: String,
    pub backups: String,
    pub exists: bool,
}

#[tauri::command]
pub fn database_info(paths: State<'_, DataPaths>) -> DatabaseInfo {
    DatabaseInfo {
        path: paths.database.display().to_string(),
        backups: backups_dir(&paths.database).display().to_string(),
        exists: paths.database.is_file(),
    }
}

/// The copies in `backups/`, newest first, with their dates, schema versions and chat counts.
#[tauri::command]
pub async fn list_snapshots(paths: State<'_, DataPaths>) -> Result<Vec<SnapshotInfo>, IpcError> {
    Ok(recovery::snapshots(&paths.database).await)
}

/// Restores the snapshot named `file_name` (one of `list_snapshots`), keeping the current file in
/// `backups/`; the page then starts again (`retry_start`). Refused while the database is open and
/// well: a database damaged mid-session is closed first (see `open_state`).
#[tauri::command]
#[tracing::instrument(skip(app, paths), err)]
pub async fn restore_snapshot(
    app: tauri::AppHandle,
    paths: State<'_, DataPaths>,
    file_name: String,
) -> Result<Restored, IpcError> {
    if let Some(state) = app.try_state::<AppState>() {
        let store = state.store();
        if store.damage_seen().is_some() {
            // Already closing, or closed: this waits for it.
            store.close().await;
        }
    }
    let named = std::path::Path::new(&file_name);
    if named.file_name() != Some(named.as_os_str()) {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            format!("{file_name} is not the name of a snapshot"),
        ));
    }
    let snapshot = backups_dir(&paths.database).join(named);
    if !snapshot.is_file() {
        return Err(IpcError::new(
            ErrorCode::NotFound,
            format!("there is no snapshot {file_name} in the backups folder any more"),
        ));
    }
    let restored = recovery::restore(&paths.database, &snapshot, chrono::Utc::now()).await?;
    tracing::warn!(?restored, "restored a snapshot");
    Ok(restored)
}

/// Asks where to save (a native save dialog), then writes every chat that can still be read from
/// the database as a Confab backup file, which Confab imports. `None` when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, paths), err)]
pub async fn export_readable(
    app: tauri::AppHandle,
    paths: State<'_, DataPaths>,
) -> Result<Option<ReadableExport>, IpcError> {
    let file_name = format!(
        "confab-readable-{}.json",
        chrono::Local::now().format("%Y-%m-%d")
    );
    let Some(path) = super::ask_where_to_save(
        &app,
        "Export what can still be read",
        file_name,
        ("Confab backup", "json"),
    )
    .await?
    else {
        return Ok(None);
    };
    let store = Store::open_for_reading(&paths.database).await?;
    let mut file = ExportFile::create(&path)?;
    let saved = export::export_readable(&store, file.writer()).await;
    store.close().await;
    let saved = saved?;
    file.finish()?;
    Ok(Some(ReadableExport {
        path: path.display().to_string(),
        saved,
    }))
}

/// Where `export_readable` wrote, and what.
#[derive(Serialize, TS)]
pub struct ReadableExport {
    pub path: String,
    pub saved: Salvaged,
}

/// Starts again (after the user quit the other Confab, freed space, or put a file back): the
/// start-up's outcome, which the page then follows.
#[tauri::command]
pub async fn retry_start(app: tauri::AppHandle) -> Result<(), IpcError> {
    startup::retry(&app).await
}

#[tauri::command]
pub fn quit_app(app: tauri::AppHandle) {
    app.exit(0);
}
