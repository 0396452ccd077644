//! Search for a person, with recall's embedding model: the word matches of
//! [`Store::search`](crate::store::Store::search), and on the first page the messages closest in
//! meaning, fused by reciprocal rank (as recall fuses them for the model: BM25 scores and cosine
//! similarities are not on one scale, ranks are).

use super::{ChatError, ChatService};
use crate::recall::QUERY_TIMEOUT;
use crate::settings::AppSettings;
use crate::store::{Matched, MessageId, SearchHit, SearchQuery, SearchResults};

/// How many messages close in meaning are looked at.
const BY_MEANING: usize = 20;
/// The reciprocal-rank-fusion constant.
const RRF_K: f64 = 60.0;

impl ChatService {
    /// One page of search results; with `query.meaning`, the first page also has the messages
    /// closest in meaning (marked [`Matched::Meaning`] or [`Matched::Both`]), or says why not.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults, ChatError> {
        let mut results = self.store.search(query).await?;
        if !query.meaning || query.offset > 0 {
            return Ok(results);
        }
        match self.by_meaning(query).await? {
            Err(note) => results.meaning_note = Some(note),
            Ok(similar) => {
                let limit = results.hits.len().max(match query.limit {
                    0 => 20,
                    n => n as usize,
                });
                let mut fused: Vec<(f64, SearchHit)> = results
                    .hits
                    .drain(..)
                    .enumerate()
                    .map(|(rank, hit)| (1.0 / (RRF_K + rank as f64 + 1.0), hit))
                    .collect();
                for (rank, (id, _)) in similar.iter().enumerate() {
                    let score = 1.0 / (RRF_K + rank as f64 + 1.0);
                    match fused.iter_mut().find(|(_, h)| h.message_id == *id) {
                        Some((s, hit)) => {
                            *s += score;
                            hit.matched = Matched::Both;
                        }
                        None => {
                            if let Some(hit) = self.store.meaning_hit(*id, query).await? {
                                fused.push((score, hit));
                            }
                        }
                    }
                }
                fused.sort_by(|a, b| b.0.total_cmp(&a.0));
                fused.truncate(limit);
                results.hits = fused
                    .into_iter()
                    .map(|(score, mut hit)| {
                        hit.score = score;
                        hit
                    })
                    .collect();
            }
        }
        Ok(results)
    }

    async fn by_meaning(
        &self,
        query: &SearchQuery,
    ) -> Result<Result<Vec<(MessageId, f32)>, String>, ChatError> {
        let settings = AppSettings::load(&self.store).await.recall;
        let embedder = match self.recall.embedder(&settings, &self.client()).await {
            Ok(e) => e,
            Err(why) => return Ok(Err(why)),
        };
        let cancel = tokio_util::sync::CancellationToken::new();
        let made =
            tokio::time::timeout(QUERY_TIMEOUT, embedder.embed(&[&query.text], &cancel)).await;
        let v = match made {
            Ok(Ok(v)) => v.into_iter().next().flatten(),
            Ok(Err(e)) => return Ok(Err(format!("the embedding model could not be used: {e}"))),
            Err(_) => return Ok(Err("the embedding model took too long".into())),
        };
        let Some(v) = v else {
            return Ok(Ok(Vec::new()));
        };
        Ok(self
            .recall
            .similar_anywhere(
                &self.store,
                &embedder.key,
                &v,
                query.conversation_id,
                BY_MEANING,
            )
            .await?)
    }
}
