//! The context report: what a request carries, what was left out and why. The inspectors show
//! it, and the chat service learns from it after each answer.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::SUMMARY_HEADING;
use crate::llm::{ChatRequest, WireRole};
use crate::settings::Strategy;
use crate::store::{ConversationId, MessageId, SummaryId};

/// Where the context length came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ContextSource {
    /// The chat's own `params.context_length`.
    ChatSetting,
    /// The app's settings override what the server says.
    AppSetting,
    /// The server said (llama.cpp `/props`, `/v1/models`, LM Studio, Ollama).
    Server,
    /// The user's setting for this model.
    ModelSetting,
    /// A "context exceeded" answer revealed it.
    Learned,
    /// Nobody said: [`DEFAULT_CONTEXT_LENGTH`].
    Default,
}

/// One part of the request, in the order it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "ContextPart")]
pub enum Part {
    SystemPrompt,
    Summary {
        summary_id: SummaryId,
        covers_through: MessageId,
        edited_by_user: bool,
    },
    Pinned {
        message_id: MessageId,
    },
    Recent {
        message_id: MessageId,
    },
    /// An earlier message found relevant to the new one (the recall strategy), sent in the
    /// retrieved-history block at the start of the newest user message.
    Recalled {
        message_id: MessageId,
        /// The fused score (reciprocal rank fusion; higher is better).
        score: f64,
        source: RecallSource,
    },
}

/// How a recalled message was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecallSource {
    /// It has words of the new message (the word index).
    Words,
    /// It is close in meaning (embedding vectors).
    Vectors,
    /// Both.
    Both,
    /// The other half of a turn that was found (its question or its answer).
    Turn,
}

/// What the recall strategy found and chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecallReport {
    /// The embedding model that took part (`<server root>#<model>`), if any.
    pub embedding_model: Option<String>,
    /// Why recall used words alone, when it did.
    pub words_only_reason: Option<String>,
    /// The tokens recall may take (a quarter of the budget) and took.
    pub share: u64,
    pub used: u64,
    /// How many earlier messages were found, before choosing.
    pub found: u32,
    /// Found, but there was no room for their turn, best first.
    pub left_out: Vec<RecallCandidate>,
}

/// A message recall found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecallCandidate {
    pub message_id: MessageId,
    pub score: f64,
    pub source: RecallSource,
    /// Tokens its whole turn would take.
    pub tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "ContextItem")]
pub struct Included {
    pub part: Part,
    pub role: WireRole,
    /// Tokens of the text itself (the template's per-message overhead comes on top).
    pub tokens: u64,
    /// Counted by the server's tokenizer rather than estimated.
    pub exact: bool,
    pub bytes: u64,
    /// Why it is there, for a person.
    pub why: String,
}

/// Why messages were left out of the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// Folded into the rolling summary that is sent instead.
    Summarized,
    /// Older than the window and not in the summary yet: the next fold takes them in.
    #[default]
    AwaitingSummary,
    /// Older than the sliding window.
    OutsideWindow,
    /// A reply that failed: it carries nothing the model said.
    Failed,
    /// A reply with no text.
    Empty,
    /// Pinned, but the context had no room left for it.
    PinnedDidNotFit,
}

/// A run of consecutive messages left out for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LeftOut {
    pub first: MessageId,
    pub last: MessageId,
    /// How many; `None` for a long run that was not counted (over a thousand messages).
    pub count: Option<u64>,
    pub reason: LeftOutReason,
}

/// What a request carries and why: the context inspector's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ContextReport {
    pub conversation_id: ConversationId,
    pub strategy: Strategy,
    /// The server and model whose tokenizer counted (or whose calibration estimated).
    pub tokenizer: String,
    pub context_length: u64,
    pub context_source: ContextSource,
    /// Tokens kept free for the reply (`max_tokens`).
    pub reply_reserve: u64,
    /// Tokens the chat template adds per message (measured, or a conservative default).
    pub per_message_overhead: u64,
    /// Tokens available for the messages: context − reply reserve − the reply's own overhead.
    pub budget: u64,
    /// Tokens the included parts take, overheads included.
    pub used: u64,
    /// Every count came from the server's tokenizer.
    pub exact: bool,
    /// The estimate's calibration when counts are estimated: UTF-8 bytes per token.
    pub bytes_per_token: f64,
    pub items: Vec<Included>,
    /// Left-out messages, oldest first.
    pub left_out: Vec<LeftOut>,
    /// Messages older than the window exist that the summary does not cover yet.
    pub summary_pending: bool,
    /// Anything else worth saying (e.g. the summary did not fit).
    pub notes: Vec<String>,
    /// What recall found and chose (the recall strategy only).
    pub recall: Option<RecallReport>,
}

impl ContextReport {
    /// The tokens the prompt is expected to take, as the server will count them.
    pub fn expected_prompt_tokens(&self) -> u64 {
        self.used + self.per_message_overhead
    }

    /// Whether the conversation should fold older turns into its summary now: there are turns
    /// the summary misses, or the window is over four fifths full (fold before it overflows, so
    /// the next requests keep a stable prefix).
    pub fn needs_fold(&self) -> bool {
        self.strategy.summarizes()
            && (self.summary_pending
                || (self.used * 5 > self.budget * 4
                    && self
                        .items
                        .iter()
                        .filter(|i| matches!(i.part, Part::Recent { .. }))
                        .count()
                        >= 4))
    }

    /// The first message of the window (the oldest recent message sent).
    pub fn window_start(&self) -> Option<MessageId> {
        self.items.iter().find_map(|i| match i.part {
            Part::Recent { message_id } => Some(message_id),
            _ => None,
        })
    }
}

/// A request ready to send, and the report of how it was built.
#[derive(Debug, Clone)]
pub struct BuiltContext {
    pub request: ChatRequest,
    pub report: ContextReport,
    /// For the sliding window: where the window now starts, to be stored once the request is
    /// sent.
    pub new_window_start: Option<MessageId>,
    /// The retrieved-history block, when recall sent one: the wire message it starts, the length
    /// of the block (heading and entries) before the message's own text, and each entry's text in
    /// the report's order.
    pub recall_block: Option<RecallBlock>,
}

/// Where the retrieved-history block went (see [`BuiltContext::recall_block`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallBlock {
    pub wire_index: usize,
    pub prefix_len: usize,
    pub entries: Vec<String>,
}

impl BuiltContext {
    /// The text of each report item, in the report's order (on the wire the system prompt and
    /// the summary travel as one system message).
    pub fn item_texts(&self) -> Vec<String> {
        let mut wire = self.request.messages.iter().enumerate();
        let has_system = self
            .report
            .items
            .iter()
            .any(|i| matches!(i.part, Part::SystemPrompt | Part::Summary { .. }));
        let system = if has_system { wire.next() } else { None };
        let system = system.map_or("", |(_, m)| m.content.as_str());
        let summary_at = system.find(SUMMARY_HEADING);
        let mut entries = self
            .recall_block
            .iter()
            .flat_map(|b| b.entries.iter().cloned());
        self.report
            .items
            .iter()
            .map(|item| match item.part {
                Part::SystemPrompt => {
                    system[..summary_at.map_or(system.len(), |i| i.saturating_sub(2))].to_owned()
                }
                Part::Summary { .. } => summary_at.map_or(String::new(), |i| {
                    system[i + SUMMARY_HEADING.len()..]
                        .trim_start_matches('\n')
                        .to_owned()
                }),
                Part::Recalled { .. } => entries.next().unwrap_or_default(),
                _ => wire
                    .next()
                    .map_or(String::new(), |(i, m)| match &self.recall_block {
                        Some(b) if b.wire_index == i => m.content[b.prefix_len..].to_owned(),
                        _ => m.content.clone(),
                    }),
            })
            .collect()
    }
}

/// Appends a left-out run, merging it into the previous one when they are adjacent and agree.
pub(super) fn push_left_out(
    runs: &mut Vec<LeftOut>,
    first: MessageId,
    last: MessageId,
    count: Option<u64>,
    reason: LeftOutReason,
) {
    if let Some(prev) = runs.last_mut() {
        if prev.reason == reason
            && prev.last.0 < first.0
            && matches!(
                reason,
                LeftOutReason::AwaitingSummary | LeftOutReason::OutsideWindow
            )
        {
            prev.last = last;
            prev.count = prev.count.zip(count).map(|(a, b)| a + b);
            return;
        }
    }
    runs.push(LeftOut {
        first,
        last,
        count,
        reason,
    });
}
