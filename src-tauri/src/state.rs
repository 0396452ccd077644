//! What every command can reach.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use confab_core::chat::ChatService;
use confab_core::export::ImportPlan;
use confab_core::secrets::ApiKeys;
use confab_core::store::Store;
use confab_core::tools::ToolHub;

pub struct AppState {
    pub store: Store,
    pub chat: Arc<ChatService>,
    /// The tool servers' running connections (the chat service holds the same hub); ended when
    /// Confab quits.
    pub tools: Arc<ToolHub>,
    /// API keys: the OS keyring, or this session when there is none.
    pub keys: ApiKeys,
    /// Import files read and previewed, waiting for the user's yes: keyed by a random token, so
    /// the webview confirms an import without ever naming a file path.
    pub pending_imports: Mutex<HashMap<String, ImportPlan>>,
    /// The task forwarding the service's own changes to the page (see `watch_updates`).
    pub update_watch: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// Files attached in the composer, not sent yet (see `commands::attachments`).
    pub files: crate::commands::attachments::PendingFiles,
}

/// Where the data lives: known before the database opens, so the recovery screen can name it.
pub struct DataPaths {
    pub database: PathBuf,
}
