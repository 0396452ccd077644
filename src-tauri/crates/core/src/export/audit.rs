//! The audit log: JSON Lines, one line per message (time, conversation, role, model, text, token
//! counts, and a reply's statistics when any are known) and one per tool call (`"kind":
//! "tool_call"`: server, tool, arguments, decision, duration, result size), optionally with
//! personal data redacted.

use std::io::Write;

use super::{redact::redact, ExportError, ExportOptions, MessageBatches};
use crate::store::{
    Conversation, ConversationId, MessageId, MessageStatus, ReplyStats, Role, ToolDecision,
};

/// One line of the audit log.
#[derive(serde::Serialize)]
struct Line<'a> {
    time: chrono::DateTime<chrono::Utc>,
    conversation_id: ConversationId,
    conversation: &'a str,
    message_id: MessageId,
    role: Role,
    model: Option<&'a str>,
    status: MessageStatus,
    text: &'a str,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    #[serde(skip_serializing_if = "ReplyStats::is_empty")]
    stats: &'a ReplyStats,
    redacted: bool,
    /// The names of the files attached to the message (their text, if any, is in `text`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<&'a str>,
}

/// One line of the audit log per tool call, after its message's line.
#[derive(serde::Serialize)]
struct CallLine<'a> {
    time: chrono::DateTime<chrono::Utc>,
    kind: &'static str,
    conversation_id: ConversationId,
    message_id: MessageId,
    server: Option<&'a str>,
    tool: Option<&'a str>,
    function: &'a str,
    arguments: String,
    decision: ToolDecision,
    reason: Option<String>,
    /// From the call's start to its result, when it ran.
    duration_ms: Option<i64>,
    result_bytes: Option<u64>,
    is_error: bool,
    redacted: bool,
}

pub(super) async fn write(
    out: &mut (dyn Write + Send),
    c: &Conversation,
    messages: &mut MessageBatches<'_>,
    options: &ExportOptions,
) -> Result<u64, ExportError> {
    let mut count = 0;
    let title = if options.redact {
        redact(&c.title)
    } else {
        c.title.clone()
    };
    while let Some(batch) = messages.next().await? {
        for m in &batch {
            let redacted;
            let text = if options.redact {
                redacted = redact(&m.content);
                redacted.as_str()
            } else {
                m.content.as_str()
            };
            let line = Line {
                time: m.created_at,
                conversation_id: c.id,
                conversation: &title,
                message_id: m.id,
                role: m.role,
                model: m.model.as_deref(),
                status: m.status,
                text,
                prompt_tokens: m.prompt_tokens,
                completion_tokens: m.completion_tokens,
                stats: &m.stats,
                redacted: options.redact,
                attachments: m.attachments.iter().map(|a| a.name.as_str()).collect(),
            };
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            count += 1;
            for call in &m.tool_calls {
                let scrub = |text: &str| {
                    if options.redact {
                        redact(text)
                    } else {
                        text.to_owned()
                    }
                };
                let line = CallLine {
                    time: call.requested_at,
                    kind: "tool_call",
                    conversation_id: c.id,
                    message_id: m.id,
                    server: call.server.as_deref(),
                    tool: call.tool.as_deref(),
                    function: &call.function_name,
                    arguments: scrub(&call.arguments),
                    decision: call.decision,
                    reason: call.reason.as_deref().map(scrub),
                    duration_ms: match (call.started_at, call.finished_at) {
                        (Some(start), Some(end)) => Some((end - start).num_milliseconds()),
                        _ => None,
                    },
                    result_bytes: call.result_bytes,
                    is_error: call.is_error,
                    redacted: options.redact,
                };
                serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(count)
}
