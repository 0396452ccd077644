//! The `memory_windows` table: where a conversation's sliding window starts.

use super::{ConversationId, MessageId, Result, Store};

impl Store {
    /// Where the conversation's sliding window starts, if it has moved yet.
    pub async fn window_start(&self, conversation_id: ConversationId) -> Result<Option<MessageId>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT start_message_id FROM memory_windows WHERE conversation_id = ?")
                .bind(conversation_id.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id,)| MessageId(id)))
    }

    /// Moves the conversation's sliding window to start at `start`.
    pub async fn set_window_start(
        &self,
        conversation_id: ConversationId,
        start: MessageId,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO memory_windows (conversation_id, start_message_id, updated_at)
             VALUES (?, ?, ?)
             ON CONFLICT (conversation_id) DO UPDATE SET start_message_id = excluded.start_message_id,
                 updated_at = excluded.updated_at",
        )
        .bind(conversation_id.0)
        .bind(start.0)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
