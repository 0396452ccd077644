//! A conversation log as Markdown: a metadata header, each message with its role and time
//! (code blocks intact: message text is written as it is), the current summary as an appendix.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::{human_time, the_latest, ExportError, ExportOptions, MessageBatches};
use crate::store::{Conversation, MessageStatus, Role, Summary};

pub(super) async fn write(
    out: &mut (dyn Write + Send),
    c: &Conversation,
    messages: &mut MessageBatches<'_>,
    summaries: &[Summary],
    options: &ExportOptions,
    now: DateTime<Utc>,
) -> Result<u64, ExportError> {
    writeln!(out, "# {}\n", one_line(&c.title))?;
    if let Some(model) = &c.model {
        writeln!(out, "- **Model:** {}", one_line(model))?;
    }
    if let Some(endpoint) = &options.endpoint {
        writeln!(out, "- **Endpoint:** {}", one_line(endpoint))?;
    }
    writeln!(out, "- **Created:** {}", human_time(c.created_at))?;
    writeln!(out, "- **Updated:** {}", human_time(c.updated_at))?;
    writeln!(out, "- **Exported:** {} by Confab", human_time(now))?;
    if !c.system_prompt.trim().is_empty() {
        writeln!(out, "\n**System prompt:**\n")?;
        for line in c.system_prompt.lines() {
            writeln!(out, "> {line}")?;
        }
    }
    let mut count = 0;
    while let Some(batch) = messages.next().await? {
        for m in &batch {
            count += 1;
            let who = match m.role {
                Role::User => "User".to_owned(),
                Role::Assistant => match &m.model {
                    Some(model) => format!("Assistant ({})", one_line(model)),
                    None => "Assistant".to_owned(),
                },
                Role::System => "System".to_owned(),
            };
            let status = match m.status {
                MessageStatus::Complete => String::new(),
                MessageStatus::Streaming => " · *still streaming*".into(),
                MessageStatus::Interrupted => " · *interrupted*".into(),
                MessageStatus::Error => format!(
                    " · *failed: {}*",
                    one_line(m.error.as_deref().unwrap_or("no reason given"))
                ),
            };
            let pinned = if m.pinned { " · 📌 pinned" } else { "" };
            writeln!(
                out,
                "\n---\n\n### {who} · {}{status}{pinned}\n",
                human_time(m.created_at)
            )?;
            for a in &m.attachments {
                writeln!(
                    out,
                    "📎 *{}* ({}, {})\n",
                    one_line(&a.name),
                    a.kind.as_str(),
                    crate::attachments::human_size(a.size as u64)
                )?;
            }
            writeln!(out, "{}", m.content.trim_end())?;
            for call in &m.tool_calls {
                write_call(out, call)?;
            }
        }
    }
    if let Some(summary) = the_latest(summaries) {
        writeln!(
            out,
            "\n---\n\n## Appendix: the conversation's summary\n\n*Covers the conversation up to \
             message {}, written {}{}.*\n",
            summary.covers_through_message_id,
            human_time(summary.created_at),
            if summary.edited_by_user {
                " (edited by the user)"
            } else {
                ""
            }
        )?;
        writeln!(out, "{}", summary.content.trim_end())?;
    }
    Ok(count)
}

/// A tool call and its result, as text in fences no backtick in them can close: a result is
/// untrusted, and never becomes Markdown.
fn write_call(
    out: &mut (dyn Write + Send),
    call: &crate::store::ToolCallRecord,
) -> Result<(), ExportError> {
    let name = match (&call.server, &call.tool) {
        (Some(server), Some(tool)) => format!("{server}/{tool}"),
        _ => call.function_name.clone(),
    };
    let reason = call
        .reason
        .as_deref()
        .map(|r| format!(" ({})", one_line(r)))
        .unwrap_or_default();
    writeln!(
        out,
        "\n🔧 **Tool call** {} · {}{reason}\n",
        fenced_inline(&name),
        call.decision.as_str().replace('_', " ")
    )?;
    writeln!(out, "{}", fenced(&call.arguments, "json"))?;
    if let Some(result) = &call.result {
        let label = if call.is_error {
            "Result (an error)"
        } else {
            "Result"
        };
        writeln!(out, "\n**{label}:**\n\n{}", fenced(result, "text"))?;
    }
    Ok(())
}

/// `text` in a fence longer than any run of backticks in it.
fn fenced(text: &str, lang: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}", text.trim_end())
}

fn fenced_inline(text: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    format!("{ticks} {} {ticks}", one_line(text))
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
