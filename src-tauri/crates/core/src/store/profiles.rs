//! What Confab learns about models: their profiles (context length, token-estimate calibration)
//! and the exact token counts of messages, cached per tokenizer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::messages::Message;
use super::{from_ms, Result, Store, StoreError};

/// What Confab has learned about one model (see `migrations/0002_memory.sql`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelProfile {
    pub tokenizer: String,
    pub context_length: Option<u64>,
    pub learned_n_ctx: Option<u64>,
    pub bytes_per_token: f64,
    pub per_message_overhead: f64,
    pub calibration_samples: u64,
    pub last_estimate_error: Option<f64>,
    pub mean_abs_estimate_error: Option<f64>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Where estimates start before any calibration: conservative (English averages about four
/// bytes per token on current tokenizers, code and other scripts fewer).
pub const DEFAULT_BYTES_PER_TOKEN: f64 = 3.0;
/// What a chat template is assumed to add per message until measured (ChatML adds about 5).
pub const DEFAULT_PER_MESSAGE_OVERHEAD: f64 = 8.0;

impl ModelProfile {
    pub fn new(tokenizer: &str) -> Self {
        Self {
            tokenizer: tokenizer.to_owned(),
            context_length: None,
            learned_n_ctx: None,
            bytes_per_token: DEFAULT_BYTES_PER_TOKEN,
            per_message_overhead: DEFAULT_PER_MESSAGE_OVERHEAD,
            calibration_samples: 0,
            last_estimate_error: None,
            mean_abs_estimate_error: None,
            updated_at: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    tokenizer: String,
    context_length: Option<i64>,
    learned_n_ctx: Option<i64>,
    bytes_per_token: f64,
    per_message_overhead: f64,
    calibration_samples: i64,
    last_estimate_error: Option<f64>,
    mean_abs_estimate_error: Option<f64>,
    updated_at: i64,
}

impl From<ProfileRow> for ModelProfile {
    fn from(row: ProfileRow) -> Self {
        Self {
            tokenizer: row.tokenizer,
            context_length: row.context_length.map(|n| n as u64),
            learned_n_ctx: row.learned_n_ctx.map(|n| n as u64),
            bytes_per_token: row.bytes_per_token,
            per_message_overhead: row.per_message_overhead,
            calibration_samples: row.calibration_samples.max(0) as u64,
            last_estimate_error: row.last_estimate_error,
            mean_abs_estimate_error: row.mean_abs_estimate_error,
            updated_at: Some(from_ms(row.updated_at)),
        }
    }
}

/// A 64-bit FNV-1a hash of a text: what a cached token count was counted from.
pub fn content_hash(text: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

impl Store {
    /// Cached exact token counts of `ids` under `tokenizer`, where the message's text has not
    /// changed since it was counted.
    pub async fn token_counts(
        &self,
        tokenizer: &str,
        messages: &[&Message],
    ) -> Result<Vec<Option<u64>>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; messages.len()].join(",");
        let sql = format!(
            "SELECT message_id, content_hash, tokens FROM token_counts
             WHERE tokenizer = ? AND message_id IN ({placeholders})"
        );
        let mut query = sqlx::query_as::<_, (i64, i64, i64)>(&sql).bind(tokenizer);
        for m in messages {
            query = query.bind(m.id.0);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let found: std::collections::HashMap<i64, (i64, i64)> = rows
            .into_iter()
            .map(|(id, hash, tokens)| (id, (hash, tokens)))
            .collect();
        Ok(messages
            .iter()
            .map(|m| match found.get(&m.id.0) {
                Some(&(hash, tokens)) if hash == content_hash(&m.content) => Some(tokens as u64),
                _ => None,
            })
            .collect())
    }

    /// Saves exact token counts of messages (as counted from their current text), in one
    /// transaction.
    pub async fn save_token_counts(
        &self,
        tokenizer: &str,
        counts: &[(&Message, u64)],
    ) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for (message, tokens) in counts {
            sqlx::query(
                "INSERT INTO token_counts (message_id, tokenizer, content_hash, tokens)
                 SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)
                 ON CONFLICT (message_id, tokenizer)
                 DO UPDATE SET content_hash = excluded.content_hash, tokens = excluded.tokens",
            )
            .bind(message.id.0)
            .bind(tokenizer)
            .bind(content_hash(&message.content))
            .bind(*tokens as i64)
            .bind(message.id.0)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The model's profile; defaults when nothing has been learned yet.
    pub async fn model_profile(&self, tokenizer: &str) -> Result<ModelProfile> {
        let row: Option<ProfileRow> = sqlx::query_as(
            "SELECT tokenizer, context_length, learned_n_ctx, bytes_per_token, per_message_overhead,
                    calibration_samples, last_estimate_error, mean_abs_estimate_error, updated_at
             FROM model_profiles WHERE tokenizer = ?",
        )
        .bind(tokenizer)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map_or_else(|| ModelProfile::new(tokenizer), Into::into))
    }

    /// Saves the model's profile (replacing what was there).
    pub async fn save_model_profile(&self, profile: &ModelProfile) -> Result<ModelProfile> {
        let valid = profile.bytes_per_token.is_finite()
            && profile.bytes_per_token > 0.0
            && profile.per_message_overhead.is_finite()
            && profile.per_message_overhead >= 0.0
            && profile.context_length != Some(0)
            && profile.learned_n_ctx != Some(0);
        if !valid {
            return Err(StoreError::invalid("a model profile needs positive values"));
        }
        let row: ProfileRow = sqlx::query_as(
            "INSERT INTO model_profiles (tokenizer, context_length, learned_n_ctx, bytes_per_token,
                 per_message_overhead, calibration_samples, last_estimate_error,
                 mean_abs_estimate_error, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tokenizer) DO UPDATE SET context_length = excluded.context_length,
                 learned_n_ctx = excluded.learned_n_ctx, bytes_per_token = excluded.bytes_per_token,
                 per_message_overhead = excluded.per_message_overhead,
                 calibration_samples = excluded.calibration_samples,
                 last_estimate_error = excluded.last_estimate_error,
                 mean_abs_estimate_error = excluded.mean_abs_estimate_error,
                 updated_at = excluded.updated_at
             RETURNING tokenizer, context_length, learned_n_ctx, bytes_per_token,
                 per_message_overhead, calibration_samples, last_estimate_error,
                 mean_abs_estimate_error, updated_at",
        )
        .bind(&profile.tokenizer)
        .bind(profile.context_length.map(|n| n as i64))
        .bind(profile.learned_n_ctx.map(|n| n as i64))
        .bind(profile.bytes_per_token)
        .bind(profile.per_message_overhead)
        .bind(profile.calibration_samples as i64)
        .bind(profile.last_estimate_error)
        .bind(profile.mean_abs_estimate_error)
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }
}

#[cfg(test)]
mod tests {
    use super::content_hash;

    #[test]
    fn content_hash_tells_texts_apart() {
        assert_eq!(content_hash("abc"), content_hash("abc"));
        assert_ne!(content_hash("abc"), content_hash("abd"));
        assert_ne!(content_hash(""), content_hash(" "));
    }
}
