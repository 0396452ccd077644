//! The word half of recall: the messages of a chat that share the new message's rarer words,
//! ranked by BM25, at a cost that does not grow with the chat.
//!
//! BM25 is computed for every message that has one of the words looked for, so the words are
//! chosen by how many messages have them: the rarest first (a rare word says the most about what
//! a message is about), only words in at most a twentieth of the messages (at least 200), and
//! only while the messages they are in add up to [`WORD_BUDGET`]. How many messages have a word is
//! counted up to that budget and no further (a common word's full count would read its whole
//! list), and kept for a while: the next message will have most of the same common words.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{query, snippet, WORDS};
use crate::store::{ConversationId, MessageId, Result, Store};

/// How many of a message's words recall looks for, at most (the rarest).
const RECALL_WORDS: usize = 8;
/// BM25 is computed over at most this many messages per request.
const WORD_BUDGET: u32 = 1200;
/// How many words' counts are kept, and for how long.
const COUNTS_KEPT: usize = 4096;
const COUNT_TTL: Duration = Duration::from_secs(600);

/// Words' message counts (up to [`WORD_BUDGET`] + 1), as counted lately.
#[derive(Debug, Default)]
pub(crate) struct WordCounts(Mutex<HashMap<String, (u32, Instant)>>);

impl WordCounts {
    fn get(&self, word: &str) -> Option<u32> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(word)
            .filter(|(_, at)| at.elapsed() < COUNT_TTL)
            .map(|(n, _)| *n)
    }

    fn put(&self, counted: &[(String, u32)]) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() + counted.len() > COUNTS_KEPT {
            map.retain(|_, (_, at)| at.elapsed() < COUNT_TTL);
            if map.len() + counted.len() > COUNTS_KEPT {
                map.clear();
            }
        }
        let now = Instant::now();
        for (word, n) in counted {
            map.insert(word.clone(), (*n, now));
        }
    }
}

impl Store {
    /// The conversation's visible user and assistant messages before `before` that have any of
    /// `terms` (see [`super::topic_words`]), best first by BM25, at most `limit`: the word half
    /// of recall. Each comes with its score (higher is better).
    pub async fn recall_words(
        &self,
        conversation_id: ConversationId,
        terms: &[String],
        before: MessageId,
        limit: u32,
    ) -> Result<Vec<(MessageId, f64)>> {
        let mut folded: Vec<String> = terms.iter().map(|t| snippet::fold(t)).collect();
        folded.sort();
        folded.dedup();
        if folded.is_empty() {
            return Ok(Vec::new());
        }
        let (messages,): (i64,) = sqlx::query_as("SELECT coalesce(max(id), 0) FROM messages")
            .fetch_one(&self.pool)
            .await?;
        let rare = u32::try_from((messages / 20).max(200)).unwrap_or(u32::MAX);
        let mut counts = self.word_counts(&folded).await?;
        counts.retain(|(_, n)| *n > 0 && *n <= rare.min(WORD_BUDGET));
        counts.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let mut words = Vec::new();
        let mut spent = 0;
        for (word, n) in counts {
            if words.len() == RECALL_WORDS || spent + n > WORD_BUDGET {
                break;
            }
            spent += n;
            words.push(word);
        }
        if words.is_empty() {
            return Ok(Vec::new());
        }
        // CROSS JOIN keeps the word index the outer loop (joined the other way, SQLite runs the
        // full-text query once per message of the chat), and each match is checked against the
        // chat through the index of visible messages alone. A match has words, so it is never
        // empty; a system message found is left out when turns are made.
        let rows: Vec<(i64, f64)> = sqlx::query_as(&format!(
            "SELECT {WORDS}.rowid, bm25({WORDS}) AS score
             FROM {WORDS} CROSS JOIN messages m INDEXED BY messages_visible
               ON m.conversation_id = ?2 AND m.id = {WORDS}.rowid
             WHERE {WORDS} MATCH ?1 AND m.id < ?3 AND m.hidden = 0
             ORDER BY score, m.id LIMIT ?4"
        ))
        .bind(query::any_of(&words))
        .bind(conversation_id.0)
        .bind(before.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, rank)| (MessageId(id), -rank))
            .collect())
    }

    /// How many messages have each word, counted up to [`WORD_BUDGET`] + 1; known counts from the
    /// cache, the rest in one query.
    async fn word_counts(&self, words: &[String]) -> Result<Vec<(String, u32)>> {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for word in words {
            match self.word_counts.get(word) {
                Some(n) => known.push((word.clone(), n)),
                None => unknown.push(word.clone()),
            }
        }
        if !unknown.is_empty() {
            let quoted: Vec<String> = unknown
                .iter()
                .map(|w| query::any_of(std::slice::from_ref(w)))
                .collect();
            let counts: Vec<(i64,)> = sqlx::query_as(&format!(
                "SELECT (SELECT count(*) FROM (SELECT rowid FROM {WORDS}
                                               WHERE {WORDS} MATCH j.value LIMIT ?2))
                 FROM json_each(?1) j ORDER BY j.key"
            ))
            .bind(serde_json::to_string(&quoted).expect("strings serialise"))
            .bind(i64::from(WORD_BUDGET) + 1)
            .fetch_all(&self.pool)
            .await?;
            let counted: Vec<(String, u32)> = unknown
                .into_iter()
                .zip(counts)
                .map(|(w, (n,))| (w, u32::try_from(n).unwrap_or(u32::MAX)))
                .collect();
            self.word_counts.put(&counted);
            known.extend(counted);
        }
        Ok(known)
    }
}
