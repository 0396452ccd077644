//! The one error shape that crosses IPC: `{ code, message }`.
//!
//! The core's typed errors keep their meaning in `code` (the UI branches on it) and their
//! person-readable explanation in `message` (the UI shows it).

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<confab_core::store::StoreError> for IpcError {
    fn from(err: confab_core::store::StoreError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<confab_core::chat::ChatError> for IpcError {
    fn from(err: confab_core::chat::ChatError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<confab_core::llm::LlmError> for IpcError {
    fn from(err: confab_core::llm::LlmError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<confab_core::secrets::SecretError> for IpcError {
    fn from(err: confab_core::secrets::SecretError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<confab_core::links::ImageError> for IpcError {
    fn from(err: confab_core::links::ImageError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}
