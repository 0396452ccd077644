//! The memory panel: what the next request of a conversation carries, and editing its summary.

use confab_core::memory::{summarize, ContextReport};
use confab_core::store::{ConversationId, Summary};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// What the next request of a conversation carries: the memory panel's model.
#[derive(Serialize, TS)]
pub struct ContextView {
    pub report: ContextReport,
    /// Each report item's text, in the report's order.
    pub texts: Vec<String>,
    /// The current summary, editable.
    pub summary: Option<Summary>,
}

/// The context inspector: exactly what the next request would carry, with token counts, the
/// budget and what is left out — built by the same code that sends.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_context(state: State<'_, AppState>, id: i64) -> Result<ContextView, IpcError> {
    let id = ConversationId(id);
    let built = state.chat().context(id).await?;
    let summary = state.store().latest_summary(id).await?;
    Ok(ContextView {
        texts: built.item_texts(),
        report: built.report,
        summary,
    })
}

/// Saves the user's edit of the conversation's summary (as a new summary row, marked as edited);
/// the next request sends it and the next fold builds on it.
#[tauri::command]
#[tracing::instrument(skip(state, content), err)]
pub async fn edit_summary(
    state: State<'_, AppState>,
    id: i64,
    content: String,
) -> Result<Summary, IpcError> {
    Ok(summarize::edit_summary(&state.store(), ConversationId(id), &content).await?)
}
