//! The `message_vectors` table (migration 0009): one embedding vector per message, for recall.
//!
//! The store keeps bytes; what they mean (unit vectors quantised to signed bytes) is
//! [`crate::recall`]'s. Which messages are indexed: the visible user and assistant messages with
//! text that are not streaming ([`INDEXABLE`]).

use super::{content_hash, ConversationId, MessageId, Result, Store};

/// The messages that get a vector, on the message `m`.
const INDEXABLE: &str = "m.hidden = 0 AND m.role IN ('user', 'assistant') \
     AND m.status IN ('complete', 'interrupted') AND m.content <> ''";

/// A message waiting for its vector.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unindexed {
    pub id: i64,
    pub content: String,
}

/// A vector as stored, with the row id it was read at (see [`Store::chat_vectors`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredVector {
    pub row: i64,
    pub message_id: i64,
    pub vector: Vec<u8>,
}

/// How far the index is for one model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexCount {
    /// Messages with a vector from the model.
    pub indexed: u64,
    /// Messages that should have one.
    pub total: u64,
}

impl Store {
    /// Up to `limit` indexable messages after `after` (by id, oldest first) with no vector from
    /// `model`: what the indexer embeds next.
    pub async fn unindexed_messages(
        &self,
        model: &str,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<Unindexed>> {
        Ok(sqlx::query_as(&format!(
            "SELECT m.id, m.content FROM messages m
             WHERE m.id > ?1 AND {INDEXABLE}
               AND NOT EXISTS (SELECT 1 FROM message_vectors v
                               WHERE v.message_id = m.id AND v.model = ?2)
             ORDER BY m.id LIMIT ?3"
        ))
        .bind(after.0)
        .bind(model)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Saves vectors made by `model` from the texts given, in one transaction. A message that is
    /// gone, or whose text changed since it was read, is skipped (its new text is embedded
    /// later). Returns how many were saved.
    pub async fn save_vectors(
        &self,
        model: &str,
        dims: usize,
        vectors: &[(MessageId, &str, Vec<u8>)],
    ) -> Result<usize> {
        let mut tx = self.write_tx().await?;
        let mut saved = 0;
        for (id, text, vector) in vectors {
            let done = sqlx::query(
                "INSERT OR REPLACE INTO message_vectors
                     (message_id, conversation_id, model, dims, content_hash, vector)
                 SELECT id, conversation_id, ?2, ?3, ?4, ?5 FROM messages
                 WHERE id = ?1 AND content = ?6",
            )
            .bind(id.0)
            .bind(model)
            .bind(dims as i64)
            .bind(content_hash(text))
            .bind(vector.as_slice())
            .bind(*text)
            .execute(&mut tx)
            .await?;
            saved += done.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// How many indexable messages have a vector from `model`, of how many.
    pub async fn index_count(&self, model: &str) -> Result<IndexCount> {
        let (total,): (i64,) = sqlx::query_as(&format!(
            "SELECT count(*) FROM messages m WHERE {INDEXABLE}"
        ))
        .fetch_one(&self.pool)
        .await?;
        let (indexed,): (i64,) = sqlx::query_as(&format!(
            "SELECT count(*) FROM message_vectors v JOIN messages m ON m.id = v.message_id
             WHERE v.model = ?1 AND {INDEXABLE}"
        ))
        .bind(model)
        .fetch_one(&self.pool)
        .await?;
        Ok(IndexCount {
            indexed: indexed as u64,
            total: total as u64,
        })
    }

    /// The vectors `model` made for the conversation's messages, written after row `after_row`
    /// (0 for all), in row order: a reader keeps the last row it saw and asks for what is newer.
    pub async fn chat_vectors(
        &self,
        conversation_id: ConversationId,
        model: &str,
        after_row: i64,
    ) -> Result<Vec<StoredVector>> {
        Ok(sqlx::query_as(
            "SELECT id AS row, message_id, vector FROM message_vectors
             WHERE conversation_id = ?1 AND model = ?2 AND id > ?3 ORDER BY id",
        )
        .bind(conversation_id.0)
        .bind(model)
        .bind(after_row)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every vector `model` made, with its message (for a search by meaning across all chats).
    pub async fn all_vectors(&self, model: &str) -> Result<Vec<StoredVector>> {
        Ok(sqlx::query_as(
            "SELECT id AS row, message_id, vector FROM message_vectors WHERE model = ?1",
        )
        .bind(model)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many vectors `model` made.
    pub async fn vector_count(&self, model: &str) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM message_vectors WHERE model = ?1")
            .bind(model)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// The vector `model` made for one message, if it has one.
    pub async fn message_vector(&self, id: MessageId, model: &str) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(
            "SELECT vector FROM message_vectors WHERE message_id = ?1 AND model = ?2",
        )
        .bind(id.0)
        .bind(model)
        .fetch_optional(&self.pool)
        .await?)
    }
}
