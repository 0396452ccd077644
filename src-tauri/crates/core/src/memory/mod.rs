//! Memory: builds the message list each request carries, from the database, within the model's
//! real token budget — and reports exactly what it chose and why.
//!
//! The model keeps no state, so every request is rebuilt here from what is saved:
//!
//! 1. the system prompt;
//! 2. the conversation's rolling summary of older turns ([`summarize`]);
//! 3. the messages the user pinned;
//! 4. as many recent messages as fit, newest backwards, never splitting a message and never
//!    dropping the newest one.
//!
//! The same [`build`] serves sending and the inspectors (`confab-cli context`, the app's memory
//! panel), so what the user sees is what is sent. Token counts are exact where the server has a
//! tokenizer (llama.cpp `/tokenize`, cached per message in the database), else estimated with a
//! ratio calibrated from the `prompt_tokens` the server reports after each request.
//!
//! The window is kept **prompt-cache friendly**: it starts right after the summary (or, for the
//! sliding window, at a stored anchor) and only moves in large steps, so between two requests of
//! a conversation the earlier one is a byte-identical prefix of the next unless the summary
//! advanced — llama.cpp then reuses its KV cache instead of re-reading the whole prompt.

pub mod facts;
mod plan;
pub mod summarize;
mod tokens;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorCode};
use crate::llm::{ChatMessage, ChatRequest, LlmClient, WireRole};
use crate::store::{
    Conversation, ConversationId, Message, MessageId, ModelProfile, Store, StoreError, SummaryId,
};

pub use plan::sendable;
pub use tokens::estimate_tokens;

/// The context length assumed when neither the server nor the user says.
pub const DEFAULT_CONTEXT_LENGTH: u64 = 4096;
/// How many messages the builder reads per step backwards through the history.
const READ_BATCH: u32 = 64;
/// The heading the summary is sent under.
pub const SUMMARY_HEADING: &str = "Summary of the earlier conversation:";
/// How long what a server said about itself (context length, tokenizer) is trusted.
const SERVER_INFO_TTL: Duration = Duration::from_secs(30);

/// How a conversation remembers: stored as `params.memory` (`"summary"`, `"window"`, `"full"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every message; an error once the history no longer fits.
    FullHistory,
    /// The newest messages that fit; older ones are left out.
    SlidingWindow,
    /// A rolling summary of older turns, then the newest messages (the default).
    #[default]
    SummaryWindow,
}

impl Strategy {
    /// The name stored in a conversation's params.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullHistory => "full",
            Self::SlidingWindow => "window",
            Self::SummaryWindow => "summary",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "full" | "full_history" => Some(Self::FullHistory),
            "window" | "sliding_window" => Some(Self::SlidingWindow),
            "summary" | "summary_window" => Some(Self::SummaryWindow),
            _ => None,
        }
    }

    /// The conversation's strategy (the default when unset or unknown).
    pub fn of(conversation: &Conversation) -> Self {
        conversation
            .params
            .get("memory")
            .and_then(|v| v.as_str())
            .and_then(Self::parse)
            .unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "this message is about {tokens} tokens, but the model's context leaves room for {room} — \
         shorten it or split it into parts, or load the model with a larger context and set it in \
         the settings"
    )]
    MessageTooLong { tokens: u64, room: u64 },
    #[error(
        "this chat's full history is about {tokens} tokens and no longer fits the {room} the \
         model's context leaves — switch the chat's memory to \"summary + window\" or \"sliding \
         window\", or start a new chat"
    )]
    HistoryTooLong { tokens: u64, room: u64 },
    #[error(
        "the model's context ({context_length} tokens) leaves no room for messages after the \
         {reserve} reserved for the reply — lower max_tokens or raise the context length"
    )]
    ContextTooSmall { context_length: u64, reserve: u64 },
}

impl Coded for MemoryError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Store(e) => e.code(),
            Self::MessageTooLong { .. } => ErrorCode::MessageTooLong,
            Self::HistoryTooLong { .. } => ErrorCode::HistoryTooLong,
            Self::ContextTooSmall { .. } => ErrorCode::ContextTooSmall,
        }
    }
}

/// Where the context length came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub first: MessageId,
    pub last: MessageId,
    /// How many; `None` for a long run that was not counted (over a thousand messages).
    pub count: Option<u64>,
    pub reason: LeftOutReason,
}

/// What a request carries and why: the context inspector's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        self.strategy == Strategy::SummaryWindow
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
}

#[derive(Debug, Clone, Copy)]
struct ServerInfo {
    context_length: Option<u64>,
    tokenize: bool,
    at: Instant,
}

/// What the builder remembers between requests in one process: what servers said about
/// themselves, and token counts of texts that are not messages (system prompts, summaries).
#[derive(Debug, Default)]
pub struct MemoryCache {
    servers: Mutex<HashMap<String, ServerInfo>>,
    texts: Mutex<HashMap<(String, i64), u64>>,
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets what servers said (e.g. after the user changed the endpoint or reloaded a model).
    pub fn forget_servers(&self) {
        self.servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    async fn server_info(&self, client: &LlmClient, model: Option<&str>) -> ServerInfo {
        let key = tokenizer_key(client, model);
        if let Some(info) = self
            .servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied()
            .filter(|i| i.at.elapsed() < SERVER_INFO_TTL)
        {
            return info;
        }
        let (context_length, tokenize) =
            tokio::join!(client.context_length(model), client.tokenize("Confab"));
        let info = ServerInfo {
            context_length,
            tokenize: tokenize.is_some(),
            at: Instant::now(),
        };
        self.servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, info);
        info
    }
}

/// The key token counts and model profiles are stored under: the server and the model.
pub fn tokenizer_key(client: &LlmClient, model: Option<&str>) -> String {
    format!("{}#{}", client.endpoint().base_url(), model.unwrap_or(""))
}

/// The request for the next reply in `conversation` (whose newest message is the prompt), and the
/// report of what it carries. With `client`, counts are exact where the server can tokenize and
/// the context length is asked of the server; without, both come from what is stored.
pub async fn build(
    store: &Store,
    client: Option<&LlmClient>,
    cache: &MemoryCache,
    conversation: &Conversation,
) -> Result<BuiltContext, MemoryError> {
    let settings = crate::config::AppSettings::load(store).await;
    let conversation = &with_defaults(conversation, &settings);
    let model = conversation.model.as_deref();
    let tokenizer = match client {
        Some(c) => tokenizer_key(c, model),
        None => format!("offline#{}", model.unwrap_or("")),
    };
    let profile = store.model_profile(&tokenizer).await?;
    let server = match client {
        Some(c) => Some(cache.server_info(c, model).await),
        None => None,
    };
    let (context_length, context_source) = context_length(
        conversation,
        settings.context_length,
        server.and_then(|s| s.context_length),
        &profile,
    );
    let max_tokens = param_u64(conversation, "max_tokens");
    let reserve = max_tokens.unwrap_or_else(|| default_reply_reserve(context_length));
    let overhead = profile.per_message_overhead.ceil() as u64;
    let Some(budget) = context_length
        .checked_sub(reserve + overhead)
        .filter(|b| *b > overhead)
    else {
        return Err(MemoryError::ContextTooSmall {
            context_length,
            reserve,
        });
    };
    let counter = tokens::Counter {
        store,
        client: client.filter(|_| server.is_some_and(|s| s.tokenize)),
        cache,
        tokenizer: &tokenizer,
        bytes_per_token: profile.bytes_per_token,
    };

    let strategy = Strategy::of(conversation);
    let summary = match strategy {
        Strategy::SummaryWindow => store.latest_summary(conversation.id).await?,
        _ => None,
    };
    let anchor = match strategy {
        Strategy::SlidingWindow => store.window_start(conversation.id).await?,
        _ => None,
    };
    // Everything at or before `floor` is accounted for without being read (summary, anchor).
    let floor = match (&summary, anchor) {
        (Some(s), _) => Some(s.covers_through_message_id),
        (None, Some(a)) => Some(MessageId(a.0 - 1)),
        (None, None) => None,
    };

    let system = conversation.system_prompt.trim();
    let system_text = (!system.is_empty()).then_some(conversation.system_prompt.as_str());
    let system_count = match system_text {
        Some(text) => Some(counter.count_text(text).await),
        None => None,
    };
    let summary_text = summary.as_ref().map(|s| summary_message(&s.content));
    let summary_count = match &summary_text {
        Some(text) => Some(counter.count_text(text).await),
        None => None,
    };

    // Read backwards from the newest message until the window is surely full.
    let mut candidates: Vec<Message> = Vec::new();
    let mut counts: Vec<(u64, bool)> = Vec::new();
    let mut cost = 0u64;
    let mut before: Option<MessageId> = None;
    let complete = loop {
        let batch = store
            .messages_newest_first(conversation.id, floor, before, READ_BATCH)
            .await?;
        let batch_len = batch.len();
        let batch_counts = counter.count_messages(&batch).await?;
        for (m, c) in batch.iter().zip(&batch_counts) {
            if sendable(m) {
                cost += c.0 + overhead;
            }
        }
        before = batch.last().map(|m| m.id);
        candidates.extend(batch);
        counts.extend(batch_counts);
        if batch_len < READ_BATCH as usize {
            break true;
        }
        if cost > budget {
            break false;
        }
    };
    candidates.reverse();
    counts.reverse();

    // Pinned messages older than what was read, outside the window by definition.
    let oldest_read = candidates.first().map(|m| m.id).or(before);
    let mut pinned = store.pinned_messages(conversation.id, oldest_read).await?;
    pinned.retain(sendable);
    let pinned_counts = counter.count_messages(&pinned).await?;

    let input = plan::Input {
        strategy,
        budget,
        overhead,
        system: system_count,
        summary: summary_count,
        pinned: pinned.iter().zip(pinned_counts).collect(),
        candidates: candidates.iter().zip(counts).collect(),
        complete,
    };
    let planned = plan::plan(&input)?;

    // The report, in send order.
    let mut items = Vec::new();
    let mut wire: Vec<ChatMessage> = Vec::new();
    let mut system_parts: Vec<&str> = Vec::new();
    if let (Some(text), Some((tokens, exact))) = (system_text, system_count) {
        items.push(Included {
            part: Part::SystemPrompt,
            role: WireRole::System,
            tokens,
            exact,
            bytes: text.len() as u64,
            why: "the chat's system prompt, always sent first".into(),
        });
        system_parts.push(text);
    }
    let mut notes = Vec::new();
    if let (Some(s), Some(text), Some((tokens, exact))) = (&summary, &summary_text, summary_count) {
        if planned.summary {
            items.push(Included {
                part: Part::Summary {
                    summary_id: s.id,
                    covers_through: s.covers_through_message_id,
                    edited_by_user: s.edited_by_user,
                },
                role: WireRole::System,
                tokens,
                exact,
                bytes: text.len() as u64,
                why: format!(
                    "the rolling summary of the turns up to message {}",
                    s.covers_through_message_id
                ),
            });
            system_parts.push(text);
        } else {
            notes.push(format!(
                "the summary ({tokens} tokens) did not fit next to the newest message and was left \
                 out"
            ));
        }
    }
    if !system_parts.is_empty() {
        // One system message: several, or one after others, break many chat templates.
        wire.push(ChatMessage::system(system_parts.join("\n\n")));
    }
    for src in &planned.pinned {
        let (m, (tokens, exact)) = match *src {
            plan::Src::Pinned(i) => input.pinned[i],
            plan::Src::Candidate(i) => input.candidates[i],
        };
        items.push(Included {
            part: Part::Pinned { message_id: m.id },
            role: wire_role(m),
            tokens,
            exact,
            bytes: m.content.len() as u64,
            why: "pinned by you, so always sent".into(),
        });
        wire.push(to_wire(m));
    }
    for (i, &(m, (tokens, exact))) in input.candidates.iter().enumerate() {
        if !planned.in_window(i, &input) {
            continue;
        }
        let newest = Some(i) == planned.newest;
        items.push(Included {
            part: Part::Recent { message_id: m.id },
            role: wire_role(m),
            tokens,
            exact,
            bytes: m.content.len() as u64,
            why: if newest {
                "the newest message, always sent".into()
            } else if m.pinned {
                "a recent message (pinned)".into()
            } else {
                "a recent message that fits".into()
            },
        });
        wire.push(to_wire(m));
    }

    // Left out, oldest first: what is behind the floor, then what was read but not sent.
    let mut left_out: Vec<LeftOut> = Vec::new();
    if let Some(floor) = floor {
        if let Some((first, last, count)) = store
            .message_range(conversation.id, None, Some(MessageId(floor.0 + 1)))
            .await?
        {
            let reason = if summary.is_some() {
                LeftOutReason::Summarized
            } else {
                LeftOutReason::OutsideWindow
            };
            push_left_out(&mut left_out, first, last, count, reason);
        }
    }
    if !complete {
        let upto = candidates.first().map(|m| m.id);
        if let Some((first, last, count)) =
            store.message_range(conversation.id, floor, upto).await?
        {
            push_left_out(&mut left_out, first, last, count, planned.older_reason);
        }
    }
    for (i, reason) in &planned.left_out {
        let id = input.candidates[*i].0.id;
        push_left_out(&mut left_out, id, id, Some(1), *reason);
    }
    for i in &planned.pinned_dropped {
        let id = input.pinned[*i].0.id;
        notes.push(format!("pinned message {id} did not fit and was left out"));
    }

    let exact = items.iter().all(|i| i.exact);
    let report = ContextReport {
        conversation_id: conversation.id,
        strategy,
        tokenizer,
        context_length,
        context_source,
        reply_reserve: reserve,
        per_message_overhead: overhead,
        budget,
        used: planned.used,
        exact,
        bytes_per_token: profile.bytes_per_token,
        items,
        left_out,
        summary_pending: strategy == Strategy::SummaryWindow && planned.older_left_out,
        notes,
    };
    let new_window_start = match strategy {
        Strategy::SlidingWindow if report.window_start() != anchor => report.window_start(),
        _ => None,
    };
    let request = ChatRequest {
        model: conversation.model.clone(),
        messages: wire,
        temperature: param_f64(conversation, "temperature").map(|v| v as f32),
        top_p: param_f64(conversation, "top_p").map(|v| v as f32),
        max_tokens: Some(u32::try_from(reserve).unwrap_or(u32::MAX)),
        ..Default::default()
    };
    Ok(BuiltContext {
        request,
        report,
        new_window_start,
    })
}

impl BuiltContext {
    /// The text of each report item, in the report's order (on the wire the system prompt and
    /// the summary travel as one system message).
    pub fn item_texts(&self) -> Vec<String> {
        let mut wire = self.request.messages.iter();
        let has_system = self
            .report
            .items
            .iter()
            .any(|i| matches!(i.part, Part::SystemPrompt | Part::Summary { .. }));
        let system = if has_system { wire.next() } else { None };
        let system = system.map_or("", |m| m.content.as_str());
        let summary_at = system.find(SUMMARY_HEADING);
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
                _ => wire.next().map_or(String::new(), |m| m.content.clone()),
            })
            .collect()
    }
}

/// Appends a left-out run, merging it into the previous one when they are adjacent and agree.
fn push_left_out(
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

/// The summary as it is sent.
pub fn summary_message(content: &str) -> String {
    format!("{SUMMARY_HEADING}\n{content}")
}

fn wire_role(m: &Message) -> WireRole {
    match m.role {
        crate::store::Role::System => WireRole::System,
        crate::store::Role::User => WireRole::User,
        crate::store::Role::Assistant => WireRole::Assistant,
    }
}

fn to_wire(m: &Message) -> ChatMessage {
    ChatMessage {
        role: wire_role(m),
        content: m.content.clone(),
    }
}

/// The chat as the request sees it: the app's defaults fill in the model, system prompt and
/// generation parameters it does not set itself.
fn with_defaults(
    conversation: &Conversation,
    settings: &crate::config::AppSettings,
) -> Conversation {
    let mut c = conversation.clone();
    if c.model.is_none() {
        c.model = settings.model.clone();
    }
    if c.system_prompt.trim().is_empty() {
        c.system_prompt = settings.system_prompt.clone();
    }
    if let serde_json::Value::Object(params) = &mut c.params {
        let defaults = [
            (
                "temperature",
                settings.temperature.map(serde_json::Value::from),
            ),
            ("top_p", settings.top_p.map(serde_json::Value::from)),
            (
                "max_tokens",
                settings.max_tokens.map(serde_json::Value::from),
            ),
        ];
        for (key, value) in defaults {
            if let Some(value) = value {
                params.entry(key).or_insert(value);
            }
        }
    }
    c
}

/// The context length and where it came from: the chat's own setting, else the app's setting,
/// else what the server says, else the user's setting for the model, else
/// [`DEFAULT_CONTEXT_LENGTH`] — capped by what a "context exceeded" answer revealed.
fn context_length(
    conversation: &Conversation,
    from_settings: Option<u64>,
    from_server: Option<u64>,
    profile: &ModelProfile,
) -> (u64, ContextSource) {
    let (base, source) = if let Some(n) = param_u64(conversation, "context_length") {
        (n, ContextSource::ChatSetting)
    } else if let Some(n) = from_settings.filter(|n| *n > 0) {
        (n, ContextSource::AppSetting)
    } else if let Some(n) = from_server.filter(|n| *n > 0) {
        (n, ContextSource::Server)
    } else if let Some(n) = profile.context_length {
        (n, ContextSource::ModelSetting)
    } else {
        (DEFAULT_CONTEXT_LENGTH, ContextSource::Default)
    };
    match profile.learned_n_ctx {
        Some(learned) if learned < base => (learned, ContextSource::Learned),
        _ => (base, source),
    }
}

/// A quarter of the context for the reply when the chat does not set `max_tokens`.
pub fn default_reply_reserve(context_length: u64) -> u64 {
    (context_length / 4).clamp(64, 4096).min(context_length / 2)
}

fn param_u64(conversation: &Conversation, key: &str) -> Option<u64> {
    conversation.params.get(key).and_then(|v| v.as_u64())
}

fn param_f64(conversation: &Conversation, key: &str) -> Option<f64> {
    conversation.params.get(key).and_then(|v| v.as_f64())
}

/// Learns from a "context exceeded" answer: the server's real `n_ctx` (or, when it does not say,
/// three quarters of what was assumed) caps the context length of this model from now on.
pub async fn learn_overflow(
    store: &Store,
    report: &ContextReport,
    n_ctx: Option<u64>,
    n_prompt_tokens: Option<u64>,
) -> Result<(), StoreError> {
    let mut profile = store.model_profile(&report.tokenizer).await?;
    let learned = n_ctx
        .filter(|n| *n > 0 && *n < report.context_length)
        .unwrap_or(report.context_length * 3 / 4)
        .max(1);
    profile.learned_n_ctx = Some(profile.learned_n_ctx.map_or(learned, |l| l.min(learned)));
    store.save_model_profile(&profile).await?;
    if let Some(actual) = n_prompt_tokens {
        calibrate(store, report, actual).await?;
    }
    Ok(())
}

/// Calibrates the model's estimate from the prompt tokens the server counted for a request built
/// with `report`, and records how far off the estimate was.
pub async fn calibrate(
    store: &Store,
    report: &ContextReport,
    actual_prompt_tokens: u64,
) -> Result<ModelProfile, StoreError> {
    let mut profile = store.model_profile(&report.tokenizer).await?;
    tokens::update_calibration(&mut profile, report, actual_prompt_tokens);
    store.save_model_profile(&profile).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_round_trip_their_names() {
        for s in [
            Strategy::FullHistory,
            Strategy::SlidingWindow,
            Strategy::SummaryWindow,
        ] {
            assert_eq!(Strategy::parse(s.as_str()), Some(s));
        }
        assert_eq!(Strategy::parse("bogus"), None);
    }

    #[test]
    fn reply_reserve_is_a_share_of_the_context() {
        assert_eq!(default_reply_reserve(4096), 1024);
        assert_eq!(default_reply_reserve(2048), 512);
        assert_eq!(default_reply_reserve(131_072), 4096);
        assert_eq!(default_reply_reserve(100), 50);
    }
}
