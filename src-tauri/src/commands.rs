//! Tauri commands: each takes the app state, makes one core call and maps its error.

use std::time::Duration;

use confab_core::chat::{ChatEvent, ServiceUpdate, Turn};
use confab_core::llm::discovery::{local_ports, probe_local_servers, FoundServer, ModelInfo};
use confab_core::secrets::KeyStorage;
use confab_core::settings::{AppSettings, ChatOptions, Theme};
use confab_core::store::{
    Conversation, ConversationCursor, ConversationId, ListConversations, Message, MessageId,
    NewConversation, Page, ReplyVersion,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::error::IpcError;
use crate::sink::ChannelSink;
use crate::state::AppState;

/// The largest page a command hands out, whatever the UI asks for.
const MAX_PAGE: u32 = 500;

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_conversations(
    state: State<'_, AppState>,
    limit: u32,
    cursor: Option<ConversationCursor>,
    filter: Option<String>,
) -> Result<Page<Conversation>, IpcError> {
    let query = ListConversations {
        limit: limit.min(MAX_PAGE),
        after: cursor,
        title_contains: filter,
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
pub async fn rename_conversation(
    state: State<'_, AppState>,
    id: i64,
    title: String,
) -> Result<Conversation, IpcError> {
    Ok(state
        .store
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
    Ok(state.store.set_pinned(ConversationId(id), pinned).await?)
}

/// Deletes a conversation with everything in it; a reply streaming there is stopped first.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn delete_conversation(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    state.chat.stop(ConversationId(id));
    Ok(state.store.delete_conversation(ConversationId(id)).await?)
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
        .chat
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
        .chat
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
        .chat
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
        .chat
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
    let turn = state.chat.start_edit(MessageId(message_id), &text).await?;
    stream_in_background(turn, on_event);
    Ok(())
}

/// Shows another version of the conversation's last reply; returns it.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn select_version(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<Message, IpcError> {
    Ok(state.chat.select_version(MessageId(message_id)).await?)
}

/// The versions of the reply a message belongs to, oldest first.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_versions(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<Vec<ReplyVersion>, IpcError> {
    Ok(state.store.reply_versions(MessageId(message_id)).await?)
}

/// Stops the conversation's streaming reply (its HTTP request is closed); false if none was.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn stop_reply(state: State<'_, AppState>, conversation_id: i64) -> bool {
    state.chat.stop(ConversationId(conversation_id))
}

/// The conversations with a reply streaming right now.
#[tauri::command]
pub fn streaming_conversations(state: State<'_, AppState>) -> Vec<i64> {
    state.chat.streaming().into_iter().map(|id| id.0).collect()
}

/// Sends the changes the app makes on its own (a chat the model has just named) to `on_update`,
/// from now until the page asks again (after a reload) or the app quits.
#[tauri::command]
pub fn watch_updates(state: State<'_, AppState>, on_update: Channel<ServiceUpdate>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut updates = state.chat.updates();
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

/// The reply streams on its own task: it outlives the command and whatever the UI does next.
fn stream_in_background(turn: Turn, on_event: Channel<ChatEvent>) {
    tauri::async_runtime::spawn(async move {
        if let Err(err) = turn.stream(&ChannelSink::spawn(on_event)).await {
            tracing::error!(%err, "a reply could not be saved");
        }
    });
}

/// Fetches an image from a reply that the user asked to see (never on its own: loading tells its
/// server you read the reply). Only raster images come back, as a `data:` URL.
#[tauri::command]
#[tracing::instrument(err)]
pub async fn load_image(url: String) -> Result<confab_core::links::RemoteImage, IpcError> {
    Ok(confab_core::links::fetch_image(&url).await?)
}

/// Opens a link from a message in the system browser (or mail client). Only http, https and
/// mailto links are opened; anything else is refused.
#[tauri::command]
#[tracing::instrument(skip(app), err)]
pub fn open_link(app: tauri::AppHandle, url: String) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    if !confab_core::links::is_openable(&url) {
        return Err(IpcError {
            code: "invalid_input",
            message: "only web (http, https) and e-mail links can be opened".into(),
        });
    }
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| IpcError {
            code: "internal",
            message: format!("the link could not be opened: {e}"),
        })
}

/// The server replies come from, e.g. `http://localhost:1234/v1`.
#[tauri::command]
pub fn get_endpoint(state: State<'_, AppState>) -> String {
    state.chat.client().endpoint().base_url()
}

/// Saves a new server URL; replies from now on go there (with its API key, if one is kept).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_endpoint(state: State<'_, AppState>, url: String) -> Result<String, IpcError> {
    let endpoint = confab_core::server::save_endpoint(&state.store, &url).await?;
    let key = state.keys.get(endpoint.root());
    let client = confab_core::server::client_for(endpoint.root(), key)?;
    let base = client.endpoint().base_url();
    state.chat.set_client(client);
    Ok(base)
}

/// The models a server offers: also how the settings check a URL before saving it.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_models(
    state: State<'_, AppState>,
    url: String,
) -> Result<Vec<ModelInfo>, IpcError> {
    let bare = confab_core::server::client_for(&url, None)?;
    let key = state.keys.get(bare.endpoint().root());
    Ok(confab_core::server::client_for(&url, key)?
        .list_models()
        .await?)
}

/// OpenAI-compatible servers answering on the usual local ports.
#[tauri::command]
pub async fn find_servers() -> Vec<FoundServer> {
    probe_local_servers("127.0.0.1", &local_ports(), Duration::from_millis(800)).await
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
        .store
        .set_message_pinned(MessageId(id), pinned)
        .await?)
}

/// The settings dialog's model: the app's settings, the server, and whether (and where) an API
/// key is kept for it. The key itself never leaves the Rust side.
#[derive(serde::Serialize)]
pub struct SettingsView {
    pub settings: AppSettings,
    pub endpoint: String,
    pub api_key: Option<KeyStorage>,
}

#[tauri::command]
#[tracing::instrument(skip(state))]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let client = state.chat.client();
    Ok(SettingsView {
        settings: AppSettings::load(&state.store).await,
        endpoint: client.endpoint().base_url(),
        api_key: state.keys.storage(client.endpoint().root()),
    })
}

/// Checks and saves the app's settings; the theme applies at once.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn save_settings(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    settings: AppSettings,
) -> Result<AppSettings, IpcError> {
    let saved = settings.save(&state.store).await?;
    apply_theme(&app, saved.theme);
    Ok(saved)
}

/// Keeps the API key of the current server (an empty key removes it) and uses it from now on.
/// Says where it was kept: the OS keyring, or this session only when there is no keyring.
#[tauri::command]
#[tracing::instrument(skip(state, key), err)]
pub async fn set_api_key(
    state: State<'_, AppState>,
    key: String,
) -> Result<Option<KeyStorage>, IpcError> {
    let client = state.chat.client();
    let root = client.endpoint().root().to_owned();
    let storage = state.keys.set(&root, &key)?;
    let kept = state.keys.get(&root);
    state
        .chat
        .set_client(confab_core::server::client_for(&root, kept.clone())?);
    Ok(kept.map(|_| storage))
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_chat_options(
    state: State<'_, AppState>,
    id: i64,
) -> Result<ChatOptions, IpcError> {
    let conversation = state.store.get_conversation(ConversationId(id)).await?;
    Ok(ChatOptions::of(&conversation))
}

/// Saves a chat's own options (system prompt, model, temperature, memory, …).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn save_chat_options(
    state: State<'_, AppState>,
    id: i64,
    options: ChatOptions,
) -> Result<Conversation, IpcError> {
    Ok(options.save(&state.store, ConversationId(id)).await?)
}

/// Light, dark, or the desktop's choice: the window (and with it the web view's
/// `prefers-color-scheme` and the native dialogs) follows.
pub fn apply_theme(app: &tauri::AppHandle, theme: Theme) {
    app.set_theme(match theme {
        Theme::System => None,
        Theme::Light => Some(tauri::Theme::Light),
        Theme::Dark => Some(tauri::Theme::Dark),
    });
}

/// Where an export went.
#[derive(serde::Serialize)]
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
    use confab_core::export::{self, ExportOptions, Format};
    use tauri_plugin_dialog::DialogExt;

    let format = Format::parse(&format).ok_or_else(|| IpcError {
        code: "invalid_input",
        message: format!("unknown export format {format:?}: use md, json, html or jsonl"),
    })?;
    let conversation = state.store.get_conversation(ConversationId(id)).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Export conversation")
        .set_file_name(export::file_name(&conversation, format))
        .add_filter(format_label(format), &[format.extension()])
        .save_file(move |path| {
            let _ = tx.send(path);
        });
    let Some(path) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = path.into_path().map_err(|e| IpcError {
        code: "invalid_input",
        message: format!("cannot save there: {e}"),
    })?;
    let endpoint = Some(state.chat.client().endpoint().base_url());
    let dir = path
        .parent()
        .map(ToOwned::to_owned)
        .unwrap_or_else(|| ".".into());
    let temp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| io_error(&dir, e))?;
    let file = temp.reopen().map_err(|e| io_error(&dir, e))?;
    let mut out = std::io::BufWriter::new(file);
    let stats = export::export_conversation(
        &state.store,
        conversation.id,
        format,
        &ExportOptions {
            redact: false,
            endpoint,
        },
        &mut out,
    )
    .await
    .map_err(|e| IpcError {
        code: e.code(),
        message: e.to_string(),
    })?;
    drop(out);
    temp.persist(&path).map_err(|e| io_error(&path, e.error))?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        messages: stats.messages,
    }))
}

fn format_label(format: confab_core::export::Format) -> &'static str {
    use confab_core::export::Format;
    match format {
        Format::Markdown => "Markdown",
        Format::Json => "Confab JSON",
        Format::Html => "Web page",
        Format::Jsonl => "Audit log (JSON Lines)",
    }
}

fn io_error(path: &std::path::Path, e: std::io::Error) -> IpcError {
    IpcError {
        code: "io",
        message: format!("could not write {}: {e}", path.display()),
    }
}

/// What an import file holds, waiting for the user to confirm.
#[derive(serde::Serialize)]
pub struct ImportChoice {
    pub token: String,
    pub file_name: String,
    pub preview: confab_core::export::ImportPreview,
}

/// Asks for a file to import (a native open dialog) and reads it: a Confab export or backup, or
/// ChatGPT's `conversations.json`. Nothing is imported yet; `None` when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn choose_import(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<ImportChoice>, IpcError> {
    use tauri_plugin_dialog::DialogExt;

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
    let path = path.into_path().map_err(|e| IpcError {
        code: "invalid_input",
        message: format!("cannot open that: {e}"),
    })?;
    let read = path.clone();
    let plan = tauri::async_runtime::spawn_blocking(move || {
        let bytes = std::fs::read(&read).map_err(|e| IpcError {
            code: "io",
            message: format!("could not read {}: {e}", read.display()),
        })?;
        confab_core::export::parse_import(&bytes).map_err(|e| IpcError {
            code: e.code(),
            message: e.to_string(),
        })
    })
    .await
    .map_err(|e| IpcError {
        code: "internal",
        message: e.to_string(),
    })??;
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
    on_progress: Channel<confab_core::export::ImportProgress>,
) -> Result<Vec<ConversationId>, IpcError> {
    let plan = state
        .pending_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&token)
        .ok_or_else(|| IpcError {
            code: "not_found",
            message: "that import was cancelled or already done — choose the file again".into(),
        })?;
    // A closed channel (the dialog went away) does not stop the import.
    let mut report = |progress| {
        let _ = on_progress.send(progress);
    };
    confab_core::export::import_with_progress(&state.store, &plan, &mut report)
        .await
        .map_err(|e| IpcError {
            code: e.code(),
            message: e.to_string(),
        })
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

/// What the next request of a conversation carries: the memory panel's model.
#[derive(serde::Serialize)]
pub struct ContextView {
    pub report: confab_core::memory::ContextReport,
    /// Each report item's text, in the report's order.
    pub texts: Vec<String>,
    /// The current summary, editable.
    pub summary: Option<confab_core::store::Summary>,
}

/// The context inspector: exactly what the next request would carry, with token counts, the
/// budget and what is left out — built by the same code that sends.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_context(state: State<'_, AppState>, id: i64) -> Result<ContextView, IpcError> {
    let id = ConversationId(id);
    let built = state.chat.context(id).await?;
    let summary = state.store.latest_summary(id).await?;
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
) -> Result<confab_core::store::Summary, IpcError> {
    Ok(
        confab_core::memory::summarize::edit_summary(&state.store, ConversationId(id), &content)
            .await?,
    )
}
