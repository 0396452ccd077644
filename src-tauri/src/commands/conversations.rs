//! The chat list: listing, creating, renaming, pinning and deleting conversations.

use confab_core::store::{
    Conversation, ConversationCursor, ConversationId, InProject, ListConversations,
    NewConversation, Page, ProjectId,
};
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use super::MAX_PAGE;
use crate::error::IpcError;
use crate::state::AppState;

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_conversations(
    state: State<'_, AppState>,
    limit: u32,
    cursor: Option<ConversationCursor>,
    filter: Option<String>,
    project: Option<ProjectScope>,
) -> Result<Page<Conversation>, IpcError> {
    let query = ListConversations {
        limit: limit.min(MAX_PAGE),
        after: cursor,
        title_contains: filter,
        project: match project {
            None => InProject::Any,
            Some(ProjectScope::Outside) => InProject::None,
            Some(ProjectScope::In(id)) => InProject::Is(ProjectId(id)),
        },
        ..ListConversations::default()
    };
    Ok(state.store().list_conversations(query).await?)
}

/// Which chats a page of the list holds: those outside every project, or one project's.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProjectScope {
    Outside,
    In(i64),
}

/// A new chat, in `project` when given (it inherits the project's defaults).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn create_conversation(
    state: State<'_, AppState>,
    title: Option<String>,
    project: Option<i64>,
) -> Result<Conversation, IpcError> {
    let new = NewConversation {
        title: title.unwrap_or_default(),
        project_id: project.map(ProjectId),
        ..NewConversation::default()
    };
    Ok(state.store().create_conversation(new).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_conversation(
    state: State<'_, AppState>,
    id: i64,
) -> Result<Conversation, IpcError> {
    Ok(state.store().get_conversation(ConversationId(id)).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn rename_conversation(
    state: State<'_, AppState>,
    id: i64,
    title: String,
) -> Result<Conversation, IpcError> {
    Ok(state
        .store()
        .rename_conversation(ConversationId(id), &title)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_pinned(
    state: State<'_, AppState>,
    id: i64,
    pinned: bool,
) -> Result<Conversation, IpcError> {
    Ok(state.store().set_pinned(ConversationId(id), pinned).await?)
}

/// Deletes a conversation with everything in it; a reply streaming there is stopped first.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn delete_conversation(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    state.chat().stop(ConversationId(id));
    Ok(state
        .store()
        .delete_conversation(ConversationId(id))
        .await?)
}
