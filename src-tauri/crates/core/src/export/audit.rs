//! The audit log: JSON Lines, one line per message (time, conversation, role, model, text, token
//! counts, and a reply's statistics when any are known), optionally with personal data redacted.

use std::io::Write;

use super::{redact::redact, ExportError, ExportOptions, MessageBatches};
use crate::store::{Conversation, ConversationId, MessageId, MessageStatus, ReplyStats, Role};

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
        }
    }
    Ok(count)
}
