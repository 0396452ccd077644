//! Tauri commands, one file per domain. Each takes the app state, makes one core call and maps
//! its error (see [`crate::error`]); the logic lives in `confab-core`.
//!
//! A command's name and argument names are the wire contract: the UI (`ui/src/ipc/index.ts`)
//! calls them by name, `build.rs` lists them for the capabilities, and `lib.rs` registers them.

pub mod chat;
pub mod conversations;
pub mod links;
pub mod memory;
pub mod messages;
pub mod recovery;
pub mod search;
pub mod server;
pub mod settings;
pub mod transfer;

/// The largest page a command hands out, whatever the UI asks for.
const MAX_PAGE: u32 = 500;
