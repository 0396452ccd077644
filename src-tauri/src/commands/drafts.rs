//! Each chat's unsent message, kept in the database across restarts: the text as the user types
//! it, and the files waiting with it (held here under tokens while the app runs, their bytes in
//! the database for the next start).

use confab_core::store::ConversationId;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use super::attachments::PendingAttachment;
use crate::error::IpcError;
use crate::state::AppState;

/// A chat's draft as the page gets it back at start: its text, and its files held again under
/// new tokens, ready to send.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedDraft {
    pub conversation_id: i64,
    pub text: String,
    pub files: Vec<PendingAttachment>,
}

/// Every chat's draft, for a page that starts (or reloads). The files held for the page before
/// are let go: its tokens went with it, and the drafts' files are held again here.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_drafts(state: State<'_, AppState>) -> Result<Vec<SavedDraft>, IpcError> {
    let drafts = state.store().drafts().await?;
    state.files.release_all();
    Ok(drafts
        .into_iter()
        .map(|d| SavedDraft {
            conversation_id: d.conversation_id.0,
            text: d.text,
            files: d.files.into_iter().map(|f| state.files.hold(f)).collect(),
        })
        .collect())
}

/// Keeps chat `conversation_id`'s unsent `text`; with `tokens`, the files held under them too,
/// in place of those kept before (without, they stay as they are). Nothing in it removes it.
#[tauri::command]
#[tracing::instrument(skip(state, text), err)]
pub async fn save_draft(
    state: State<'_, AppState>,
    conversation_id: i64,
    text: String,
    tokens: Option<Vec<String>>,
) -> Result<(), IpcError> {
    let files = tokens.map(|t| state.files.held(&t)).transpose()?;
    Ok(state
        .store()
        .save_draft(ConversationId(conversation_id), &text, files.as_deref())
        .await?)
}
