//! Reading a conversation's messages, pinning one, and the versions of a reply.

use confab_core::error::ErrorCode;
use confab_core::store::{ConversationId, Message, MessageId, ReplyVersion};
use tauri::State;

use super::MAX_PAGE;
use crate::error::IpcError;
use crate::state::AppState;

/// A page of the conversation as it reads, oldest first: the messages older than `before` (the
/// newest ones when neither is given), or those newer than `after`.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_messages(
    state: State<'_, AppState>,
    conversation_id: i64,
    limit: u32,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Vec<Message>, IpcError> {
    let id = ConversationId(conversation_id);
    let limit = limit.min(MAX_PAGE);
    Ok(match (before, after) {
        (before, None) => {
            state
                .store()
                .messages_before(id, before.map(MessageId), limit)
                .await?
        }
        (None, Some(after)) => {
            state
                .store()
                .messages_after(id, MessageId(after), limit)
                .await?
        }
        (Some(_), Some(_)) => {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "give the messages before one message or after it, not both",
            ))
        }
    })
}

/// Pins a message (always sent to the model, however old) or unpins it.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_message_pinned(
    state: State<'_, AppState>,
    id: i64,
    pinned: bool,
) -> Result<Message, IpcError> {
    Ok(state
        .store()
        .set_message_pinned(MessageId(id), pinned)
        .await?)
}

/// Shows another version of the conversation's last reply; returns it.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn select_version(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<Message, IpcError> {
    Ok(state.chat().select_version(MessageId(message_id)).await?)
}

/// The versions of the reply a message belongs to, oldest first.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_versions(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<Vec<ReplyVersion>, IpcError> {
    Ok(state.store().reply_versions(MessageId(message_id)).await?)
}
