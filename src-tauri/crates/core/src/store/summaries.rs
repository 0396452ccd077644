//! The `summaries` table: each rolling summary is a new row; older rows stay as history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    check_content, from_ms, ConversationId, MessageId, Result, Store, StoreError, SummaryId,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Summary {
    pub id: SummaryId,
    pub conversation_id: ConversationId,
    pub content: String,
    /// The newest message this summary folds in.
    pub covers_through_message_id: MessageId,
    pub token_count: Option<i64>,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_by_user: bool,
}

#[derive(Debug, Clone)]
pub struct NewSummary {
    pub conversation_id: ConversationId,
    pub content: String,
    pub covers_through_message_id: MessageId,
    pub token_count: Option<i64>,
    pub model: Option<String>,
    pub edited_by_user: bool,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    conversation_id: i64,
    content: String,
    covers_through_message_id: i64,
    token_count: Option<i64>,
    model: Option<String>,
    created_at: i64,
    edited_by_user: bool,
}

impl From<SummaryRow> for Summary {
    fn from(row: SummaryRow) -> Self {
        Self {
            id: SummaryId(row.id),
            conversation_id: ConversationId(row.conversation_id),
            content: row.content,
            covers_through_message_id: MessageId(row.covers_through_message_id),
            token_count: row.token_count,
            model: row.model,
            created_at: from_ms(row.created_at),
            edited_by_user: row.edited_by_user,
        }
    }
}

const COLUMNS: &str = "id, conversation_id, content, covers_through_message_id, token_count, \
                       model, created_at, edited_by_user";

impl Store {
    /// Stores a new summary row. The message it covers through must belong to the conversation.
    pub async fn save_summary(&self, new: NewSummary) -> Result<Summary> {
        check_content("summary", &new.content)?;
        if new.content.trim().is_empty() {
            return Err(StoreError::invalid("a summary cannot be empty"));
        }
        let mut tx = self.write_tx().await?;
        let owner: Option<(i64,)> =
            sqlx::query_as("SELECT conversation_id FROM messages WHERE id = ?")
                .bind(new.covers_through_message_id.0)
                .fetch_optional(&mut tx)
                .await?;
        match owner {
            None => {
                return Err(StoreError::NotFound {
                    entity: "message",
                    id: new.covers_through_message_id.0,
                })
            }
            Some((owner,)) if owner != new.conversation_id.0 => {
                return Err(StoreError::invalid(format!(
                    "message {} belongs to another conversation than {}",
                    new.covers_through_message_id, new.conversation_id
                )))
            }
            Some(_) => {}
        }
        let row: SummaryRow = sqlx::query_as(&format!(
            "INSERT INTO summaries (conversation_id, content, covers_through_message_id, token_count,
                                    model, created_at, edited_by_user)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(new.conversation_id.0)
        .bind(new.content)
        .bind(new.covers_through_message_id.0)
        .bind(new.token_count)
        .bind(new.model)
        .bind(self.now_ms())
        .bind(new.edited_by_user)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// The conversation's current summary: the newest row.
    pub async fn latest_summary(&self, conversation_id: ConversationId) -> Result<Option<Summary>> {
        let row: Option<SummaryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM summaries WHERE conversation_id = ? ORDER BY id DESC LIMIT 1"
        ))
        .bind(conversation_id.0)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_none() {
            self.ensure_conversation(conversation_id).await?;
        }
        Ok(row.map(Into::into))
    }

    /// Every summary of the conversation, oldest first.
    pub async fn summaries(&self, conversation_id: ConversationId) -> Result<Vec<Summary>> {
        self.ensure_conversation(conversation_id).await?;
        let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM summaries WHERE conversation_id = ? ORDER BY id"
        ))
        .bind(conversation_id.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
