//! Tauri commands: each takes the app state, makes one core call and maps its error.

use confab_core::store::{
    Conversation, ConversationCursor, ConversationId, ListConversations, Message, MessageId,
    NewConversation, Page,
};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The largest page a command hands out, whatever the UI asks for.
const MAX_PAGE: u32 = 500;

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_conversations(
    state: State<'_, AppState>,
    limit: u32,
    cursor: Option<ConversationCursor>,
) -> Result<Page<Conversation>, IpcError> {
    let query = ListConversations {
        limit: limit.min(MAX_PAGE),
        after: cursor,
        ..ListConversations::default()
    };
    Ok(state.store.list_conversations(query).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn create_conversation(
    state: State<'_, AppState>,
    title: Option<String>,
) -> Result<Conversation, IpcError> {
    let new = NewConversation {
        title: title.unwrap_or_default(),
        ..NewConversation::default()
    };
    Ok(state.store.create_conversation(new).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_conversation(
    state: State<'_, AppState>,
    id: i64,
) -> Result<Conversation, IpcError> {
    Ok(state.store.get_conversation(ConversationId(id)).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_messages(
    state: State<'_, AppState>,
    conversation_id: i64,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<Message>, IpcError> {
    Ok(state
        .store
        .messages_before(
            ConversationId(conversation_id),
            before.map(MessageId),
            limit.min(MAX_PAGE),
        )
        .await?)
}
