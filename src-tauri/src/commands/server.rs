//! Which model server replies come from: its URL, its models, its API key, and the servers
//! found running on this machine.

use std::time::Duration;

use confab_core::llm::discovery::{local_ports, probe_local_servers, FoundServer, ModelInfo};
use confab_core::secrets::KeyStorage;
use confab_core::server;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The server replies come from, e.g. `http://localhost:1234/v1`.
#[tauri::command]
pub fn get_endpoint(state: State<'_, AppState>) -> String {
    state.chat().client().endpoint().base_url()
}

/// Saves a new server URL; replies from now on go there (with its API key, if one is kept).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_endpoint(state: State<'_, AppState>, url: String) -> Result<String, IpcError> {
    let endpoint = server::save_endpoint(&state.store(), &url).await?;
    let key = state.keys.get(endpoint.root());
    let client = server::client_for(endpoint.root(), key)?;
    let base = client.endpoint().base_url();
    state.chat().set_client(client);
    Ok(base)
}

/// The models a server offers: also how the settings check a URL before saving it.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_models(
    state: State<'_, AppState>,
    url: String,
) -> Result<Vec<ModelInfo>, IpcError> {
    let bare = server::client_for(&url, None)?;
    let key = state.keys.get(bare.endpoint().root());
    Ok(server::client_for(&url, key)?.list_models().await?)
}

/// OpenAI-compatible servers answering on the usual local ports.
#[tauri::command]
pub async fn find_servers() -> Vec<FoundServer> {
    probe_local_servers("127.0.0.1", &local_ports(), Duration::from_millis(800)).await
}

/// Keeps the API key of the current server (an empty key removes it) and uses it from now on.
/// Says where it was kept: the OS keyring, or this session only when there is no keyring.
#[tauri::command]
#[tracing::instrument(skip(state, key), err)]
pub async fn set_api_key(
    state: State<'_, AppState>,
    key: String,
) -> Result<Option<KeyStorage>, IpcError> {
    let client = state.chat().client();
    let root = client.endpoint().root().to_owned();
    let storage = state.keys.set(&root, &key)?;
    let kept = state.keys.get(&root);
    state
        .chat()
        .set_client(server::client_for(&root, kept.clone())?);
    Ok(kept.map(|_| storage))
}
