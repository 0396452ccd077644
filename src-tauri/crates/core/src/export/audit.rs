//! The audit log: JSON Lines, one line per message (time, conversation, role, model, how a reply
//! ended, text, token counts, a reply's statistics when any are known, the names of its files),
//! optionally with personal data redacted from every string a person or a model wrote.

use std::borrow::Cow;
use std::io::Write;

use super::{redact::redact, ExportError, ExportOptions, MessageBatches};
use crate::store::{
    Conversation, ConversationId, Ending, MessageId, MessageStatus, ReplyStats, Role,
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
