//! The `messages` table: what a message is, and its reads and writes.
//!
//! - [`write`]: appending, streaming into and finishing a message, pinning, crash recovery;
//! - [`page`]: the conversation as it reads, page by page around any message;
//! - [`range`]: reads by id range for the context builder and the export;
//! - [`stats`]: a reply's statistics (time to first token, speed, which figures the server gave).
//!
//! Every read of "the conversation" sees the visible messages only: the versions of a reply that
//! are not chosen are `hidden` (see [`Store::reply_versions`]).

mod page;
mod range;
mod stats;
mod write;

pub use range::RANGE_COUNT_LIMIT;
pub use stats::{ReplyStats, StatFigure};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::attachments::{Attachment, AttachmentKind};

use super::{check_content, from_ms, ConversationId, MessageId, Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "system" => Self::System,
            "user" => Self::User,
            _ => Self::Assistant,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Complete,
    /// A reply still arriving (or, after a crash, one that [`Store::mark_streaming_interrupted`]
    /// has not seen yet).
    Streaming,
    /// Cut short: stopped by the user, connection lost, or the app quit. The text so far is kept.
    Interrupted,
    /// Failed; `error` says why.
    Error,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Streaming => "streaming",
            Self::Interrupted => "interrupted",
            Self::Error => "error",
        }
    }

    pub(super) fn parse(s: &str) -> Self {
        match s {
            "complete" => Self::Complete,
            "streaming" => Self::Streaming,
            "interrupted" => Self::Interrupted,
            _ => Self::Error,
        }
    }
}

/// How a reply ended, as Confab knew it then: stored with the reply (migration 0014), read by
/// its statistics and badges, never told from the text of its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Complete: the model ended it ("stop").
    Stop,
    /// Complete: it reached the longest reply allowed; it can be continued.
    Length,
    /// Complete: the server's content filter ended it.
    ContentFilter,
    /// Complete: the model called a tool.
    ToolCalls,
    /// Complete, for another reason the server named ([`Message::finish_reason`]) or none.
    Complete,
    /// Interrupted: stopped by the user (Esc, Stop, Ctrl+C).
    Stopped,
    /// Interrupted: the connection was lost, the server went silent, or the stream ended early.
    Interrupted,
    /// Interrupted: Confab stopped (quit, crashed, was killed) while it streamed.
    Exited,
    /// Failed; [`Message::error`] says why.
    Failed,
}

impl Ending {
    pub const ALL: [Self; 9] = [
        Self::Stop,
        Self::Length,
        Self::ContentFilter,
        Self::ToolCalls,
        Self::Complete,
        Self::Stopped,
        Self::Interrupted,
        Self::Exited,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ContentFilter => "content_filter",
            Self::ToolCalls => "tool_calls",
            Self::Complete => "complete",
            Self::Stopped => "stopped",
            Self::Interrupted => "interrupted",
            Self::Exited => "exited",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// A complete reply's ending from the server's reason (as stored: "stop", "length", …).
    pub fn from_finish_reason(reason: Option<&str>) -> Self {
        match reason {
            Some("stop") => Self::Stop,
            Some("length") => Self::Length,
            Some("content_filter") => Self::ContentFilter,
            Some("tool_calls") => Self::ToolCalls,
            _ => Self::Complete,
        }
    }

    /// The status a reply that ended so has.
    pub fn status(self) -> MessageStatus {
        match self {
            Self::Stop | Self::Length | Self::ContentFilter | Self::ToolCalls | Self::Complete => {
                MessageStatus::Complete
            }
            Self::Stopped | Self::Interrupted | Self::Exited => MessageStatus::Interrupted,
            Self::Failed => MessageStatus::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub model: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Pinned by the user: always sent to the model, even when older than the window.
    pub pinned: bool,
    /// The first version of the reply this is a version of (itself, for that first one); `None`
    /// for a message that was never regenerated. See [`Store::reply_versions`].
    pub version_of: Option<MessageId>,
    /// A version not currently chosen: left out of the conversation everywhere it is read.
    pub hidden: bool,
    /// The model's reasoning that came with a reply (empty when none): shown, never sent back.
    #[serde(default)]
    pub reasoning: String,
    /// Why the model stopped a finished reply, as the server said ("stop", "length", …); `None`
    /// when it did not say or the reply did not finish.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// How a reply ended; `None` for the user's messages and a reply still streaming.
    #[serde(default)]
    pub ended: Option<Ending>,
    /// How the reply was produced (timings, speed); empty for the user's messages.
    #[serde(default)]
    pub stats: ReplyStats,
    /// The files attached to a user message, in the order they were attached (empty for most).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The tools a reply called, in order, with their results (empty for most).
    #[serde(default)]
    pub tool_calls: Vec<crate::store::ToolCallRecord>,
    /// What the user wrote, when `content` also carries text files fenced after it
    /// ([`crate::attachments::compose`]): the bubble shows it beside the files' chips and Edit
    /// starts from it, while the model, search and exports get `content`. `None` for every other
    /// message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
}

impl Message {
    /// Whether the message carries images (sent to models that take them).
    pub fn has_images(&self) -> bool {
        self.attachments
            .iter()
            .any(|a| a.kind == AttachmentKind::Image)
    }

    /// Whether the reply stopped at its token limit (it can be continued).
    pub fn hit_length_limit(&self) -> bool {
        self.ended == Some(Ending::Length)
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub model: Option<String>,
}

impl NewMessage {
    /// A finished message from the user.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
            status: MessageStatus::Complete,
            model: None,
        }
    }

    /// An empty assistant reply about to stream in.
    pub fn streaming_reply(model: Option<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: String::new(),
            status: MessageStatus::Streaming,
            model,
        }
    }
}

/// How a streaming message ended.
#[derive(Debug, Clone)]
pub struct Finish {
    /// How it ended (its status follows from this).
    pub ended: Ending,
    pub content: String,
    pub error: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// The model that answered, when the server said; `None` keeps the one recorded at the start.
    pub model: Option<String>,
    /// Why the model stopped, as the server said ("stop", "length", …).
    pub finish_reason: Option<String>,
    /// The reply's timings and speed as far as they are known.
    pub stats: ReplyStats,
}

#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    id: i64,
    conversation_id: i64,
    role: String,
    content: String,
    status: String,
    error: Option<String>,
    model: Option<String>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    created_at: i64,
    completed_at: Option<i64>,
    pinned: bool,
    version_of: Option<i64>,
    hidden: bool,
    reasoning: String,
    finish_reason: Option<String>,
    ended: Option<String>,
    first_token_ms: Option<i64>,
    generation_ms: Option<i64>,
    tokens_per_second: Option<f64>,
    prompt_per_second: Option<f64>,
    cached_tokens: Option<i64>,
    stats_from_server: Option<String>,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        Self {
            id: MessageId(row.id),
            conversation_id: ConversationId(row.conversation_id),
            role: Role::parse(&row.role),
            content: row.content,
            status: MessageStatus::parse(&row.status),
            error: row.error,
            model: row.model,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            created_at: from_ms(row.created_at),
            completed_at: row.completed_at.map(from_ms),
            pinned: row.pinned,
            version_of: row.version_of.map(MessageId),
            hidden: row.hidden,
            reasoning: row.reasoning,
            finish_reason: row.finish_reason,
            ended: row.ended.as_deref().and_then(Ending::parse),
            stats: ReplyStats {
                first_token_ms: row.first_token_ms,
                generation_ms: row.generation_ms,
                tokens_per_second: row.tokens_per_second,
                prompt_per_second: row.prompt_per_second,
                cached_tokens: row.cached_tokens,
                from_server: ReplyStats::parse_server_figures(row.stats_from_server.as_deref()),
            },
            // Read apart, for the messages that have any ([`Store::with_attachments`]).
            attachments: Vec::new(),
            tool_calls: Vec::new(),
            written: None,
        }
    }
}

pub(super) const COLUMNS: &str =
    "id, conversation_id, role, content, status, error, model, prompt_tokens, \
                       completion_tokens, created_at, completed_at, pinned, version_of, hidden, reasoning, \
                       finish_reason, ended, first_token_ms, generation_ms, tokens_per_second, \
                       prompt_per_second, cached_tokens, stats_from_server";

/// The text a message left streaming by a crash is marked with.
pub(crate) const INTERRUPTED_BY_EXIT: &str =
    "Confab stopped before this reply finished; the text received so far is kept";

fn message_not_found(id: MessageId) -> StoreError {
    StoreError::NotFound {
        entity: "message",
        id: id.0,
    }
}

pub(super) fn conversation_not_found(id: ConversationId) -> StoreError {
    StoreError::NotFound {
        entity: "conversation",
        id: id.0,
    }
}

pub(super) fn check_new_message(new: &NewMessage) -> Result<()> {
    check_content("message", &new.content)?;
    match new.status {
        MessageStatus::Streaming if new.role != Role::Assistant => Err(StoreError::invalid(
            "only an assistant reply can be streaming",
        )),
        MessageStatus::Streaming => Ok(()),
        _ if new.content.trim().is_empty() && new.role == Role::User => Err(StoreError::invalid(
            "the message is empty — type something to send",
        )),
        _ if new.content.trim().is_empty() => {
            Err(StoreError::invalid("a finished message cannot be empty"))
        }
        _ => Ok(()),
    }
}

impl Store {
    pub async fn get_message(&self, id: MessageId) -> Result<Message> {
        let row: Option<MessageRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        let message: Message = row.map(Into::into).ok_or_else(|| message_not_found(id))?;
        Ok(self
            .with_attachments(vec![message])
            .await?
            .pop()
            .expect("one message in, one out"))
    }

    pub(crate) async fn ensure_conversation(&self, id: ConversationId) -> Result<()> {
        let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        found.map(|_| ()).ok_or_else(|| conversation_not_found(id))
    }
}
