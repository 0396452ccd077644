//! What every command can reach.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use confab_core::chat::ChatService;
use confab_core::export::ImportPlan;
use confab_core::secrets::ApiKeys;
use confab_core::store::Store;
use confab_core::tools::ToolHub;

pub struct AppState {
    /// The open database and the chat service on it: replaced when Confab starts again after
    /// the recovery screen (a restored snapshot), so commands read it each time.
    open: RwLock<Open>,
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

/// The database Confab has open, and the chat service working on it.
#[derive(Clone)]
pub struct Open {
    pub store: Store,
    pub chat: Arc<ChatService>,
    /// The tool servers' running connections (the chat service holds the same hub); ended when
    /// Confab quits or the database closes.
    pub tools: Arc<ToolHub>,
}

impl AppState {
    pub fn new(open: Open, keys: ApiKeys) -> Self {
        Self {
            open: RwLock::new(open),
            keys,
            pending_imports: Default::default(),
            update_watch: Default::default(),
            files: Default::default(),
        }
    }

    /// The open database.
    pub fn store(&self) -> Store {
        self.open
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .store
            .clone()
    }

    /// The chat service.
    pub fn chat(&self) -> Arc<ChatService> {
        self.open
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .chat
            .clone()
    }

    /// The tool servers' hub.
    pub fn tools(&self) -> Arc<ToolHub> {
        self.open
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .tools
            .clone()
    }

    /// Puts a newly opened database in place of the one before (closed after damage).
    pub fn reopened(&self, open: Open) {
        *self.open.write().unwrap_or_else(|e| e.into_inner()) = open;
    }
}

/// Where the data lives: known before the database opens, so the recovery screen can name it.
pub struct DataPaths {
    pub database: PathBuf,
}
