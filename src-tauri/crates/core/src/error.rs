//! The codes front ends branch on, and the one trait every error of the core implements.
//!
//! Each error keeps its meaning in an [`ErrorCode`] and its person-readable explanation in its
//! `Display` text: the desktop shell sends both as `{ code, message }`, the UI branches on the
//! code and shows the message. [`ErrorCode`] is the whole list, so a front end can match on it
//! exhaustively (the UI's TypeScript union is generated from it).

use serde::Serialize;
use ts_rs::TS;

/// Every code the core (and the shell around it) can report. On the wire each is its snake_case
/// name, e.g. `"not_found"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // What was asked for.
    NotFound,
    InvalidInput,
    // The database.
    Storage,
    /// The database file is not a database (or not Confab's).
    NotADatabase,
    /// SQLite found damage in the database file.
    DatabaseDamaged,
    /// The database was written by a newer Confab.
    NewerDatabase,
    /// Another Confab process holds the database (upgrading it, or open during a restore).
    DatabaseLocked,
    /// The database could not be brought up to this version; it was left as it was.
    UpgradeFailed,
    /// A reply is streaming in the chat (or the reply asked about still is).
    Busy,
    // Versions of a reply.
    NothingToRegenerate,
    NothingToContinue,
    NotLastReply,
    NotLastMessage,
    // The model server.
    Unreachable,
    Timeout,
    ContextOverflow,
    ModelNotFound,
    Unauthorized,
    RateLimited,
    ModelLoading,
    NoEmbeddings,
    ServerError,
    Protocol,
    Interrupted,
    Cancelled,
    // What the model's context can hold.
    MessageTooLong,
    HistoryTooLong,
    ContextTooSmall,
    // API keys.
    Keyring,
    // Images fetched for a reply.
    ImageUnreachable,
    ImageUnavailable,
    TooLarge,
    NotAnImage,
    // Files attached to a message.
    /// Neither a UTF-8 text file nor a PNG, JPEG, WebP or GIF image.
    UnsupportedFile,
    /// The model does not take images (said before sending, or by the server's refusal).
    NoVision,
    // Files written or read by export and import.
    Io,
    Malformed,
    UnknownFormat,
    UnsupportedVersion,
    // Projects.
    /// Another project has that name (names ignore case).
    ProjectNameTaken,
    /// No project has that name or id.
    ProjectNotFound,
    /// Something that should not happen (a task that died); the message says what.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [Self; 42] = [
        Self::NotFound,
        Self::InvalidInput,
        Self::Storage,
        Self::NotADatabase,
        Self::DatabaseDamaged,
        Self::NewerDatabase,
        Self::DatabaseLocked,
        Self::UpgradeFailed,
        Self::Busy,
        Self::NothingToRegenerate,
        Self::NothingToContinue,
        Self::NotLastReply,
        Self::NotLastMessage,
        Self::Unreachable,
        Self::Timeout,
        Self::ContextOverflow,
        Self::ModelNotFound,
        Self::Unauthorized,
        Self::RateLimited,
        Self::ModelLoading,
        Self::NoEmbeddings,
        Self::ServerError,
        Self::Protocol,
        Self::Interrupted,
        Self::Cancelled,
        Self::MessageTooLong,
        Self::HistoryTooLong,
        Self::ContextTooSmall,
        Self::Keyring,
        Self::ImageUnreachable,
        Self::ImageUnavailable,
        Self::TooLarge,
        Self::NotAnImage,
        Self::UnsupportedFile,
        Self::NoVision,
        Self::Io,
        Self::Malformed,
        Self::UnknownFormat,
        Self::UnsupportedVersion,
        Self::ProjectNameTaken,
        Self::ProjectNotFound,
        Self::Internal,
    ];

    /// The code as it is sent: the same string serde writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::InvalidInput => "invalid_input",
            Self::Storage => "storage",
            Self::NotADatabase => "not_a_database",
            Self::DatabaseDamaged => "database_damaged",
            Self::NewerDatabase => "newer_database",
            Self::DatabaseLocked => "database_locked",
            Self::UpgradeFailed => "upgrade_failed",
            Self::Busy => "busy",
            Self::NothingToRegenerate => "nothing_to_regenerate",
            Self::NothingToContinue => "nothing_to_continue",
            Self::NotLastReply => "not_last_reply",
            Self::NotLastMessage => "not_last_message",
            Self::Unreachable => "unreachable",
            Self::Timeout => "timeout",
            Self::ContextOverflow => "context_overflow",
            Self::ModelNotFound => "model_not_found",
            Self::Unauthorized => "unauthorized",
            Self::RateLimited => "rate_limited",
            Self::ModelLoading => "model_loading",
            Self::NoEmbeddings => "no_embeddings",
            Self::ServerError => "server_error",
            Self::Protocol => "protocol",
            Self::Interrupted => "interrupted",
            Self::Cancelled => "cancelled",
            Self::MessageTooLong => "message_too_long",
            Self::HistoryTooLong => "history_too_long",
            Self::ContextTooSmall => "context_too_small",
            Self::Keyring => "keyring",
            Self::ImageUnreachable => "image_unreachable",
            Self::ImageUnavailable => "image_unavailable",
            Self::TooLarge => "too_large",
            Self::NotAnImage => "not_an_image",
            Self::UnsupportedFile => "unsupported_file",
            Self::NoVision => "no_vision",
            Self::Io => "io",
            Self::Malformed => "malformed",
            Self::UnknownFormat => "unknown_format",
            Self::UnsupportedVersion => "unsupported_version",
            Self::ProjectNameTaken => "project_name_taken",
            Self::ProjectNotFound => "project_not_found",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a code to branch on; its `Display` text is the message a person reads.
pub trait Coded: std::error::Error {
    fn code(&self) -> ErrorCode;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_sent_as_its_name() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code), "{code} is listed twice");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str())
            );
        }
    }

    /// docs/architecture.md's table of codes is the list a front end or a script reads.
    #[test]
    fn the_architecture_page_lists_every_code() {
        let page =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/architecture.md");
        let page = std::fs::read_to_string(page).unwrap();
        for code in ErrorCode::ALL {
            assert!(
                page.contains(&format!("| `{code}` |")),
                "docs/architecture.md's table of errors does not list `{code}`"
            );
        }
    }
}
