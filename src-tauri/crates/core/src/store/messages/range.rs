//! Reads by id range: how the context builder walks the history backwards in batches, reports a
//! run of left-out messages without reading it, and finds the pinned ones; and how the export
//! reads every version.

use super::{Message, MessageRow, COLUMNS};
use crate::store::{ConversationId, MessageId, Result, Store};

/// The filter of the queries that read the conversation as it reads (the partial index
/// `messages_visible` serves it).
const VISIBLE: &str = "hidden = 0";

/// How far [`Store::message_range`] counts.
pub const RANGE_COUNT_LIMIT: u64 = 1000;

impl Store {
    /// The conversation's visible pinned messages older than `before` (all when `None`), oldest
    /// first. Read through the `messages_pinned` index, so the cost follows the pins, not the
    /// history (every request's context reads these).
    pub async fn pinned_messages(
        &self,
        conversation_id: ConversationId,
        before: Option<MessageId>,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM messages {PINNED_WHERE}"))
                .bind(conversation_id.0)
                .bind(before.map(|b| b.0))
                .bind(before.map(|b| b.0))
                .fetch_all(&self.pool)
                .await?;
        self.with_attachments(rows.into_iter().map(Into::into).collect())
            .await
    }

    /// Up to `limit` visible messages with `after < id < before`, **newest first**: the context builder
    /// reads the history backwards from its end in batches like this, so its cost follows the
    /// window, not the history.
    pub async fn messages_newest_first(
        &self,
        conversation_id: ConversationId,
        after: Option<MessageId>,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.messages_between(conversation_id, after, before, limit, "DESC", VISIBLE)
            .await
    }

    /// The visible messages among `ids` in the conversation, each with the visible message just
    /// before it and the one just after it (if that is older than `before`), oldest first, in one
    /// query: what recall needs to make whole turns of what it found.
    pub async fn messages_with_neighbours(
        &self,
        conversation_id: ConversationId,
        ids: &[MessageId],
        before: MessageId,
    ) -> Result<Vec<Message>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted = serde_json::to_string(&ids.iter().map(|id| id.0).collect::<Vec<_>>())
            .expect("ids serialise");
        let rows: Vec<MessageRow> = sqlx::query_as(&neighbours_sql())
            .bind(wanted)
            .bind(conversation_id.0)
            .bind(before.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Up to `limit` visible messages with `after < id < before`, oldest first.
    pub async fn messages_oldest_first(
        &self,
        conversation_id: ConversationId,
        after: Option<MessageId>,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.messages_between(conversation_id, after, before, limit, "ASC", VISIBLE)
            .await
    }

    /// Up to `limit` messages with `after < id`, oldest first, **hidden versions included**: for
    /// the lossless export, which carries every version.
    pub async fn every_message_oldest_first(
        &self,
        conversation_id: ConversationId,
        after: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.messages_between(conversation_id, after, None, limit, "ASC", "1")
            .await
    }

    /// Up to `limit` messages with `after < id < before` that match `filter`, in `order` of id
    /// (`ASC` or `DESC`).
    async fn messages_between(
        &self,
        conversation_id: ConversationId,
        after: Option<MessageId>,
        before: Option<MessageId>,
        limit: u32,
        order: &'static str,
        filter: &'static str,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM messages
             WHERE conversation_id = ? AND {filter} AND id > ? AND (? IS NULL OR id < ?)
             ORDER BY id {order} LIMIT ?"
        ))
        .bind(conversation_id.0)
        .bind(after.map_or(0, |a| a.0))
        .bind(before.map(|b| b.0))
        .bind(before.map(|b| b.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.with_attachments(rows.into_iter().map(Into::into).collect())
            .await
    }

    /// The first and last visible messages of the conversation with `after < id < before`, and how many
    /// there are — counted up to [`RANGE_COUNT_LIMIT`], `None` beyond: how a run of left-out
    /// messages is reported without reading it (the bounds are index lookups, and the count never
    /// scans more than the limit, so this stays cheap in a 100k-message chat).
    pub async fn message_range(
        &self,
        conversation_id: ConversationId,
        after: Option<MessageId>,
        before: Option<MessageId>,
    ) -> Result<Option<(MessageId, MessageId, Option<u64>)>> {
        let bound = |order: &str| {
            format!(
                "SELECT id FROM messages
                 WHERE conversation_id = ? AND hidden = 0 AND id > ? AND (? IS NULL OR id < ?)
                 ORDER BY id {order} LIMIT 1"
            )
        };
        let mut ends = Vec::with_capacity(2);
        for order in ["ASC", "DESC"] {
            let row: Option<(i64,)> = sqlx::query_as(&bound(order))
                .bind(conversation_id.0)
                .bind(after.map_or(0, |a| a.0))
                .bind(before.map(|b| b.0))
                .bind(before.map(|b| b.0))
                .fetch_optional(&self.pool)
                .await?;
            match row {
                Some((id,)) => ends.push(MessageId(id)),
                None => return Ok(None),
            }
        }
        let (count,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM (SELECT 1 FROM messages
             WHERE conversation_id = ? AND hidden = 0 AND id > ? AND (? IS NULL OR id < ?) LIMIT ?)",
        )
        .bind(conversation_id.0)
        .bind(after.map_or(0, |a| a.0))
        .bind(before.map(|b| b.0))
        .bind(before.map(|b| b.0))
        .bind(RANGE_COUNT_LIMIT as i64 + 1)
        .fetch_one(&self.pool)
        .await?;
        let count = (count as u64 <= RANGE_COUNT_LIMIT).then_some(count as u64);
        Ok(Some((ends[0], ends[1], count)))
    }
}

/// [`Store::messages_with_neighbours`]' query: binds the ids (a JSON array), the conversation and
/// `before`.
fn neighbours_sql() -> String {
    // CROSS JOIN keeps the few ids the outer loop: joined the other way, SQLite read every
    // message of the chat and looked each up in the list (2 s in a 100k-message chat).
    format!(
        "WITH wanted(id) AS (
           SELECT m.id FROM json_each(?1) j CROSS JOIN messages m ON m.id = j.value
           WHERE m.conversation_id = ?2 AND m.{VISIBLE})
         SELECT {COLUMNS} FROM messages WHERE id IN (
           SELECT id FROM wanted
           UNION SELECT (SELECT p.id FROM messages p
                         WHERE p.conversation_id = ?2 AND p.{VISIBLE} AND p.id < w.id
                         ORDER BY p.id DESC LIMIT 1) FROM wanted w
           UNION SELECT (SELECT n.id FROM messages n
                         WHERE n.conversation_id = ?2 AND n.{VISIBLE} AND n.id > w.id
                           AND n.id < ?3
                         ORDER BY n.id LIMIT 1) FROM wanted w)
         ORDER BY id"
    )
}

/// The condition and order of [`Store::pinned_messages`]; binds the conversation and `before`
/// twice.
const PINNED_WHERE: &str = "WHERE conversation_id = ? AND pinned = 1 AND hidden = 0
     AND (? IS NULL OR id < ?) ORDER BY id";

#[cfg(test)]
mod tests {
    use super::{neighbours_sql, PINNED_WHERE};
    use crate::store::Store;

    async fn plan(store: &Store, sql: &str, binds: &[&str]) -> Vec<String> {
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sql);
        for b in binds {
            query = query.bind(*b);
        }
        query
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.3)
            .collect()
    }

    /// Recall reads the turns of what it found in one query: by the found ids, never by the chat.
    #[tokio::test]
    async fn turns_are_read_by_the_ids_found_not_by_the_chat() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plan.db")).await.unwrap();
        let steps = plan(
            &store,
            &format!("EXPLAIN QUERY PLAN {}", neighbours_sql()),
            &["[5, 9]", "1", "100"],
        )
        .await;
        let scan = steps.iter().position(|s| s.starts_with("SCAN j"));
        let lookup = steps.iter().position(|s| s.starts_with("SEARCH m "));
        assert!(
            matches!((scan, lookup), (Some(a), Some(b)) if a < b)
                && steps
                    .iter()
                    .filter(|s| s.starts_with("SEARCH m "))
                    .all(|s| s.contains("id=?")),
            "the ids first, each message looked up by its id: {steps:?}"
        );
    }

    /// Every request's context reads the pinned messages. SQLite once chose the index of visible
    /// messages for that (both are partial indexes it may use), which read the whole conversation:
    /// 36 ms per context in a 100k-message chat.
    #[tokio::test]
    async fn pinned_messages_are_read_through_their_own_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plan.db")).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!(
            "EXPLAIN QUERY PLAN SELECT * FROM messages {PINNED_WHERE}"
        ))
        .bind(1)
        .bind(Some(5))
        .bind(Some(5))
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let steps: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
        assert_eq!(
            steps,
            ["SEARCH messages USING INDEX messages_pinned (conversation_id=?)"],
            "{steps:?}"
        );
    }
}
