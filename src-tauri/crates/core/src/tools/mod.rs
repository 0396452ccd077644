//! Tools: MCP servers whose tools a model may call, with the user's consent.
//!
//! The trust model, in Rust, where the webview cannot reach it:
//! - A server runs only in the state `approved`, and only while its definition (command,
//!   arguments, the environment's names and the folder; or the URL and the headers' names) hashes
//!   to what the user approved ([`ServerDefinition::hash`]). A server the user adds is approved by
//!   that act; one that arrives any other way (an `mcpServers` import) or whose definition changed
//!   waits in `needs_approval` and is never started.
//! - A server's tools are pinned when first listed after approval; a tool that changes later (or
//!   appears) is held until approved again ([`crate::store::ToolDefinition::usable`]).
//! - Descriptions with invisible characters are flagged ([`hidden`]) and shown escaped.
//! - Results are untrusted text ([`result`]).
//!
//! [`ToolHub`] keeps the running connections (`client.rs`; stdio processes in `process.rs`).

mod client;
mod definition;
pub mod hidden;
mod hub;
mod import;
pub mod names;
pub(crate) mod process;
mod result;
mod secrets;
pub mod view;

pub use client::{logs_dir, OfferedTool, ServerConnection};
pub use definition::{
    ServerDefinition, ServerState, Transport, DEFAULT_TIMEOUT_SECS, MAX_SERVER_NAME_CHARS,
    MAX_TIMEOUT_SECS,
};
pub use hidden::{escape_hidden, hidden_in, HiddenText};
pub use hub::{Added, ImportReport, ToolHub, IDLE_STOP};
pub use import::{parse_mcp_servers, ImportedServer};
pub use process::log_path;
pub use result::{ResultImage, ToolResult, MAX_MODEL_RESULT_BYTES, MAX_STORED_RESULT_BYTES};
pub use secrets::HeaderSecrets;
pub use view::{ServerView, SpecView, ToolStatus, ToolView};

use std::time::Duration;

use crate::error::{Coded, ErrorCode};
use crate::secrets::SecretError;
use crate::store::{StoreError, ToolServerId};

/// What can go wrong with tools, each worded so a person knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum ToolsError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is already a tool server named “{0}” (names ignore case): choose another name, or remove it first")]
    NameTaken(String),
    #[error("there is no tool server named “{0}”: `confab-cli tools` lists them")]
    UnknownServer(String),
    #[error("tool server {0} was not found — it may have been removed")]
    NotFound(ToolServerId),
    #[error("the server “{server}” has no tool named “{tool}” that may be used")]
    UnknownTool { server: String, tool: String },
    #[error(
        "the tool “{tool}” of “{server}” changed since it was approved, so it is held: approve the change first (Settings → Tools, or `confab-cli tools approve {server}`)"
    )]
    ToolHeld { server: String, tool: String },
    #[error(
        "the tool server “{0}” has not been approved, so it is not started: approve it in Settings → Tools, or with `confab-cli tools approve {0}`"
    )]
    NeedsApproval(String),
    #[error("the tool server “{0}” is turned off: turn it on in Settings → Tools, or with `confab-cli tools on {0}`")]
    Off(String),
    #[error("the tool server “{0}” changed since it was shown to you: look at it again before approving")]
    Changed(String),
    #[error(
        "the tool server “{server}” could not be started: “{command}” was not found on PATH — install it, or give its full path"
    )]
    CommandNotFound { server: String, command: String },
    #[error("the tool server “{server}” could not be started: {cause}")]
    Start { server: String, cause: String },
    #[error(
        "the tool server “{server}” printed “{line}” on its standard output, which is for the protocol only: it may need an option to be quiet, or it is not an MCP stdio server"
    )]
    Banner { server: String, line: String },
    #[error("the tool server “{server}” stopped ({status}): its log is {log}")]
    Exited {
        server: String,
        status: String,
        log: String,
    },
    #[error("the tool server “{server}” could not be reached: {cause}")]
    Unreachable { server: String, cause: String },
    #[error(
        "the tool “{tool}” of “{server}” did not answer within {} s: it was cancelled (a longer timeout can be set for the server)",
        after.as_secs()
    )]
    Timeout {
        server: String,
        tool: String,
        after: Duration,
    },
    #[error("the tool call was stopped")]
    Cancelled,
    #[error("the tool server “{server}” broke the protocol: {cause}")]
    Protocol { server: String, cause: String },
    #[error(
        "the value of the header {header} for “{server}” is not kept (no keyring had it): add the server again with the header"
    )]
    MissingSecret { server: String, header: String },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for ToolsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_)
            | Self::NameTaken(_)
            | Self::ToolHeld { .. }
            | Self::NeedsApproval(_)
            | Self::Off(_)
            | Self::Changed(_) => ErrorCode::InvalidInput,
            Self::UnknownServer(_)
            | Self::NotFound(_)
            | Self::UnknownTool { .. }
            | Self::CommandNotFound { .. } => ErrorCode::NotFound,
            Self::Start { .. } | Self::Unreachable { .. } => ErrorCode::Unreachable,
            Self::Banner { .. } | Self::Protocol { .. } => ErrorCode::Protocol,
            Self::Exited { .. } => ErrorCode::Interrupted,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Cancelled => ErrorCode::Cancelled,
            Self::MissingSecret { .. } => ErrorCode::Keyring,
            Self::Secret(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }
}

impl From<sqlx::Error> for ToolsError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}
