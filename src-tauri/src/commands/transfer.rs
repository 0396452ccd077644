//! Export and import through the native save and open dialogs. The webview never names a file
//! path: the dialogs run here, and a previewed import waits under a random token for the user's
//! yes. Writing and reading the files is the core's (`confab_core::export`).

use confab_core::error::ErrorCode;
use confab_core::export::{self, ExportOptions, Format, ImportPreview, ImportProgress};
use confab_core::store::ConversationId;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// Where an export went.
#[derive(Serialize, TS)]
pub struct Exported {
    pub path: String,
    pub messages: u64,
}

/// Asks where to save the conversation (a native save dialog, the file named after the title)
/// and writes it there in `format` (`md`, `json`, `html` or `jsonl`). `None` when the user
/// cancelled. The file is written beside the target and renamed, so a failure leaves nothing.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn export_conversation(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: i64,
    format: String,
) -> Result<Option<Exported>, IpcError> {
    let format = Format::named(&format)?;
    let conversation = state.store().get_conversation(ConversationId(id)).await?;
    let Some(path) = super::ask_where_to_save(
        &app,
        "Export conversation",
        export::file_name(&conversation, format),
        (format.label(), format.extension()),
    )
    .await?
    else {
        return Ok(None);
    };
    let options = ExportOptions {
        redact: false,
        endpoint: Some(state.chat().client().endpoint().base_url()),
    };
    let stats =
        export::export_conversation_to(&state.store(), conversation.id, format, &options, &path)
            .await?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        messages: stats.messages,
    }))
}

/// What an import file holds, waiting for the user to confirm.
#[derive(Serialize, TS)]
pub struct ImportChoice {
    pub token: String,
    pub file_name: String,
    pub preview: ImportPreview,
}

/// Asks for a file to import (a native open dialog) and reads it: a Confab export or backup, or
/// ChatGPT's `conversations.json`. Nothing is imported yet; `None` when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn choose_import(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<ImportChoice>, IpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Import conversations")
        .add_filter("Confab or ChatGPT export", &["json"])
        .pick_file(move |path| {
            let _ = tx.send(path);
        });
    let Some(path) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = path
        .into_path()
        .map_err(|e| IpcError::new(ErrorCode::InvalidInput, format!("cannot open that: {e}")))?;
    let read = path.clone();
    let plan = tauri::async_runtime::spawn_blocking(move || export::read_import(&read))
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))??;
    let token = format!("{:032x}", rand::random::<u128>());
    let preview = plan.preview();
    state
        .pending_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token.clone(), plan);
    Ok(Some(ImportChoice {
        token,
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        preview,
    }))
}

/// Imports the file `choose_import` read, in one transaction, telling `on_progress` how far it
/// has come. Returns the new conversations.
#[tauri::command]
#[tracing::instrument(skip(state, on_progress), err)]
pub async fn confirm_import(
    state: State<'_, AppState>,
    token: String,
    on_progress: Channel<ImportProgress>,
) -> Result<Vec<ConversationId>, IpcError> {
    let plan = state
        .pending_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&token)
        .ok_or_else(|| {
            IpcError::new(
                ErrorCode::NotFound,
                "that import was cancelled or already done — choose the file again",
            )
        })?;
    // A closed channel (the dialog went away) does not stop the import.
    let mut report = |progress| {
        let _ = on_progress.send(progress);
    };
    Ok(export::import_with_progress(&state.store(), &plan, &mut report).await?)
}

/// Forgets a previewed import the user declined.
#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>, token: String) {
    state
        .pending_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&token);
}
