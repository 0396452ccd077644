//! The conversation as it reads, a page at a time, older or newer than any message: what the
//! front ends show.

use super::{Message, MessageRow, COLUMNS};
use crate::store::{ConversationId, MessageId, Result, Store};

/// How many rows [`Store::tail_within`] reads per step backwards.
const TAIL_BATCH: i64 = 64;

impl Store {
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
        self.with_attachments(rows.into_iter().rev().map(Into::into).collect())
            .await
    }

    /// Up to `limit` visible messages newer than `after`, oldest first: the mirror of
    /// [`Store::messages_before`], so that a chat opened at any message can page both ways. Like
    /// it, the versions not chosen are left out.
    pub async fn messages_after(
        &self,
        conversation_id: ConversationId,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let page = self
            .messages_oldest_first(conversation_id, Some(after), None, limit)
            .await?;
        if page.is_empty() {
            self.ensure_conversation(conversation_id).await?;
        }
        Ok(page)
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
        self.with_attachments(rows.into_iter().map(Into::into).collect())
            .await
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
        self.with_attachments(tail).await
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
}
