//! The background indexer: embeds every message that has no vector from the current embedding
//! model, oldest first, in batches, and saves each batch in one transaction.
//!
//! - **Resumes** after a restart: what is saved stays; it asks the database what is missing.
//! - **Re-indexes** when the model changes: vectors are kept per model, so a new model's pass
//!   starts from the first message (each new vector replaces the old model's).
//! - **Never delays a send**: it waits while any reply streams, and the request path never waits
//!   for it (a new message is embedded on its own when it is sent).
//! - After catching up it sleeps until woken (a reply finished, the settings changed) and, every
//!   few minutes, makes a pass from the start for messages whose text changed.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Recall, RecallStatus};
use crate::llm::{LlmClient, LlmError};
use crate::settings::AppSettings;
use crate::store::{MessageId, Store};

/// Messages embedded per request.
pub const INDEX_BATCH: u32 = 32;
/// How long the indexer sleeps when it has caught up (unless woken).
const IDLE: Duration = Duration::from_secs(300);
/// How long it waits after the embedding server failed.
const AFTER_FAILURE: Duration = Duration::from_secs(30);
/// How often it looks again whether replies are still streaming.
const BUSY_POLL: Duration = Duration::from_millis(250);

/// Runs the indexer until `shutdown`. `chat_client` gives the chat server in use now; `busy`
/// says whether a reply is streaming (the indexer waits then).
pub async fn run_indexer<C, B>(
    store: Store,
    recall: Arc<Recall>,
    chat_client: C,
    busy: B,
    shutdown: CancellationToken,
) where
    C: Fn() -> LlmClient + Send,
    B: Fn() -> bool + Send,
{
    let mut cursor = MessageId(0);
    let mut key: Option<String> = None;
    let sleep = |d: Duration| {
        let recall = recall.clone();
        let shutdown = shutdown.clone();
        async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = recall.wake.notified() => {}
                _ = tokio::time::sleep(d) => return true,
            }
            false
        }
    };
    while !shutdown.is_cancelled() {
        while busy() && !shutdown.is_cancelled() {
            tokio::time::sleep(BUSY_POLL).await;
        }
        let settings = AppSettings::load(&store).await.recall;
        let embedder = match recall.embedder(&settings, &chat_client()).await {
            Ok(e) => e,
            Err(why) => {
                recall.set_status(|s| {
                    *s = RecallStatus {
                        words_only_reason: Some(why),
                        ..RecallStatus::default()
                    }
                });
                key = None;
                sleep(AFTER_FAILURE).await;
                continue;
            }
        };
        if key.as_deref() != Some(embedder.key.as_str()) {
            key = Some(embedder.key.clone());
            cursor = MessageId(0);
            if !count(&store, &recall, &embedder.key).await {
                sleep(AFTER_FAILURE).await;
                continue;
            }
        }
        let batch = match store
            .unindexed_messages(&embedder.key, cursor, INDEX_BATCH)
            .await
        {
            Ok(b) => b,
            Err(err) => {
                tracing::warn!(%err, "the indexer could not read messages");
                sleep(AFTER_FAILURE).await;
                continue;
            }
        };
        if batch.is_empty() {
            recall.set_status(|s| s.indexing = false);
            count(&store, &recall, &embedder.key).await;
            if sleep(IDLE).await {
                // Nothing new for a while: the next pass starts from the first message, for
                // messages whose text changed (they lost their vector).
                cursor = MessageId(0);
            }
            continue;
        }
        recall.set_status(|s| {
            s.indexing = true;
            s.embedding_model = Some(embedder.key.clone());
            s.words_only_reason = None;
        });
        let texts: Vec<&str> = batch.iter().map(|m| m.content.as_str()).collect();
        let made = tokio::select! {
            _ = shutdown.cancelled() => return,
            made = embedder.embed(&texts, &shutdown) => made,
        };
        let vectors = match made {
            Ok(v) => v,
            Err(err) => {
                let why = err.to_string();
                tracing::warn!(error = %why, "the indexer could not embed messages");
                if matches!(
                    err,
                    LlmError::NoEmbeddings { .. } | LlmError::ModelNotFound { .. }
                ) {
                    recall.embedder_failed(&embedder, why.clone());
                }
                recall.set_status(|s| {
                    s.indexing = false;
                    s.words_only_reason = Some(why);
                });
                key = None;
                sleep(AFTER_FAILURE).await;
                continue;
            }
        };
        let rows: Vec<(MessageId, &str, Vec<u8>)> = batch
            .iter()
            .zip(vectors)
            .filter_map(|(m, v)| {
                Some((
                    MessageId(m.id),
                    m.content.as_str(),
                    super::vector::to_bytes(&v?),
                ))
            })
            .collect();
        let dims = rows.first().map_or(0, |r| r.2.len());
        match store.save_vectors(&embedder.key, dims, &rows).await {
            Ok(saved) => recall.set_status(|s| s.indexed = (s.indexed + saved as u64).min(s.total)),
            Err(err) => {
                tracing::warn!(%err, "the indexer could not save vectors");
                sleep(AFTER_FAILURE).await;
                continue;
            }
        }
        cursor = batch.last().map_or(cursor, |m| MessageId(m.id));
    }
}

/// Reads how far the index is; false when the database could not say.
async fn count(store: &Store, recall: &Recall, key: &str) -> bool {
    match store.index_count(key).await {
        Ok(c) => {
            recall.set_status(|s| {
                s.embedding_model = Some(key.to_owned());
                s.words_only_reason = None;
                s.indexed = c.indexed;
                s.total = c.total;
            });
            true
        }
        Err(err) => {
            tracing::warn!(%err, "the indexer could not count messages");
            false
        }
    }
}
