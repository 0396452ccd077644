//! `confab-cli context ID`: the context inspector in a terminal.

use anyhow::Result;
use confab_core::llm::{LlmClient, WireRole};
use confab_core::memory::{self, ContextSource, LeftOutReason, Part, RecallSource, ServerReports};
use confab_core::settings::{AppSettings, Strategy};
use confab_core::store::{ConversationId, Store};

pub async fn show(store: &Store, client: Option<&LlmClient>, id: i64, json: bool) -> Result<()> {
    let conversation = store.get_conversation(ConversationId(id)).await?;
    let defaults = AppSettings::load(store).await;
    let built = memory::build(
        store,
        client,
        &ServerReports::new(),
        &confab_core::recall::Recall::new(),
        &defaults,
        &conversation,
    )
    .await?;
    if json {
        let out = serde_json::json!({
            "request": built.request.messages,
            "max_tokens": built.request.max_tokens,
            "report": built.report,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    let r = &built.report;
    outln!(
        "Conversation {id} \"{}\" — memory: {}",
        conversation.title,
        match r.strategy {
            Strategy::SummaryWindow => "summary + window",
            Strategy::SlidingWindow => "sliding window",
            Strategy::FullHistory => "full history",
            Strategy::Recall => "recall + summary + window",
        }
    )?;
    outln!(
        "Context {} tokens ({}) − reply reserve {} − {} per message for the template → budget {}",
        r.context_length,
        match r.context_source {
            ContextSource::ChatSetting => "the chat's setting",
            ContextSource::AppSetting => "your setting in Settings",
            ContextSource::Server => "from the server",
            ContextSource::ModelSetting => "your setting for this model",
            ContextSource::Learned => "learned from the server's overflow answer",
            ContextSource::Default => "default: nobody said",
        },
        r.reply_reserve,
        r.per_message_overhead,
        r.budget
    )?;
    if r.exact {
        outln!("Token counts: exact, from the server's tokenizer")?;
    } else {
        outln!(
            "Token counts: estimated at {:.2} bytes per token (calibrated from the server's answers)",
            r.bytes_per_token
        )?;
    }
    let percent = r.used * 100 / r.budget.max(1);
    outln!("Sending {} of {} tokens ({percent}%):\n", r.used, r.budget)?;
    for (item, message) in r.items.iter().zip(built.item_texts()) {
        let what = match &item.part {
            Part::SystemPrompt => "system prompt".to_owned(),
            Part::Summary {
                summary_id,
                covers_through,
                edited_by_user,
            } => format!(
                "summary {summary_id} (through message {covers_through}{})",
                if *edited_by_user {
                    ", edited by you"
                } else {
                    ""
                }
            ),
            Part::Pinned { message_id } => {
                format!("pinned message {message_id} ({})", role(item.role))
            }
            Part::Recent { message_id } => format!("message {message_id} ({})", role(item.role)),
            Part::Recalled {
                message_id,
                score,
                source,
            } => format!(
                "recalled {message_id} ({}, {}{})",
                role(item.role),
                source_name(*source),
                if *score > 0.0 {
                    format!(" {score:.4}")
                } else {
                    String::new()
                }
            ),
        };
        outln!(
            "{:>7}{} {what:<34} {}",
            item.tokens,
            if item.exact { " " } else { "~" },
            preview(&message)
        )?;
        if matches!(item.part, Part::Recalled { .. }) {
            outln!("{:>9}{}", "", item.why)?;
        }
    }
    if let Some(recall) = &r.recall {
        outln!("\nRecall:")?;
        match (&recall.embedding_model, &recall.words_only_reason) {
            (Some(model), _) => outln!("  by words and meaning (embeddings from {model})")?,
            (None, Some(why)) => outln!("  by words alone: {why}")?,
            (None, None) => outln!("  by words")?,
        }
        if recall.share == 0 {
            outln!("  nothing is older than the window yet")?;
        } else {
            outln!(
                "  found {} earlier messages; the recalled turns take {} of the {} tokens recall may use",
                recall.found,
                recall.used,
                recall.share
            )?;
        }
        for c in &recall.left_out {
            outln!(
                "  left out: message {} ({}, score {:.4}): its turn needs {} tokens, no room left",
                c.message_id,
                source_name(c.source),
                c.score,
                c.tokens
            )?;
        }
    }
    if !r.left_out.is_empty() {
        outln!("\nLeft out:")?;
        for run in &r.left_out {
            let which = match run.count {
                _ if run.first == run.last => format!("message {}", run.first),
                Some(n) => format!("{n} messages {}–{}", run.first, run.last),
                None => format!("messages {}–{} (over a thousand)", run.first, run.last),
            };
            outln!(
                "  {which}: {}",
                match run.reason {
                    LeftOutReason::Summarized => "folded into the summary",
                    LeftOutReason::AwaitingSummary =>
                        "older than the window; the next summary fold takes them in",
                    LeftOutReason::OutsideWindow => "older than the window",
                    LeftOutReason::Failed => "a failed reply",
                    LeftOutReason::Empty => "an empty reply",
                    LeftOutReason::PinnedDidNotFit => "pinned, but no room left",
                }
            )?;
        }
    }
    for note in &r.notes {
        outln!("Note: {note}")?;
    }
    Ok(())
}

fn source_name(source: RecallSource) -> &'static str {
    match source {
        RecallSource::Words => "words",
        RecallSource::Vectors => "meaning",
        RecallSource::Both => "words + meaning",
        RecallSource::Turn => "same turn",
    }
}

fn role(role: WireRole) -> &'static str {
    match role {
        WireRole::System => "system",
        WireRole::User => "user",
        WireRole::Assistant => "assistant",
        WireRole::Tool => "tool",
    }
}

/// How much of an item's text a row of the report shows.
const PREVIEW_CHARS: usize = 60;

fn preview(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > PREVIEW_CHARS {
        format!(
            "\"{}…\"",
            line.chars().take(PREVIEW_CHARS - 1).collect::<String>()
        )
    } else {
        format!("\"{line}\"")
    }
}
