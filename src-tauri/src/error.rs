//! The one error shape that crosses IPC: `{ code, message }`.
//!
//! Every core error converts into it through [`Coded`]: its code (the UI branches on it) and its
//! person-readable text (the UI shows it). The few errors the shell finds itself (a dialog's
//! path it cannot use, a task that died) are built with [`IpcError::new`] from the same codes.

use confab_core::error::{Coded, ErrorCode};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl<E: Coded> From<E> for IpcError {
    fn from(err: E) -> Self {
        Self::new(err.code(), err.to_string())
    }
}
