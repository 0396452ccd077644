//! Replies: sending a message, answering, regenerating, continuing and editing stream a reply to
//! a `Channel`; stopping one; and the app's own changes (a chat the model named) as they happen.

use confab_core::chat::{ChatEvent, ServiceUpdate, Turn};
use confab_core::store::{ConversationId, Message, MessageId};
use tauri::ipc::Channel;
use tauri::State;

use crate::error::IpcError;
use crate::sink::ChannelSink;
use crate::state::AppState;

/// Saves the user's message and starts the reply; returns the saved message at once. The reply
/// streams to `on_event` and keeps streaming (and being saved) whatever the UI does meanwhile.
#[tauri::command]
#[tracing::instrument(skip(state, text, on_event), err)]
pub async fn send_message(
    state: State<'_, AppState>,
    conversation_id: i64,
    text: String,
    on_event: Channel<ChatEvent>,
) -> Result<Option<Message>, IpcError> {
    let turn = state
        .chat()
        .start(ConversationId(conversation_id), Some(&text))
        .await?;
    let user_message = turn.user_message().cloned();
    stream_in_background(turn, on_event);
    Ok(user_message)
}

/// Streams a new reply to the conversation as it stands: after a failed reply, or to an
/// unanswered question.
#[tauri::command]
#[tracing::instrument(skip(state, on_event), err)]
pub async fn respond(
    state: State<'_, AppState>,
    conversation_id: i64,
    on_event: Channel<ChatEvent>,
) -> Result<(), IpcError> {
    let turn = state
        .chat()
        .start(ConversationId(conversation_id), None)
        .await?;
    stream_in_background(turn, on_event);
    Ok(())
}

/// Sets the conversation's last reply aside as a hidden version and streams a new version of it.
#[tauri::command]
#[tracing::instrument(skip(state, on_event), err)]
pub async fn regenerate(
    state: State<'_, AppState>,
    conversation_id: i64,
    on_event: Channel<ChatEvent>,
) -> Result<(), IpcError> {
    let turn = state
        .chat()
        .start_regenerate(ConversationId(conversation_id))
        .await?;
    stream_in_background(turn, on_event);
    Ok(())
}

/// Streams more text into the conversation's last reply, one that was cut short or failed
/// part-way: the same message grows.
#[tauri::command]
#[tracing::instrument(skip(state, on_event), err)]
pub async fn continue_reply(
    state: State<'_, AppState>,
    conversation_id: i64,
    on_event: Channel<ChatEvent>,
) -> Result<(), IpcError> {
    let turn = state
        .chat()
        .start_continue(ConversationId(conversation_id))
        .await?;
    stream_in_background(turn, on_event);
    Ok(())
}

/// Replaces the text of the conversation's last user message and streams a new reply; the
/// replies to the earlier text stay as hidden versions.
#[tauri::command]
#[tracing::instrument(skip(state, text, on_event), err)]
pub async fn edit_and_resend(
    state: State<'_, AppState>,
    message_id: i64,
    text: String,
    on_event: Channel<ChatEvent>,
) -> Result<(), IpcError> {
    let turn = state
        .chat()
        .start_edit(MessageId(message_id), &text)
        .await?;
    stream_in_background(turn, on_event);
    Ok(())
}

/// The reply streams on its own task: it outlives the command and whatever the UI does next.
pub(crate) fn stream_in_background(turn: Turn, on_event: Channel<ChatEvent>) {
    tauri::async_runtime::spawn(async move {
        if let Err(err) = turn.stream(&ChannelSink::spawn(on_event)).await {
            tracing::error!(%err, "a reply could not be saved");
        }
    });
}

/// Stops the conversation's streaming reply (its HTTP request is closed); false if none was.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn stop_reply(state: State<'_, AppState>, conversation_id: i64) -> bool {
    state.chat().stop(ConversationId(conversation_id))
}

/// The conversations with a reply streaming right now.
#[tauri::command]
pub fn streaming_conversations(state: State<'_, AppState>) -> Vec<i64> {
    state
        .chat()
        .streaming()
        .into_iter()
        .map(|id| id.0)
        .collect()
}

/// Sends the changes the app makes on its own (a chat the model has just named) to `on_update`,
/// from now until the page asks again (after a reload) or the app quits.
#[tauri::command]
pub fn watch_updates(state: State<'_, AppState>, on_update: Channel<ServiceUpdate>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut updates = state.chat().updates();
    let task = tauri::async_runtime::spawn(async move {
        loop {
            match updates.recv().await {
                Ok(update) => {
                    if on_update.send(update).is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the page missed some updates")
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    let old = state
        .update_watch
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .replace(task);
    if let Some(old) = old {
        old.abort();
    }
}
