//! The context builder: the request for the next reply, within the model's token budget, and the
//! report of how it was built (see the module docs of [`crate::memory`] for the order).

use super::plan::{self, sendable};
use super::recall::{self as recall_step, RECALL_SHARE};
use super::report::push_left_out;
use super::tokens;
use super::wire::{attach_images, push_wire, to_wire, tool_images, wire_role};
use super::{
    tokenizer_key, BuiltContext, ContextReport, ContextSource, Included, LeftOut, LeftOutReason,
    MemoryError, Part, RecallBlock, RecallReport, ServerReports, DEFAULT_CONTEXT_LENGTH,
    SUMMARY_HEADING,
};
use crate::llm::{ChatMessage, ChatRequest, LlmClient, WireRole};
use crate::recall::Recall;
use crate::settings::{AppSettings, Strategy};
use crate::store::{Conversation, Message, MessageId, ModelProfile, Store};

/// How many messages the builder reads in its first step back through the history (each step
/// after reads twice as many).
const READ_BATCH: u32 = 64;
/// The largest batch the window reads at once.
const MAX_READ_BATCH: u32 = 1024;

/// The request for the next reply in `conversation` (whose newest message is the prompt), and the
/// report of what it carries. With `client`, counts are exact where the server can tokenize and
/// the context length is asked of the server; without, both come from what is stored. `recall`
/// holds what the recall strategy has found out in this process (its embedding model, vectors).
pub async fn build(
    store: &Store,
    client: Option<&LlmClient>,
    servers: &ServerReports,
    recall: &Recall,
    defaults: &AppSettings,
    conversation: &Conversation,
) -> Result<BuiltContext, MemoryError> {
    let conversation =
        &defaults.apply_defaults(&crate::inherit::with_project(store, conversation).await?);
    let model = conversation.model.as_deref();
    let tokenizer = match client {
        Some(c) => tokenizer_key(c, model),
        None => format!("offline#{}", model.unwrap_or("")),
    };
    let profile = store.model_profile(&tokenizer).await?;
    let server = match client {
        Some(c) => Some(servers.server_info(c, model).await),
        None => None,
    };
    let (context_length, context_source) = context_length(
        conversation,
        defaults.context_length,
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
        servers,
        tokenizer: &tokenizer,
        bytes_per_token: profile.bytes_per_token,
    };

    let strategy = Strategy::of(conversation);
    let summary = match strategy {
        Strategy::SummaryWindow | Strategy::Recall => store.latest_summary(conversation.id).await?,
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
    // Each batch twice the one before: a short chat is read in one query, a long one in a few,
    // and no more than about twice what fits is read.
    let mut batch_size = READ_BATCH;
    let complete = loop {
        let batch = store
            .messages_newest_first(conversation.id, floor, before, batch_size)
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
        if batch_len < batch_size as usize {
            break true;
        }
        batch_size = (batch_size * 2).min(MAX_READ_BATCH);
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

    let mut input = plan::Input {
        strategy,
        budget,
        overhead,
        system: system_count,
        summary: summary_count,
        pinned: pinned.iter().zip(pinned_counts).collect(),
        candidates: candidates.iter().zip(counts).collect(),
        complete,
    };
    let mut planned = plan::plan(&input)?;

    // Recall: when there is history outside the window, a quarter of the budget is kept for the
    // earlier turns most relevant to the newest user message.
    let mut recalled: Option<recall_step::Outcome> = None;
    let mut recall_report: Option<RecallReport> = None;
    if strategy == Strategy::Recall {
        let share = budget / RECALL_SHARE;
        let older = floor.is_some() || planned.older_left_out;
        let prompt = input
            .candidates
            .iter()
            .rposition(|(m, _)| m.role == crate::store::Role::User && sendable(m));
        if older && share > 0 && prompt.is_some() {
            input.budget = budget - share;
            match plan::plan(&input) {
                Ok(p) => planned = p,
                // The newest message needs the share too: no recall this time.
                Err(_) => input.budget = budget,
            }
        }
        let before = (0..input.candidates.len())
            .find(|&i| planned.in_window(i, &input))
            .map(|i| input.candidates[i].0.id);
        match (prompt, before) {
            (Some(prompt), Some(before)) if input.budget < budget => {
                let sent = planned
                    .pinned
                    .iter()
                    .map(|src| match *src {
                        plan::Src::Pinned(i) => input.pinned[i].0.id,
                        plan::Src::Candidate(i) => input.candidates[i].0.id,
                    })
                    .collect();
                let outcome = recall_step::recall(recall_step::Ask {
                    store,
                    recall,
                    client,
                    settings: &defaults.recall,
                    counter: &counter,
                    conversation_id: conversation.id,
                    prompt: input.candidates[prompt].0,
                    before,
                    sent,
                    share: budget - input.budget,
                })
                .await?;
                planned.used += outcome.report.used;
                recall_report = Some(outcome.report.clone());
                recalled = Some(outcome);
            }
            _ => {
                recall_report = Some(RecallReport {
                    embedding_model: None,
                    words_only_reason: None,
                    share: 0,
                    used: 0,
                    found: 0,
                    left_out: Vec::new(),
                })
            }
        }
    }
    let recall_prompt = recalled.as_ref().and_then(|r| {
        (!r.chosen.is_empty()).then(|| {
            input
                .candidates
                .iter()
                .rposition(|(m, _)| m.role == crate::store::Role::User && sendable(m))
        })?
    });

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
    // Images the tools' results carried go to a model that takes images, after the results.
    let sent: Vec<&Message> = planned
        .pinned
        .iter()
        .map(|src| match *src {
            plan::Src::Pinned(i) => input.pinned[i].0,
            plan::Src::Candidate(i) => input.candidates[i].0,
        })
        .chain(
            (0..input.candidates.len())
                .filter(|&i| planned.in_window(i, &input))
                .map(|i| input.candidates[i].0),
        )
        .collect();
    let tool_images = tool_images(store, client, model, &tokenizer, &sent).await?;
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
        push_wire(&mut wire, m, &tool_images);
    }
    let mut recall_block = None;
    for (i, &(m, (tokens, exact))) in input.candidates.iter().enumerate() {
        if !planned.in_window(i, &input) {
            continue;
        }
        if let (Some(outcome), true) = (&recalled, Some(i) == recall_prompt) {
            let (text, entries) = recall_step::block(&outcome.chosen);
            for chosen in &outcome.chosen {
                for (m, score, source, (tokens, exact)) in &chosen.messages {
                    items.push(Included {
                        part: Part::Recalled {
                            message_id: m.id,
                            score: *score,
                            source: *source,
                        },
                        role: wire_role(m),
                        tokens: *tokens,
                        exact: *exact,
                        bytes: m.content.len() as u64,
                        why: if *source == super::RecallSource::Turn {
                            "the other half of a recalled turn".into()
                        } else {
                            chosen.why.clone()
                        },
                    });
                }
            }
            let mut message = to_wire(m);
            recall_block = Some(RecallBlock {
                wire_index: wire.len(),
                prefix_len: text.len(),
                entries,
            });
            message.content = text + &message.content;
            items.push(Included {
                part: Part::Recent { message_id: m.id },
                role: wire_role(m),
                tokens,
                exact,
                bytes: m.content.len() as u64,
                why: if Some(i) == planned.newest {
                    "the newest message, always sent (after the recalled turns)".into()
                } else {
                    "a recent message (it carries the recalled turns)".into()
                },
            });
            wire.push(message);
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
        push_wire(&mut wire, m, &tool_images);
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
        summary_pending: strategy.summarizes() && planned.older_left_out,
        notes,
        recall: recall_report,
    };
    let new_window_start = match strategy {
        Strategy::SlidingWindow if report.window_start() != anchor => report.window_start(),
        _ => None,
    };
    attach_images(store, &mut wire).await?;
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
        recall_block,
    })
}

/// The summary as it is sent.
pub fn summary_message(content: &str) -> String {
    format!("{SUMMARY_HEADING}\n{content}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_reserve_is_a_share_of_the_context() {
        assert_eq!(default_reply_reserve(4096), 1024);
        assert_eq!(default_reply_reserve(2048), 512);
        assert_eq!(default_reply_reserve(131_072), 4096);
        assert_eq!(default_reply_reserve(100), 50);
    }
}
