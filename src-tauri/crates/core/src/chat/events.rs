//! What the chat service tells a front end while a reply streams.

use serde::Serialize;
use ts_rs::TS;

use crate::error::ErrorCode;
use crate::llm::{FinishReason, Usage};
use crate::store::{Conversation, ConversationId, Message, MessageId, ToolCallRecord};

/// One step of a reply, in order: `Started`, then deltas, then exactly one of `Done`, `Error`
/// or `Cancelled` (a turn with tool calls has several replies, each so, with the calls between). Serialised with a `type` tag for the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    Started {
        /// The conversation as it is now (a new chat has just been named after its question).
        conversation: Box<Conversation>,
        /// The user's message as saved, when the reply answers a new (or newly edited) one.
        /// Boxed, like the conversation, so that every delta is not as large as this event.
        user_message: Option<Box<Message>>,
        /// The reply, saved as `streaming`: empty, or when a reply is continued, with the text it
        /// had (the deltas that follow are appended to it).
        reply: Message,
        /// Messages this turn set aside as hidden versions (the reply a regenerate replaces, the
        /// replies to an edited question): no longer part of the conversation as it reads.
        hidden: Vec<MessageId>,
    },
    Delta {
        message_id: MessageId,
        text: String,
    },
    Reasoning {
        message_id: MessageId,
        text: String,
    },
    Usage {
        message_id: MessageId,
        usage: Usage,
    },
    Done {
        message: Message,
        finish_reason: Option<FinishReason>,
    },
    Error {
        /// The reply as saved: `error` (or `interrupted`, when text had arrived).
        message: Message,
        code: ErrorCode,
        error: String,
    },
    Cancelled {
        message: Message,
    },
    /// A tool call the reply asked for, as saved: when it is recorded, decided and finished.
    /// The reply that asked is `Done` first (its finish reason `tool_calls`); the next round's
    /// reply comes with a new `Started`.
    ToolCall {
        call: ToolCallRecord,
    },
    /// The user is asked whether a call may run; the turn waits (this chat only) until the front
    /// end answers with `decide_tool_call`, or the reply is stopped.
    ToolConsent {
        request: super::ConsentRequest,
    },
}

/// A change the service made on its own, outside any turn a front end is following: the front
/// ends listen through [`ChatService::updates`](super::ChatService::updates).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceUpdate {
    /// The model named a chat (its title replaced the one from the first question).
    Retitled { conversation: Box<Conversation> },
    /// Older turns of a chat were folded into its summary: what its next request carries changed.
    SummaryFolded { conversation_id: ConversationId },
    /// Recall's embedding model or the indexer's progress changed.
    Recall { status: crate::recall::RecallStatus },
    /// A query met damage in the database: the service stopped (replies, the indexer, summaries)
    /// and the store refuses every query from now on. `message` names the file and the way
    /// forward.
    DatabaseDamaged { code: ErrorCode, message: String },
}

/// Where a reply's events go. Called on the streaming task: return quickly, never block.
pub trait EventSink: Send + Sync {
    fn send(&self, event: ChatEvent);
}

/// A sink that drops everything (for replies nobody watches).
impl EventSink for () {
    fn send(&self, _event: ChatEvent) {}
}
