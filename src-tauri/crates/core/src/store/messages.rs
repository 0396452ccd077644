//! The `messages` table.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

    fn parse(s: &str) -> Self {
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
}

impl Message {
    /// Whether the reply stopped at its token limit (it can be continued).
    pub fn hit_length_limit(&self) -> bool {
        self.finish_reason.as_deref() == Some("length")
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
    /// `Complete`, `Interrupted` or `Error`.
    pub status: MessageStatus,
    pub content: String,
    pub error: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// The model that answered, when the server said; `None` keeps the one recorded at the start.
    pub model: Option<String>,
    /// Why the model stopped, as the server said ("stop", "length", …).
    pub finish_reason: Option<String>,
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
        }
    }
}

pub(super) const COLUMNS: &str =
    "id, conversation_id, role, content, status, error, model, prompt_tokens, \
                       completion_tokens, created_at, completed_at, pinned, version_of, hidden, reasoning, \
                       finish_reason";

/// The text a message left streaming by a crash is marked with.
pub(crate) const INTERRUPTED_BY_EXIT: &str =
    "Confab stopped before this reply finished; the text received so far is kept";

/// How many rows [`Store::tail_within`] reads per step backwards.
const TAIL_BATCH: i64 = 64;

fn message_not_found(id: MessageId) -> StoreError {
    StoreError::NotFound {
        entity: "message",
        id: id.0,
    }
}

fn conversation_not_found(id: ConversationId) -> StoreError {
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
    /// Adds a message to a conversation and marks the conversation active, in one transaction.
    pub async fn append_message(
        &self,
        conversation_id: ConversationId,
        new: NewMessage,
    ) -> Result<Message> {
        check_new_message(&new)?;
        let now = self.now_ms();
        let completed_at = (new.status != MessageStatus::Streaming).then_some(now);
        let mut tx = self.write_tx().await?;
        let bumped = sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(conversation_id.0)
            .execute(&mut *tx)
            .await?;
        if bumped.rows_affected() == 0 {
            return Err(conversation_not_found(conversation_id));
        }
        let row: MessageRow = sqlx::query_as(&format!(
            "INSERT INTO messages (conversation_id, role, content, status, model, created_at, completed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(conversation_id.0)
        .bind(new.role.as_str())
        .bind(new.content)
        .bind(new.status.as_str())
        .bind(new.model)
        .bind(now)
        .bind(completed_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Saves the text a streaming reply has so far: one UPDATE by primary key, cheap enough to call
    /// several times a second.
    pub async fn update_streaming_content(&self, id: MessageId, content: &str) -> Result<()> {
        check_content("reply", content)?;
        let done =
            sqlx::query("UPDATE messages SET content = ? WHERE id = ? AND status = 'streaming'")
                .bind(content)
                .bind(id.0)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            let message = self.get_message(id).await?;
            return Err(StoreError::invalid(format!(
                "message {id} is {} and no longer streaming",
                message.status.as_str()
            )));
        }
        Ok(())
    }

    /// Saves the reasoning a streaming reply has so far (one UPDATE by primary key).
    pub async fn save_reasoning(&self, id: MessageId, reasoning: &str) -> Result<()> {
        check_content("reasoning", reasoning)?;
        let done = sqlx::query("UPDATE messages SET reasoning = ? WHERE id = ?")
            .bind(reasoning)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(message_not_found(id));
        }
        Ok(())
    }

    /// Ends a streaming reply and marks its conversation active, in one transaction.
    pub async fn finish_message(&self, id: MessageId, finish: Finish) -> Result<Message> {
        if finish.status == MessageStatus::Streaming {
            return Err(StoreError::invalid(
                "a reply must finish as complete, interrupted or error",
            ));
        }
        check_content("reply", &finish.content)?;
        let now = self.now_ms();
        let mut tx = self.write_tx().await?;
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "UPDATE messages SET status = ?, content = ?, error = ?, prompt_tokens = ?,
                 completion_tokens = ?, model = coalesce(?, model), completed_at = ?,
                 finish_reason = ?
             WHERE id = ? AND status = 'streaming' RETURNING {COLUMNS}"
        ))
        .bind(finish.status.as_str())
        .bind(finish.content)
        .bind(finish.error)
        .bind(finish.prompt_tokens)
        .bind(finish.completion_tokens)
        .bind(finish.model)
        .bind(now)
        .bind(finish.finish_reason)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            let message = self.get_message(id).await?;
            return Err(StoreError::invalid(format!(
                "message {id} is already {}",
                message.status.as_str()
            )));
        };
        sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(row.conversation_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    pub async fn get_message(&self, id: MessageId) -> Result<Message> {
        let row: Option<MessageRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Into::into).ok_or_else(|| message_not_found(id))
    }

    /// Up to `limit` visible messages older than `before` (the newest ones when `None`), oldest
    /// first: the conversation as it reads, without the versions not chosen.
    pub async fn messages_before(
        &self,
        conversation_id: ConversationId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM messages
             WHERE conversation_id = ? AND hidden = 0 AND (? IS NULL OR id < ?)
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(conversation_id.0)
        .bind(before.map(|b| b.0))
        .bind(before.map(|b| b.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            self.ensure_conversation(conversation_id).await?;
        }
        Ok(rows.into_iter().rev().map(Into::into).collect())
    }

    /// The first `limit` visible messages, oldest first: how the conversation began.
    pub async fn first_messages(
        &self,
        conversation_id: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM messages
             WHERE conversation_id = ? AND hidden = 0
             ORDER BY id LIMIT ?"
        ))
        .bind(conversation_id.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            self.ensure_conversation(conversation_id).await?;
        }
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The newest `limit` messages, oldest first.
    pub async fn tail_messages(
        &self,
        conversation_id: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.messages_before(conversation_id, None, limit).await
    }

    /// The newest visible messages whose contents add up to at most `max_bytes`, oldest first. Reads
    /// backwards in small batches, so the cost follows the size of the tail, not of the history.
    pub async fn tail_within(
        &self,
        conversation_id: ConversationId,
        max_bytes: usize,
    ) -> Result<Vec<Message>> {
        let mut tail: Vec<Message> = Vec::new();
        let mut used = 0usize;
        let mut before: Option<i64> = None;
        'outer: loop {
            let rows: Vec<MessageRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM messages
                 WHERE conversation_id = ? AND hidden = 0 AND (? IS NULL OR id < ?)
                 ORDER BY id DESC LIMIT ?"
            ))
            .bind(conversation_id.0)
            .bind(before)
            .bind(before)
            .bind(TAIL_BATCH)
            .fetch_all(&self.pool)
            .await?;
            let exhausted = (rows.len() as i64) < TAIL_BATCH;
            for row in rows {
                if used + row.content.len() > max_bytes {
                    break 'outer;
                }
                used += row.content.len();
                before = Some(row.id);
                tail.push(row.into());
            }
            if exhausted {
                break;
            }
        }
        if tail.is_empty() {
            self.ensure_conversation(conversation_id).await?;
        }
        tail.reverse();
        Ok(tail)
    }

    /// How many visible messages the conversation has.
    pub async fn message_count(&self, conversation_id: ConversationId) -> Result<u64> {
        self.ensure_conversation(conversation_id).await?;
        let (count,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM messages WHERE conversation_id = ? AND hidden = 0",
        )
        .bind(conversation_id.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    /// Marks replies left `streaming` by a crash or a kill as `interrupted`, keeping their text.
    /// Run once at start-up, before any new reply starts. Returns how many there were.
    pub async fn mark_streaming_interrupted(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE messages SET status = 'interrupted', error = ?, completed_at = ?
             WHERE status = 'streaming'",
        )
        .bind(INTERRUPTED_BY_EXIT)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn ensure_conversation(&self, id: ConversationId) -> Result<()> {
        let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        found.map(|_| ()).ok_or_else(|| conversation_not_found(id))
    }
}
