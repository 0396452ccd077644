//! Full-text search over message content (FTS5, trigram tokenizer).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{from_ms, ConversationId, MessageId, Result, Role, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub conversation_title: String,
    pub message_id: MessageId,
    pub role: Role,
    /// Text around the match; the matches are wrapped in `[` and `]`.
    pub snippet: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct HitRow {
    conversation_id: i64,
    title: String,
    message_id: i64,
    role: String,
    snippet: String,
    created_at: i64,
}

/// The trigram tokenizer needs at least three characters to match anything.
const MIN_TERM_CHARS: usize = 3;

/// Turns what a person typed into an FTS5 query that cannot be a syntax error: each word becomes a
/// quoted string (quotes inside doubled), all of them required. FTS operators (`OR`, `NEAR`, `*`,
/// `:`) typed by the user are searched for literally.
fn match_expression(query: &str) -> Result<String> {
    let terms: Vec<&str> = query.split_whitespace().collect();
    if terms.is_empty() {
        return Err(StoreError::invalid("type something to search for"));
    }
    if let Some(short) = terms.iter().find(|t| t.chars().count() < MIN_TERM_CHARS) {
        return Err(StoreError::invalid(format!(
            "{short:?} is too short to search for — use words of at least {MIN_TERM_CHARS} characters"
        )));
    }
    Ok(terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND "))
}

impl Store {
    /// Visible messages containing every word of `query`, best match first (versions not chosen
    /// are not found: the conversation would not show them).
    pub async fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let expression = match_expression(query)?;
        let rows: Vec<HitRow> = sqlx::query_as(
            "SELECT m.conversation_id, c.title, m.id AS message_id, m.role,
                    snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet, m.created_at
             FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE messages_fts MATCH ? AND m.hidden = 0
             ORDER BY rank
             LIMIT ?",
        )
        .bind(expression)
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SearchHit {
                conversation_id: ConversationId(r.conversation_id),
                conversation_title: r.title,
                message_id: MessageId(r.message_id),
                role: serde_json::from_value(serde_json::Value::String(r.role))
                    .unwrap_or(Role::Assistant),
                snippet: r.snippet,
                created_at: from_ms(r.created_at),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_quoted_never_parsed() {
        assert_eq!(
            match_expression(r#"say "hi NEAR(x"#).unwrap(),
            r#""say" AND """hi" AND "NEAR(x""#
        );
        assert!(match_expression("   ").is_err());
        assert!(match_expression("ok").is_err());
    }
}
