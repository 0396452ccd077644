//! Token counts: exact from the server's tokenizer (cached per message in the database), else an
//! estimate calibrated per model from the prompt tokens the server reports.

use futures_util::stream::{self, StreamExt};

use super::{ContextReport, ServerReports};
use crate::attachments::IMAGE_TOKEN_ESTIMATE;
use crate::llm::LlmClient;
use crate::store::{content_hash, Message, ModelProfile, Store, StoreError};

/// How many `/tokenize` requests run at once.
const TOKENIZE_CONCURRENCY: usize = 8;
/// The most text-count entries kept in memory (system prompts and summaries).
const TEXT_CACHE_ENTRIES: usize = 1024;

/// Estimated tokens of `text` at `bytes_per_token` (rounded up: better too many than too few).
pub fn estimate_tokens(text: &str, bytes_per_token: f64) -> u64 {
    if text.is_empty() {
        return 0;
    }
    (text.len() as f64 / bytes_per_token.max(0.5)).ceil() as u64
}

/// The text counts with each message's images added at [`IMAGE_TOKEN_ESTIMATE`] apiece: no server
/// counts an image before it is sent, so a message with one is never counted exactly.
/// The counts with each message's images (an estimate each) and tool calls (their names,
/// arguments and what the model is told of their results, estimated) added.
fn with_images(mut counts: Vec<(u64, bool)>, messages: &[Message]) -> Vec<(u64, bool)> {
    for (count, m) in counts.iter_mut().zip(messages) {
        if !m.tool_calls.is_empty() {
            let bytes: usize = m
                .tool_calls
                .iter()
                .map(|c| c.function_name.len() + c.arguments.len() + c.for_model().len() + 32)
                .sum();
            *count = (count.0 + (bytes as u64).div_ceil(4), false);
        }
        let images = m
            .attachments
            .iter()
            .filter(|a| a.kind == crate::attachments::AttachmentKind::Image)
            .count() as u64;
        if images > 0 {
            *count = (count.0 + images * IMAGE_TOKEN_ESTIMATE, false);
        }
    }
    counts
}

pub(crate) struct Counter<'a> {
    pub store: &'a Store,
    /// Set when the server can tokenize.
    pub client: Option<&'a LlmClient>,
    pub servers: &'a ServerReports,
    pub tokenizer: &'a str,
    pub bytes_per_token: f64,
}

impl Counter<'_> {
    /// Counts of `messages` (in their order): cached, else tokenized and cached, else estimated.
    pub async fn count_messages(
        &self,
        messages: &[Message],
    ) -> Result<Vec<(u64, bool)>, StoreError> {
        let refs: Vec<&Message> = messages.iter().collect();
        let cached = self.store.token_counts(self.tokenizer, &refs).await?;
        let mut counts: Vec<(u64, bool)> = cached
            .iter()
            .zip(messages)
            .map(|(c, m)| match c {
                Some(n) => (*n, true),
                None => (estimate_tokens(&m.content, self.bytes_per_token), false),
            })
            .collect();
        let Some(client) = self.client else {
            return Ok(with_images(counts, messages));
        };
        let missing: Vec<usize> = (0..messages.len())
            .filter(|&i| cached[i].is_none() && super::sendable(&messages[i]))
            .collect();
        if missing.is_empty() {
            return Ok(with_images(counts, messages));
        }
        let counted: Vec<(usize, Option<usize>)> = stream::iter(missing)
            .map(|i| async move { (i, client.tokenize(&messages[i].content).await) })
            .buffer_unordered(TOKENIZE_CONCURRENCY)
            .collect()
            .await;
        let mut to_save = Vec::new();
        for (i, n) in counted {
            if let Some(n) = n {
                counts[i] = (n as u64, true);
                // A reply still streaming changes: count it, but do not cache it.
                if messages[i].status != crate::store::MessageStatus::Streaming {
                    to_save.push((&messages[i], n as u64));
                }
            }
        }
        if let Err(err) = self.store.save_token_counts(self.tokenizer, &to_save).await {
            tracing::warn!(%err, "could not cache token counts");
        }
        Ok(with_images(counts, messages))
    }

    /// The count of a text that is not a message (system prompt, summary), memoised in memory.
    pub async fn count_text(&self, text: &str) -> (u64, bool) {
        let key = (self.tokenizer.to_owned(), content_hash(text));
        if let Some(n) = self
            .servers
            .texts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return (*n, true);
        }
        if let Some(client) = self.client {
            if let Some(n) = client.tokenize(text).await {
                let mut texts = self.servers.texts.lock().unwrap_or_else(|e| e.into_inner());
                if texts.len() >= TEXT_CACHE_ENTRIES {
                    texts.clear();
                }
                texts.insert(key, n as u64);
                return (n as u64, true);
            }
        }
        (estimate_tokens(text, self.bytes_per_token), false)
    }
}

/// How fast the calibration follows new evidence (an exponential moving average; the first
/// samples weigh more).
fn weight(samples: u64) -> f64 {
    (1.0 / (samples as f64 + 1.0)).max(0.2)
}

/// Folds one observation into the profile: the server counted `actual` prompt tokens for a
/// request built with `report`. Exact counts measure the template's per-message overhead;
/// estimated ones calibrate bytes per token. Either way the estimate's error is recorded.
pub(crate) fn update_calibration(profile: &mut ModelProfile, report: &ContextReport, actual: u64) {
    if actual == 0 {
        return;
    }
    let messages = report.items.len() as f64 + 1.0; // the reply's own header counts too
    let exact_tokens: u64 = report
        .items
        .iter()
        .filter(|i| i.exact)
        .map(|i| i.tokens)
        .sum();
    let est_bytes: u64 = report
        .items
        .iter()
        .filter(|i| !i.exact)
        .map(|i| i.bytes)
        .sum();
    let w = weight(profile.calibration_samples);
    if est_bytes == 0 {
        // Everything was counted exactly: what remains is the template.
        let overhead = (actual as f64 - exact_tokens as f64) / messages;
        if overhead.is_finite() {
            let overhead = overhead.clamp(0.0, 64.0);
            profile.per_message_overhead = profile.per_message_overhead * (1.0 - w) + overhead * w;
        }
    } else {
        let templated = profile.per_message_overhead * messages;
        let est_actual = actual as f64 - exact_tokens as f64 - templated;
        if est_actual >= 1.0 {
            let sample = (est_bytes as f64 / est_actual).clamp(1.0, 8.0);
            profile.bytes_per_token = profile.bytes_per_token * (1.0 - w) + sample * w;
        }
    }
    let expected = report.expected_prompt_tokens() as f64;
    let error = (expected - actual as f64) / actual as f64;
    profile.last_estimate_error = Some(error);
    profile.mean_abs_estimate_error = Some(match profile.mean_abs_estimate_error {
        Some(mean) => mean * (1.0 - w) + error.abs() * w,
        None => error.abs(),
    });
    profile.calibration_samples += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::WireRole;
    use crate::memory::{ContextSource, Included, Part};
    use crate::settings::Strategy;
    use crate::store::{ConversationId, MessageId};

    fn report(items: Vec<(u64, bool, u64)>, overhead: u64) -> ContextReport {
        let items: Vec<Included> = items
            .into_iter()
            .enumerate()
            .map(|(i, (tokens, exact, bytes))| Included {
                part: Part::Recent {
                    message_id: MessageId(i as i64 + 1),
                },
                role: WireRole::User,
                tokens,
                exact,
                bytes,
                why: String::new(),
            })
            .collect();
        let used = items.iter().map(|i| i.tokens + overhead).sum();
        ContextReport {
            conversation_id: ConversationId(1),
            strategy: Strategy::SummaryWindow,
            tokenizer: "t".into(),
            context_length: 4096,
            context_source: ContextSource::Default,
            reply_reserve: 1024,
            per_message_overhead: overhead,
            budget: 3000,
            used,
            exact: false,
            bytes_per_token: 3.0,
            items,
            left_out: vec![],
            summary_pending: false,
            notes: vec![],
            recall: None,
        }
    }

    #[test]
    fn estimates_round_up() {
        assert_eq!(estimate_tokens("", 3.0), 0);
        assert_eq!(estimate_tokens("abc", 3.0), 1);
        assert_eq!(estimate_tokens("abcd", 3.0), 2);
    }

    #[test]
    fn estimated_counts_calibrate_bytes_per_token_towards_the_truth() {
        // 4000 bytes of text that really are 1000 tokens, in 4 messages with 5 tokens of
        // template each (plus the reply's header).
        let mut profile = ModelProfile::new("t");
        profile.per_message_overhead = 5.0;
        let truth = 1000 + 5 * 5;
        for _ in 0..20 {
            let est =
                |bytes: u64| estimate_tokens(&"x".repeat(bytes as usize), profile.bytes_per_token);
            let r = report(vec![(est(1000), false, 1000); 4], 5);
            update_calibration(&mut profile, &r, truth);
        }
        assert!(
            (profile.bytes_per_token - 4.0).abs() < 0.05,
            "{}",
            profile.bytes_per_token
        );
        assert!(profile.last_estimate_error.unwrap().abs() < 0.02);
        assert_eq!(profile.calibration_samples, 20);
    }

    #[test]
    fn exact_counts_measure_the_template_overhead() {
        let mut profile = ModelProfile::new("t");
        for _ in 0..20 {
            // 3 messages of 100 tokens; the server says 300 + 4 × 4.
            update_calibration(&mut profile, &report(vec![(100, true, 400); 3], 8), 316);
        }
        assert!((profile.per_message_overhead - 4.0).abs() < 0.1);
        assert_eq!(
            profile.bytes_per_token,
            crate::store::DEFAULT_BYTES_PER_TOKEN
        );
    }
}
