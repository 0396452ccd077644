//! Searching every chat (the search view): one core call.

use confab_core::store::{SearchQuery, SearchResults};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// One page of the messages and chat titles matching `query`, best first.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn search(
    state: State<'_, AppState>,
    query: SearchQuery,
) -> Result<SearchResults, IpcError> {
    Ok(state.chat().search(&query).await?)
}
