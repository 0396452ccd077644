//! Rolling summaries: older turns are folded into the conversation's summary by the model
//! itself, in large steps, with a mechanical fact check so that names, numbers, dates, URLs and
//! identifiers are never silently lost.
//!
//! Each fold stores a new summary row (older rows stay as history). A summary the user edited is
//! a row marked `edited_by_user`; the next fold builds on it like on any other.

use tokio_util::sync::CancellationToken;

use super::{build, estimate_tokens, facts, MemoryError, ServerReports};
use crate::llm::{ChatMessage, ChatRequest, LlmClient, LlmError};
use crate::settings::{AppSettings, Strategy};
use crate::store::{ConversationId, Message, NewSummary, Role, Store, StoreError, Summary};

/// The instructions a fold runs under.
pub const SUMMARIZER_PROMPT: &str = "You keep the running summary of a conversation between a \
user and an AI assistant. Write plain, compact prose or short bullet points. Keep every name, \
number, date, decision, the user's stated preferences and every open task or question. Never \
invent anything. Reply with the summary only.";

#[derive(Debug, thiserror::Error)]
pub enum FoldError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Memory(#[from] MemoryError),
    #[error("the model could not write the summary: {0}")]
    Llm(#[from] LlmError),
    #[error("the model wrote an empty summary")]
    Empty,
}

/// How many tokens a summary may take: an eighth of the context, within 128..=1024.
pub fn summary_bound(context_length: u64) -> u64 {
    (context_length / 8).clamp(128, 1024)
}

/// Folds the oldest turns the summary does not cover yet into a new summary, when the
/// conversation needs it (see [`super::ContextReport::needs_fold`]). Returns the new summary, or
/// `None` when there was nothing to do. On failure nothing is stored: requests keep using the
/// plain window and the fold is tried again after the next reply.
pub async fn fold(
    store: &Store,
    client: &LlmClient,
    servers: &ServerReports,
    recall: &crate::recall::Recall,
    defaults: &AppSettings,
    conversation_id: ConversationId,
    cancel: &CancellationToken,
) -> Result<Option<Summary>, FoldError> {
    let conversation = store.get_conversation(conversation_id).await?;
    let inherited = crate::inherit::with_project(store, &conversation).await?;
    if !Strategy::of(&inherited).summarizes() {
        return Ok(None);
    }
    let report = build(
        store,
        Some(client),
        servers,
        recall,
        defaults,
        &conversation,
    )
    .await?
    .report;
    if !report.needs_fold() {
        return Ok(None);
    }
    let previous = store.latest_summary(conversation_id).await?;
    let floor = previous.as_ref().map(|s| s.covers_through_message_id);

    // The newest turn (the last two messages) always stays out of the fold.
    let newest = store
        .messages_newest_first(conversation_id, floor, None, 2)
        .await?;
    let Some(limit) = newest.get(1).map(|m| m.id) else {
        return Ok(None);
    };
    let bound = summary_bound(report.context_length);
    let previous_tokens = previous.as_ref().map_or(0, |s| {
        s.token_count.map_or_else(
            || estimate_tokens(&s.content, report.bytes_per_token),
            |n| n as u64,
        )
    });
    // Half the window at a time, and never more than the fold's own request can carry.
    let room = report
        .context_length
        .saturating_sub(bound + previous_tokens + 256);
    let step = (report.budget / 2).min(room).max(1);

    let mut folded: Vec<Message> = Vec::new();
    let mut tokens = 0u64;
    let mut after = floor;
    'read: loop {
        let batch = store
            .messages_oldest_first(conversation_id, after, Some(limit), 64)
            .await?;
        if batch.is_empty() {
            break;
        }
        after = batch.last().map(|m| m.id);
        for m in batch {
            let t =
                estimate_tokens(&m.content, report.bytes_per_token) + report.per_message_overhead;
            if tokens + t > step && !folded.is_empty() {
                break 'read;
            }
            tokens += t;
            folded.push(m);
        }
    }
    // End on a whole turn: a trailing user message waits for its answer.
    while folded.len() > 1 && folded.last().is_some_and(|m| m.role == Role::User) {
        folded.pop();
    }
    let Some(last) = folded.last().map(|m| m.id) else {
        return Ok(None);
    };

    let turns: Vec<String> = folded
        .iter()
        .filter(|m| super::sendable(m))
        .map(|m| {
            let mut turn = format!("{}: {}", speaker(m.role), m.content.trim());
            for call in &m.tool_calls {
                turn.push_str(&tool_call_line(call));
            }
            turn
        })
        .collect();
    let words = bound * 3 / 5;
    let prompt = format!(
        "Previous summary:\n{}\n\nNew turns to fold in:\n\n{}\n\nWrite the updated summary of the \
         whole conversation so far in at most {words} words, keeping what matters from the \
         previous summary.",
        previous
            .as_ref()
            .map_or("(none yet)", |s| s.content.as_str()),
        turns.join("\n\n"),
    );
    let request = ChatRequest {
        model: conversation.model.clone(),
        messages: vec![
            ChatMessage::system(SUMMARIZER_PROMPT),
            ChatMessage::user(prompt),
        ],
        temperature: Some(0.2),
        max_tokens: Some(u32::try_from(bound).unwrap_or(1024)),
        ..Default::default()
    };
    let completion = client.complete(&request, cancel).await?;
    let text = tidy(&completion.content);
    if text.is_empty() {
        return Err(FoldError::Empty);
    }

    let mut sources: Vec<&str> = Vec::new();
    if let Some(p) = &previous {
        sources.push(&p.content);
    }
    sources.extend(turns.iter().map(String::as_str));
    let missing = facts::missing(&text, &sources);
    let content = facts::with_key_facts(&text, &missing);
    let token_count = match client.tokenize(&content).await {
        Some(n) => n as u64,
        None => estimate_tokens(&content, report.bytes_per_token),
    };
    let summary = store
        .save_summary(NewSummary {
            conversation_id,
            content,
            covers_through_message_id: last,
            token_count: Some(token_count as i64),
            model: completion.model.or(conversation.model),
            edited_by_user: false,
        })
        .await?;
    Ok(Some(summary))
}

/// Saves the user's edit of the conversation's summary as a new row, covering what the current
/// summary covers. The next fold builds on it.
pub async fn edit_summary(
    store: &Store,
    conversation_id: ConversationId,
    content: &str,
) -> Result<Summary, StoreError> {
    let Some(current) = store.latest_summary(conversation_id).await? else {
        return Err(StoreError::InvalidInput(
            "this chat has no summary yet — one is written once the chat outgrows the model's \
             context"
                .into(),
        ));
    };
    store
        .save_summary(NewSummary {
            conversation_id,
            content: content.trim().to_owned(),
            covers_through_message_id: current.covers_through_message_id,
            token_count: None,
            model: None,
            edited_by_user: true,
        })
        .await
}

/// A tool call as the summarizer reads it: what was called with what, and the start of what came
/// back (results can be long; the summary needs their gist).
fn tool_call_line(call: &crate::store::ToolCallRecord) -> String {
    const SHOWN: usize = 600;
    let outcome = call.for_model();
    let outcome: String = outcome.chars().take(SHOWN).collect();
    format!(
        "\n[called the tool {} with {}: {}]",
        call.function_name,
        call.arguments.chars().take(SHOWN).collect::<String>(),
        outcome.trim()
    )
}

fn speaker(role: Role) -> &'static str {
    match role {
        Role::User => "User",
        Role::Assistant => "Assistant",
        Role::System => "System",
    }
}

/// The model's summary without a heading it may have added.
fn tidy(text: &str) -> String {
    let mut text = text.trim();
    for heading in [
        "Updated summary:",
        "Summary:",
        "**Summary:**",
        "**Updated summary:**",
    ] {
        if let Some(rest) = text.strip_prefix(heading) {
            text = rest.trim();
        }
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_tidied_away() {
        assert_eq!(tidy("  Summary: Ada likes tea. "), "Ada likes tea.");
        assert_eq!(tidy("Ada likes tea."), "Ada likes tea.");
    }

    #[test]
    fn the_bound_follows_the_context() {
        assert_eq!(summary_bound(2048), 256);
        assert_eq!(summary_bound(512), 128);
        assert_eq!(summary_bound(128_000), 1024);
    }
}
