//! Memory: builds the message list each request carries, from the database, within the model's
//! real token budget — and reports exactly what it chose and why.
//!
//! The model keeps no state, so every request is rebuilt here from what is saved:
//!
//! 1. the system prompt;
//! 2. the conversation's rolling summary of older turns ([`summarize`]);
//! 3. the messages the user pinned;
//! 4. as many recent messages as fit, newest backwards, never splitting a message and never
//!    dropping the newest one.
//!
//! The same [`build`] serves sending and the inspectors (`confab-cli context`, the app's memory
//! panel), so what the user sees is what is sent. Token counts are exact where the server has a
//! tokenizer (llama.cpp `/tokenize`, cached per message in the database), else estimated with a
//! ratio calibrated from the `prompt_tokens` the server reports after each request.
//!
//! The window is kept **prompt-cache friendly**: it starts right after the summary (or, for the
//! sliding window, at a stored anchor) and only moves in large steps, so between two requests of
//! a conversation the earlier one is a byte-identical prefix of the next unless the summary
//! advanced — llama.cpp then reuses its KV cache instead of re-reading the whole prompt.
//!
//! Inside: `builder.rs` builds the request and `plan.rs` decides what fits; `tokens.rs` counts
//! tokens; `report.rs` holds the report; `servers.rs` what servers said about themselves;
//! `learn.rs` what answers teach about a model; `summarize.rs` and `facts.rs` keep the summary.
//! The app's defaults come from the caller ([`crate::settings`] is below this module).

mod builder;
pub mod facts;
mod learn;
mod plan;
mod recall;
mod report;
mod servers;
pub mod summarize;
mod tokens;
mod wire;

use crate::error::{Coded, ErrorCode};
use crate::store::StoreError;

pub use builder::{build, default_reply_reserve, summary_message};
pub use learn::{calibrate, learn_overflow};
pub use plan::sendable;
pub use report::{
    BuiltContext, ContextReport, ContextSource, Included, LeftOut, LeftOutReason, Part,
    RecallBlock, RecallCandidate, RecallReport, RecallSource,
};
pub use servers::{tokenizer_key, ServerReports};
pub use tokens::estimate_tokens;
pub use wire::TOOL_IMAGES_NOTE;

/// The context length assumed when neither the server nor the user says.
pub const DEFAULT_CONTEXT_LENGTH: u64 = 4096;
/// The heading the summary is sent under.
pub const SUMMARY_HEADING: &str = "Summary of the earlier conversation:";

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "this message is about {tokens} tokens, but the model's context leaves room for {room} — \
         shorten it or split it into parts, or load the model with a larger context and set it in \
         the settings"
    )]
    MessageTooLong { tokens: u64, room: u64 },
    #[error(
        "this chat's full history is about {tokens} tokens and no longer fits the {room} the \
         model's context leaves — switch the chat's memory to \"summary + window\" or \"sliding \
         window\", or start a new chat"
    )]
    HistoryTooLong { tokens: u64, room: u64 },
    #[error(
        "the model's context ({context_length} tokens) leaves no room for messages after the \
         {reserve} reserved for the reply — lower max_tokens or raise the context length"
    )]
    ContextTooSmall { context_length: u64, reserve: u64 },
}

impl Coded for MemoryError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Store(e) => e.code(),
            Self::MessageTooLong { .. } => ErrorCode::MessageTooLong,
            Self::HistoryTooLong { .. } => ErrorCode::HistoryTooLong,
            Self::ContextTooSmall { .. } => ErrorCode::ContextTooSmall,
        }
    }
}
