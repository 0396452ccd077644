//! What every command can reach.

use confab_core::store::Store;

pub struct AppState {
    pub store: Store,
}
