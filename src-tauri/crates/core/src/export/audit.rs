//! The audit log: JSON Lines, one line per message (time, conversation, role, model, how a reply
//! ended, text, token counts, a reply's statistics when any are known, the names of its files) and
//! one per tool call (`"kind": "tool_call"`: server, tool, arguments, decision, duration, result
//! size), optionally with personal data redacted from every string a person or a model wrote.

use std::borrow::Cow;
use std::io::Write;

use super::{redact::redact, ExportError, ExportOptions, MessageBatches};
use crate::store::{
    Conversation, ConversationId, Ending, MessageId, MessageStatus, ReplyStats, Role, ToolDecision,
};

/// One line of the audit log. With `--redact`, every string in it that a person or a model wrote
/// (the title, the text, the model's name, the files' names) is redacted; the rest are numbers,
/// times and Confab's own words (role, status).
#[derive(serde::Serialize)]
struct Line<'a> {
    time: chrono::DateTime<chrono::Utc>,
    conversation_id: ConversationId,
    conversation: &'a str,
    message_id: MessageId,
    role: Role,
    model: Option<Cow<'a, str>>,
    status: MessageStatus,
    /// How a reply ended ("stop", "length", "stopped", …); absent for the user's messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<Ending>,
    text: Cow<'a, str>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    #[serde(skip_serializing_if = "ReplyStats::is_empty")]
    stats: &'a ReplyStats,
    redacted: bool,
    /// The names of the files attached to the message (their text, if any, is in `text`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Cow<'a, str>>,
}

/// One line of the audit log per tool call, after its message's line; redacted as [`Line`] is
/// (the server's, tool's and function's names, the arguments, the reason).
#[derive(serde::Serialize)]
struct CallLine<'a> {
    time: chrono::DateTime<chrono::Utc>,
    kind: &'static str,
    conversation_id: ConversationId,
    message_id: MessageId,
    server: Option<Cow<'a, str>>,
    tool: Option<Cow<'a, str>>,
    function: Cow<'a, str>,
    arguments: Cow<'a, str>,
    decision: ToolDecision,
    reason: Option<Cow<'a, str>>,
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
            let written = |text| written(text, options.redact);
            let line = Line {
                time: m.created_at,
                conversation_id: c.id,
                conversation: &title,
                message_id: m.id,
                role: m.role,
                model: m.model.as_deref().map(written),
                status: m.status,
                ended: m.ended,
                text: written(&m.content),
                prompt_tokens: m.prompt_tokens,
                completion_tokens: m.completion_tokens,
                stats: &m.stats,
                redacted: options.redact,
                attachments: m.attachments.iter().map(|a| written(&a.name)).collect(),
            };
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            count += 1;
            for call in &m.tool_calls {
                let line = CallLine {
                    time: call.requested_at,
                    kind: "tool_call",
                    conversation_id: c.id,
                    message_id: m.id,
                    server: call.server.as_deref().map(written),
                    tool: call.tool.as_deref().map(written),
                    function: written(&call.function_name),
                    arguments: written(&call.arguments),
                    decision: call.decision,
                    reason: call.reason.as_deref().map(written),
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

/// `text` as the log carries it: redacted when asked.
fn written(text: &str, redacting: bool) -> Cow<'_, str> {
    if redacting {
        Cow::Owned(redact(text))
    } else {
        Cow::Borrowed(text)
    }
}
