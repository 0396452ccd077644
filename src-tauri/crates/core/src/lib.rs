//! Confab's core: everything the desktop app and the terminal front end share.
//!
//! No Tauri here. Front ends talk to this crate through typed APIs and receive streamed output
//! through the [`chat::EventSink`] trait, so the whole of Confab's behaviour can be tested and
//! benchmarked headless.

pub mod attachments;
pub mod chat;
pub mod clock;
pub mod environment;
pub mod error;
pub mod export;
pub mod inherit;
pub mod links;
pub mod llm;
pub mod memory;
pub mod paths;
pub mod recall;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod store;
pub mod tools;
