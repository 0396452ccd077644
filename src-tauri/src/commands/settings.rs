//! The app's settings (the theme applies at once) and each chat's own options.

use confab_core::secrets::KeyStorage;
use confab_core::settings::{AppSettings, ChatOptions};
use confab_core::store::{Conversation, ConversationId};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// The settings dialog's model: the app's settings, the server, and whether (and where) an API
/// key is kept for it. The key itself never leaves the Rust side.
#[derive(Serialize, TS)]
pub struct SettingsView {
    pub settings: AppSettings,
    pub endpoint: String,
    pub api_key: Option<KeyStorage>,
    /// This build's version (the workspace's, in `Cargo.toml`), for the dialog's footer.
    pub version: String,
    /// What recall can use now: its embedding model, or why words alone, and the index's progress.
    pub recall: confab_core::recall::RecallStatus,
}

#[tauri::command]
#[tracing::instrument(skip(state))]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let client = state.chat().client();
    Ok(SettingsView {
        settings: AppSettings::load(&state.store()).await,
        endpoint: client.endpoint().base_url(),
        api_key: state.keys.storage(client.endpoint().root()),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        recall: state.chat().recall().status(),
    })
}

/// Checks and saves the app's settings (the page applies the theme itself: see ui's theme.ts).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: AppSettings,
) -> Result<AppSettings, IpcError> {
    let saved = settings.save(&state.store()).await?;
    state.chat().recall().settings_changed();
    Ok(saved)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_chat_options(
    state: State<'_, AppState>,
    id: i64,
) -> Result<ChatOptions, IpcError> {
    let conversation = state.store().get_conversation(ConversationId(id)).await?;
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
    Ok(options.save(&state.store(), ConversationId(id)).await?)
}
