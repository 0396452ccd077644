//! The OpenAI-compatible streaming client: typed requests, typed stream events, typed errors.
//!
//! Works with llama.cpp's `llama-server`, LM Studio, Ollama, vLLM, LiteLLM and Jan. Every request
//! has a connect, a first-token and an idle timeout; connection failures, 429, 503 and 5xx are
//! retried with backoff only before the first token; cancelling (or dropping the stream) closes the
//! HTTP connection at once so the server stops generating.

mod client;
pub mod discovery;
mod embeddings;
mod error;
mod sse;
mod tool_calls;
mod types;

pub use client::{ChatStream, Endpoint, LlmClient};
pub use embeddings::{looks_like_an_embedding_model, Embeddings, MAX_EMBED_BATCH};
pub use error::LlmError;
pub use tool_calls::{AssembledCall, ToolCallAssembler};
pub use types::{
    ChatMessage, ChatRequest, Completion, FinishReason, RetryPolicy, StreamEvent, Timeouts,
    Timings, ToolCallDelta, Usage, WireRole, WireToolCall,
};
