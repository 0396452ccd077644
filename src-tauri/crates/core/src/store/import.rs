//! Importing whole conversations in one transaction: either all of a file lands, or nothing.

use chrono::{DateTime, Utc};
use ts_rs::TS;

use super::conversations::{check_system_prompt, clean_title, params_json};
use super::{
    check_content, ConversationId, Ending, MessageStatus, ReplyStats, Result, Role, Store,
    StoreError,
};

/// A conversation to import, with its messages and summaries.
#[derive(Debug, Clone)]
pub struct ImportConversation {
    pub title: String,
    pub system_prompt: String,
    pub model: Option<String>,
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub pinned: bool,
    pub archived: bool,
    pub messages: Vec<ImportMessage>,
    pub summaries: Vec<ImportSummary>,
}

#[derive(Debug, Clone)]
pub struct ImportMessage {
    pub role: Role,
    pub content: String,
    /// A message exported while streaming is imported as interrupted.
    pub status: MessageStatus,
    pub error: Option<String>,
    pub model: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub pinned: bool,
    /// The index (in `messages`) of the first version of the reply this is a version of (its own
    /// index for that first one).
    pub version_of: Option<usize>,
    /// A version not currently chosen.
    pub hidden: bool,
    /// The reasoning that came with a reply (empty when none).
    pub reasoning: String,
    /// Why the model stopped a finished reply.
    pub finish_reason: Option<String>,
    /// How a reply ended, when the file says (and it agrees with `status`); else it follows from
    /// the status and the finish reason.
    pub ended: Option<Ending>,
    /// How the reply was produced, as far as the file says.
    pub stats: ReplyStats,
    /// The message's files, checked ([`crate::attachments::prepare`]).
    pub attachments: Vec<crate::attachments::Prepared>,
    /// A reply's tool calls, with their decisions and results (their ids are the file's).
    pub tool_calls: Vec<ImportCall>,
}

/// A tool call of an imported reply, and the images its result carried.
#[derive(Debug, Clone)]
pub struct ImportCall {
    pub record: super::ToolCallRecord,
    /// Each image's type and bytes, checked to be a PNG, JPEG, WebP or GIF.
    pub images: Vec<(&'static str, Vec<u8>)>,
}

#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub content: String,
    /// The index (in `messages`) of the newest message the summary covers.
    pub covers_through: usize,
    pub token_count: Option<i64>,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_by_user: bool,
}

/// How far an import has come: reported as it writes, before the one commit at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, TS)]
pub struct ImportProgress {
    pub conversations_done: u64,
    pub conversations_total: u64,
    pub messages_done: u64,
    pub messages_total: u64,
}

/// Progress is reported at most once per this many messages (and after each conversation).
const PROGRESS_EVERY: u64 = 500;

impl Store {
    /// Imports conversations as new ones (fresh ids, never colliding with existing chats), all in
    /// one transaction: a bad conversation anywhere imports nothing.
    pub async fn import_conversations(
        &self,
        conversations: &[ImportConversation],
    ) -> Result<Vec<ConversationId>> {
        self.import_conversations_with_progress(conversations, &mut |_| {})
            .await
    }

    /// [`Store::import_conversations`], telling `progress` how far it has come (for a progress
    /// bar on large files). The last report has everything done; the commit follows it.
    pub async fn import_conversations_with_progress(
        &self,
        conversations: &[ImportConversation],
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> Result<Vec<ConversationId>> {
        for (n, c) in conversations.iter().enumerate() {
            check_import(c).map_err(|e| {
                StoreError::invalid(format!("conversation {} ({:?}): {e}", n + 1, c.title))
            })?;
        }
        let mut done = ImportProgress {
            conversations_done: 0,
            conversations_total: conversations.len() as u64,
            messages_done: 0,
            messages_total: conversations.iter().map(|c| c.messages.len() as u64).sum(),
        };
        progress(done);
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::with_capacity(conversations.len());
        for c in conversations {
            let title = if c.title.trim().is_empty() {
                super::DEFAULT_TITLE.to_owned()
            } else {
                clean_title(&c.title)?
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO conversations (title, system_prompt, model, params, created_at,
                     updated_at, pinned, archived)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(title)
            .bind(&c.system_prompt)
            .bind(&c.model)
            .bind(params_json(&c.params)?)
            .bind(c.created_at.timestamp_millis())
            .bind(c.updated_at.timestamp_millis())
            .bind(c.pinned)
            .bind(c.archived)
            .fetch_one(&mut tx)
            .await?;
            let mut message_ids = Vec::with_capacity(c.messages.len());
            for m in &c.messages {
                let status = match m.status {
                    MessageStatus::Streaming => MessageStatus::Interrupted,
                    s => s,
                };
                let finish_reason = m
                    .finish_reason
                    .as_ref()
                    .filter(|_| status == MessageStatus::Complete);
                let ended = (m.role == Role::Assistant).then(|| {
                    m.ended
                        .filter(|e| e.status() == status)
                        .unwrap_or(match status {
                            MessageStatus::Complete => {
                                Ending::from_finish_reason(finish_reason.map(String::as_str))
                            }
                            MessageStatus::Error => Ending::Failed,
                            _ => Ending::Interrupted,
                        })
                });
                let (mid,): (i64,) = sqlx::query_as(
                    "INSERT INTO messages (conversation_id, role, content, status, error, model,
                         prompt_tokens, completion_tokens, created_at, completed_at, pinned,
                         hidden, reasoning, finish_reason, ended, first_token_ms, generation_ms,
                         tokens_per_second, prompt_per_second, cached_tokens, stats_from_server)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                     RETURNING id",
                )
                .bind(id)
                .bind(m.role.as_str())
                .bind(&m.content)
                .bind(status.as_str())
                .bind(&m.error)
                .bind(&m.model)
                .bind(m.prompt_tokens)
                .bind(m.completion_tokens)
                .bind(m.created_at.timestamp_millis())
                .bind(m.completed_at.map(|t| t.timestamp_millis()))
                .bind(m.pinned)
                .bind(m.hidden)
                .bind(&m.reasoning)
                .bind(finish_reason)
                .bind(ended.map(Ending::as_str))
                .bind(m.stats.first_token_ms)
                .bind(m.stats.generation_ms)
                .bind(m.stats.tokens_per_second)
                .bind(m.stats.prompt_per_second)
                .bind(m.stats.cached_tokens)
                .bind(m.stats.server_figures_column())
                .fetch_one(&mut tx)
                .await?;
                super::attachments::link_files(&mut tx, mid, &m.attachments).await?;
                super::tool_calls::import_calls(&mut tx, mid, &m.tool_calls).await?;
                message_ids.push(mid);
                done.messages_done += 1;
                if done.messages_done.is_multiple_of(PROGRESS_EVERY) {
                    progress(done);
                }
            }
            // Versions point at their group's first message, so they are linked once all exist.
            for (m, &mid) in c.messages.iter().zip(&message_ids) {
                if let Some(root) = m.version_of {
                    sqlx::query("UPDATE messages SET version_of = ? WHERE id = ?")
                        .bind(message_ids[root])
                        .bind(mid)
                        .execute(&mut tx)
                        .await?;
                }
            }
            for s in &c.summaries {
                sqlx::query(
                    "INSERT INTO summaries (conversation_id, content, covers_through_message_id,
                         token_count, model, created_at, edited_by_user)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(&s.content)
                .bind(message_ids[s.covers_through])
                .bind(s.token_count)
                .bind(&s.model)
                .bind(s.created_at.timestamp_millis())
                .bind(s.edited_by_user)
                .execute(&mut tx)
                .await?;
            }
            ids.push(ConversationId(id));
            done.conversations_done += 1;
            progress(done);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

fn check_import(c: &ImportConversation) -> Result<()> {
    check_system_prompt(&c.system_prompt)?;
    params_json(&c.params)?;
    let mut shown = std::collections::HashMap::new();
    for (i, m) in c.messages.iter().enumerate() {
        check_content("reasoning", &m.reasoning)
            .map_err(|e| StoreError::invalid(format!("message {}: {e}", i + 1)))?;
        check_content("message", &m.content)
            .map_err(|e| StoreError::invalid(format!("message {}: {e}", i + 1)))?;
        let bad = |what: &str| StoreError::invalid(format!("message {}: {what}", i + 1));
        if m.finish_reason.as_ref().is_some_and(|r| r.len() > 64) {
            return Err(bad("its finish reason is longer than 64 bytes"));
        }
        if let Some(problem) = m.stats.problem() {
            return Err(bad(problem));
        }
        match m.version_of {
            None if m.hidden => return Err(bad("a hidden message must be a version of a reply")),
            None => {}
            Some(root) if root > i || c.messages[root].version_of != Some(root) => {
                return Err(bad(
                    "it is a version of a message that does not start a group",
                ))
            }
            Some(root) if !m.hidden && shown.insert(root, i).is_some() => {
                return Err(bad("two versions of one reply are both shown"))
            }
            Some(_) => {}
        }
    }
    for s in &c.summaries {
        check_content("summary", &s.content)?;
        if s.covers_through >= c.messages.len() {
            return Err(StoreError::invalid(
                "a summary covers a message the file does not have",
            ));
        }
    }
    Ok(())
}
