//! Writing messages: appending, streaming a reply in and finishing it, pinning, and marking
//! replies a crash left streaming.

use super::{
    check_new_message, conversation_not_found, message_not_found, Finish, Message, MessageRow,
    MessageStatus, NewMessage, Role, COLUMNS, INTERRUPTED_BY_EXIT,
};
use crate::store::{check_content, ConversationId, MessageId, Result, Store, StoreError};

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
            .execute(&mut tx)
            .await?;
        if bumped.rows_affected() == 0 {
            return Err(conversation_not_found(conversation_id));
        }
        let role = new.role;
        let row: MessageRow = sqlx::query_as(&format!(
            "INSERT INTO messages (conversation_id, role, content, status, model, created_at, completed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(conversation_id.0)
        .bind(role.as_str())
        .bind(new.content)
        .bind(new.status.as_str())
        .bind(new.model)
        .bind(now)
        .bind(completed_at)
        .fetch_one(&mut tx)
        .await?;
        if role == Role::User {
            // The message the user was writing is sent: its draft goes with it.
            crate::store::drafts::sent(&mut tx, conversation_id).await?;
        }
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
        Ok(self.finish_message_with_calls(id, finish, &[]).await?.0)
    }

    /// Ends a streaming reply that called tools and records its calls (waiting for a decision),
    /// in one transaction: one write instead of two in every tool round.
    pub async fn finish_message_with_calls(
        &self,
        id: MessageId,
        finish: Finish,
        calls: &[crate::store::NewToolCall],
    ) -> Result<(Message, Vec<crate::store::ToolCallRecord>)> {
        check_content("reply", &finish.content)?;
        let now = self.now_ms();
        let mut tx = self.write_tx().await?;
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "UPDATE messages SET status = ?, content = ?, error = ?, prompt_tokens = ?,
                 completion_tokens = ?, model = coalesce(?, model), completed_at = ?,
                 finish_reason = ?, ended = ?, first_token_ms = ?, generation_ms = ?,
                 tokens_per_second = ?, prompt_per_second = ?, cached_tokens = ?,
                 stats_from_server = ?
             WHERE id = ? AND status = 'streaming' RETURNING {COLUMNS}"
        ))
        .bind(finish.ended.status().as_str())
        .bind(finish.content)
        .bind(finish.error)
        .bind(finish.prompt_tokens)
        .bind(finish.completion_tokens)
        .bind(finish.model)
        .bind(now)
        .bind(finish.finish_reason)
        .bind(finish.ended.as_str())
        .bind(finish.stats.first_token_ms)
        .bind(finish.stats.generation_ms)
        .bind(finish.stats.tokens_per_second)
        .bind(finish.stats.prompt_per_second)
        .bind(finish.stats.cached_tokens)
        .bind(finish.stats.server_figures_column())
        .bind(id.0)
        .fetch_optional(&mut tx)
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
            .execute(&mut tx)
            .await?;
        let calls = crate::store::tool_calls::insert_calls(&mut tx, id, calls, now).await?;
        tx.commit().await?;
        Ok((row.into(), calls))
    }

    /// Marks replies left `streaming` by a crash or a kill as `interrupted`, keeping their text.
    /// Run once at start-up, before any new reply starts. Returns how many there were.
    pub async fn mark_streaming_interrupted(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE messages SET status = 'interrupted', ended = 'exited', error = ?,
                 completed_at = ?
             WHERE status = 'streaming'",
        )
        .bind(INTERRUPTED_BY_EXIT)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Pins or unpins a message: a pinned message is always sent to the model.
    pub async fn set_message_pinned(&self, id: MessageId, pinned: bool) -> Result<Message> {
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "UPDATE messages SET pinned = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(pinned)
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
}
