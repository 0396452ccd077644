//! Recall: finding the earlier messages of a chat that matter to a new one, by words and by
//! meaning, so that a fact from turn 12 of a 900-turn chat can reach the model again.
//!
//! - **Words**: the word index (FTS5, BM25) with the new message's topic words, any of them.
//! - **Meaning**: each message's embedding vector (`POST /v1/embeddings` of the chat server or of
//!   a server set in Settings → Recall), kept in SQLite (`message_vectors`) by a background
//!   indexer (`index.rs`) that never delays a send; held in memory per chat and read again only
//!   where new, and scored there (`scan.rs`: every vector in a chat of up to a few thousand,
//!   a shortlist by sign bits first in longer ones).
//! - The two rankings are fused by reciprocal rank fusion (`memory`'s recall step): it needs no
//!   calibration between a BM25 score and a cosine similarity, which are not comparable, and a
//!   message found both ways rises to the top.
//!
//! Without an embedding model, recall uses the words alone and says so ([`RecallStatus`]).

mod index;
mod scan;
pub mod vector;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

pub use index::run_indexer;

use crate::llm::{Endpoint, LlmClient, LlmError};
use crate::settings::RecallSettings;
use crate::store::{ConversationId, MessageId, Result as StoreResult, Store};

/// The most characters of a message that are embedded: embedding models read a few hundred
/// tokens (llama.cpp refuses more than its batch), and a message's start says what it is about.
pub const EMBED_CHARS: usize = 2_000;
/// How long a query embedding may take before the request goes on with words alone.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Vectors less similar than this are not "close in meaning": unrelated text scores around 0.1
/// with common embedding models (and 0 with the test vectors).
pub const MIN_SIMILARITY: f32 = 0.3;
/// The most vectors a search by meaning across every chat reads.
pub const MAX_SEARCH_VECTORS: u64 = 200_000;
/// How many chats' vectors are kept in memory.
const CACHED_CHATS: usize = 8;
/// How long "no embedding model" is believed before the server is asked again.
const RESOLVE_AGAIN: Duration = Duration::from_secs(60);

/// The embedding model recall uses: a client for its server and the model id to ask for.
#[derive(Debug, Clone)]
pub struct Embedder {
    pub client: LlmClient,
    /// The model asked for (`None`: the server's only model).
    pub model: Option<String>,
    /// What vectors are stored under: `<server root>#<model>`.
    pub key: String,
}

impl Embedder {
    fn new(client: LlmClient, model: Option<String>) -> Self {
        let key = format!(
            "{}#{}",
            client.endpoint().root(),
            model.as_deref().unwrap_or("")
        );
        Self { client, model, key }
    }

    /// The vectors of `texts` (each cut to [`EMBED_CHARS`]), quantised; a text whose vector is
    /// zero gets `None`.
    pub async fn embed(
        &self,
        texts: &[&str],
        cancel: &CancellationToken,
    ) -> Result<Vec<Option<Vec<i8>>>, LlmError> {
        let cut: Vec<&str> = texts.iter().map(|t| cut(t)).collect();
        let embeddings = self
            .client
            .embed(self.model.as_deref(), &cut, cancel)
            .await?;
        Ok(embeddings
            .vectors
            .iter()
            .map(|v| vector::quantize(v))
            .collect())
    }
}

fn cut(text: &str) -> &str {
    match text.char_indices().nth(EMBED_CHARS) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// What recall can use right now, for the app and the CLI to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecallStatus {
    /// The embedding model in use (`<server root>#<model>`), or `None`: words alone.
    pub embedding_model: Option<String>,
    /// Why recall uses words alone, when it does.
    pub words_only_reason: Option<String>,
    /// Messages with a vector from the model, of how many.
    pub indexed: u64,
    pub total: u64,
    /// Whether the indexer is embedding messages now.
    pub indexing: bool,
}

/// Recall's state in one process: the embedding model found, the chats' vectors in memory, the
/// indexer's progress. Share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct Recall {
    resolved: Mutex<Option<Resolved>>,
    vectors: Mutex<HashMap<ConversationId, ChatVectors>>,
    status: Mutex<RecallStatus>,
    /// Wakes the indexer: new messages, other settings.
    wake: Notify,
    status_changed: Option<tokio::sync::watch::Sender<RecallStatus>>,
}

#[derive(Debug, Clone)]
struct Resolved {
    /// The settings and chat server it was resolved for.
    for_key: String,
    result: std::result::Result<Embedder, String>,
    at: Instant,
}

/// One chat's vectors from one model, as read so far.
#[derive(Debug, Default)]
struct ChatVectors {
    key: String,
    last_row: i64,
    /// Shared with a search running on a blocking thread.
    table: Arc<Mutex<scan::Table>>,
    position: HashMap<i64, usize>,
    used: u64,
}

impl Recall {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            status_changed: Some(tokio::sync::watch::channel(RecallStatus::default()).0),
            ..Self::default()
        })
    }

    /// The status now.
    pub fn status(&self) -> RecallStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every change of [`Recall::status`], for a front end to show (the indexer's progress).
    pub fn watch(&self) -> tokio::sync::watch::Receiver<RecallStatus> {
        match &self.status_changed {
            Some(tx) => tx.subscribe(),
            None => tokio::sync::watch::channel(self.status()).1,
        }
    }

    pub(crate) fn set_status(&self, change: impl FnOnce(&mut RecallStatus)) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        let before = status.clone();
        change(&mut status);
        if *status != before {
            if let Some(tx) = &self.status_changed {
                tx.send_replace(status.clone());
            }
        }
    }

    /// Tells the indexer there may be new messages (after a reply), or other settings.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Forgets the embedding model found, so the next use asks again (the settings or the chat
    /// server changed), and wakes the indexer.
    pub fn settings_changed(&self) {
        *self.resolved.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.wake();
    }

    /// The embedding model to use with these settings and this chat server, or why there is
    /// none. Remembered; "none" is asked again after a minute.
    pub async fn embedder(
        &self,
        settings: &RecallSettings,
        chat: &LlmClient,
    ) -> std::result::Result<Embedder, String> {
        let for_key = format!(
            "{}|{:?}|{:?}|{}",
            chat.endpoint().root(),
            settings.endpoint,
            settings.model,
            settings.embeddings
        );
        if let Some(r) = self
            .resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            if r.for_key == for_key && (r.result.is_ok() || r.at.elapsed() < RESOLVE_AGAIN) {
                return r.result.clone();
            }
        }
        let result = resolve(settings, chat).await;
        *self.resolved.lock().unwrap_or_else(|e| e.into_inner()) = Some(Resolved {
            for_key,
            result: result.clone(),
            at: Instant::now(),
        });
        result
    }

    /// Marks the embedder as not working (the server said it makes no embeddings), so that
    /// requests go on with words alone until it is asked again.
    pub(crate) fn embedder_failed(&self, embedder: &Embedder, why: String) {
        let mut resolved = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = resolved.as_mut() {
            if r.result.as_ref().is_ok_and(|e| e.key == embedder.key) {
                r.result = Err(why);
                r.at = Instant::now();
            }
        }
    }

    /// The vector of `message_id` from `embedder`: stored, or made now (and stored) from `text`.
    pub async fn message_vector(
        &self,
        store: &Store,
        embedder: &Embedder,
        message_id: MessageId,
        text: &str,
    ) -> std::result::Result<Option<Vec<i8>>, RecallError> {
        if let Some(bytes) = store.message_vector(message_id, &embedder.key).await? {
            return Ok(Some(vector::from_bytes(&bytes)));
        }
        let cancel = CancellationToken::new();
        let made = tokio::time::timeout(QUERY_TIMEOUT, embedder.embed(&[text], &cancel))
            .await
            .map_err(|_| RecallError::Slow)??;
        let Some(v) = made.into_iter().next().flatten() else {
            return Ok(None);
        };
        store
            .save_vectors(
                &embedder.key,
                v.len(),
                &[(message_id, text, vector::to_bytes(&v))],
            )
            .await?;
        Ok(Some(v))
    }

    /// The conversation's messages before `before` most similar to `query` by `key`'s vectors,
    /// best first, at most `limit`, with their similarity (at least [`MIN_SIMILARITY`]).
    pub async fn similar(
        &self,
        store: &Store,
        conversation_id: ConversationId,
        key: &str,
        query: &[i8],
        before: MessageId,
        limit: usize,
    ) -> StoreResult<Vec<(MessageId, f32)>> {
        self.refresh(store, conversation_id, key).await?;
        let table = {
            let mut vectors = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
            let Some(chat) = vectors.get_mut(&conversation_id) else {
                return Ok(Vec::new());
            };
            chat.used = now_tick();
            Arc::clone(&chat.table)
        };
        let query = query.to_vec();
        let small = lock(&table).len() <= scan::EXACT_UP_TO;
        let nearest = move || lock(&table).nearest(&query, before.0, limit, MIN_SIMILARITY);
        let found = if small {
            nearest()
        } else {
            // Milliseconds of arithmetic in a long chat: on a thread of its own, not one of the
            // async threads the rest of the app runs on.
            tokio::task::spawn_blocking(nearest)
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        };
        Ok(found
            .into_iter()
            .map(|(id, s)| (MessageId(id), s))
            .collect())
    }

    /// Messages closest in meaning to `query` in one chat, or in all of them (read from SQLite
    /// each time, so refused over [`MAX_SEARCH_VECTORS`] with what to do instead), best first.
    pub async fn similar_anywhere(
        &self,
        store: &Store,
        key: &str,
        query: &[i8],
        conversation_id: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<std::result::Result<Vec<(MessageId, f32)>, String>> {
        if let Some(c) = conversation_id {
            return Ok(Ok(self
                .similar(store, c, key, query, MessageId(i64::MAX), limit)
                .await?));
        }
        let count = store.vector_count(key).await?;
        if count > MAX_SEARCH_VECTORS {
            return Ok(Err(format!(
                "{count} messages are too many to compare by meaning across every chat — search \
                 one chat for that"
            )));
        }
        let mut best: Vec<(MessageId, f32)> = Vec::new();
        for row in store.all_vectors(key).await? {
            if row.vector.len() != query.len() {
                continue;
            }
            let s = vector::similarity(&vector::from_bytes(&row.vector), query);
            if s >= MIN_SIMILARITY {
                best.push((MessageId(row.message_id), s));
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        best.truncate(limit);
        Ok(Ok(best))
    }

    /// Reads the conversation's vectors written since last time.
    async fn refresh(
        &self,
        store: &Store,
        conversation_id: ConversationId,
        key: &str,
    ) -> StoreResult<()> {
        let after = {
            let vectors = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
            match vectors.get(&conversation_id) {
                Some(chat) if chat.key == key => chat.last_row,
                _ => 0,
            }
        };
        let rows = store.chat_vectors(conversation_id, key, after).await?;
        let mut vectors = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        let chat = vectors.entry(conversation_id).or_default();
        if chat.key != key || after == 0 {
            *chat = ChatVectors {
                key: key.to_owned(),
                ..ChatVectors::default()
            };
        }
        let mut table = lock(&chat.table);
        for row in rows {
            if table.len() == 0 {
                *table = scan::Table::new(row.vector.len());
            }
            chat.last_row = chat.last_row.max(row.row);
            if row.vector.len() != table.dims() {
                continue;
            }
            let v = vector::from_bytes(&row.vector);
            match chat.position.get(&row.message_id) {
                Some(&place) => table.replace(place, &v),
                None => {
                    let place = table.push(row.message_id, &v);
                    chat.position.insert(row.message_id, place);
                }
            }
        }
        drop(table);
        chat.used = now_tick();
        if vectors.len() > CACHED_CHATS {
            let oldest = vectors
                .iter()
                .filter(|(id, _)| **id != conversation_id)
                .min_by_key(|(_, c)| c.used)
                .map(|(id, _)| *id);
            if let Some(id) = oldest {
                vectors.remove(&id);
            }
        }
        Ok(())
    }
}

fn lock(table: &Mutex<scan::Table>) -> std::sync::MutexGuard<'_, scan::Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_tick() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static TICK: AtomicU64 = AtomicU64::new(0);
    TICK.fetch_add(1, Ordering::Relaxed)
}

/// Why a message's vector could not be had.
#[derive(Debug, thiserror::Error)]
pub enum RecallError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("the embedding server took over {QUERY_TIMEOUT:?}")]
    Slow,
}

/// Finds the embedding model: the one set, else one the server lists as an embedding model, else
/// (on a server set for embeddings alone) its only model.
async fn resolve(
    settings: &RecallSettings,
    chat: &LlmClient,
) -> std::result::Result<Embedder, String> {
    if !settings.embeddings {
        return Err("embeddings are turned off in Settings → Recall".into());
    }
    let client = match &settings.endpoint {
        Some(url) => {
            let endpoint = Endpoint::new(url, chat.endpoint().api_key.clone())
                .map_err(|e| format!("the embedding server: {e}"))?;
            LlmClient::new(endpoint, chat.timeouts(), Default::default())
        }
        None => chat.clone(),
    };
    if let Some(model) = &settings.model {
        return Ok(Embedder::new(client, Some(model.clone())));
    }
    let found = client.embedding_models().await;
    if let Some(model) = found.into_iter().next() {
        return Ok(Embedder::new(client, Some(model)));
    }
    if settings.endpoint.is_some() {
        // A server of its own for embeddings (llama-server --embeddings) serves one model.
        if let Ok(models) = client.list_models().await {
            if let [only] = models.as_slice() {
                return Ok(Embedder::new(client, Some(only.id.clone())));
            }
        }
    }
    Err(format!(
        "{} lists no embedding model — load one (e.g. nomic-embed-text in LM Studio or Ollama) \
         or set an embedding server in Settings → Recall",
        client.endpoint().root()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_at_a_character() {
        let text = "é".repeat(EMBED_CHARS + 10);
        assert_eq!(cut(&text).chars().count(), EMBED_CHARS);
        assert_eq!(cut("short"), "short");
    }
}
