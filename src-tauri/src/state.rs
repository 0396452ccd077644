//! What every command can reach.

use std::sync::Arc;

use confab_core::chat::ChatService;
use confab_core::store::Store;

pub struct AppState {
    pub store: Store,
    pub chat: Arc<ChatService>,
}
