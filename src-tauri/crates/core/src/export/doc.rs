//! Confab's lossless JSON: one conversation, or a backup of all of them.
//!
//! ```json
//! { "format": "confab.conversation", "version": 2, "exported_at": "…",
//!   "conversation": { "title", "system_prompt", "model", "params", "created_at", "updated_at",
//!                     "pinned", "archived", "id" },
//!   "messages": [ { "id", "role", "content", "status", "error", "model", "prompt_tokens",
//!                   "completion_tokens", "created_at", "completed_at", "pinned",
//!                   "version_of", "hidden", "reasoning", "finish_reason", "ended",
//!                   "stats": { "first_token_ms", "generation_ms", "tokens_per_second",
//!                              "prompt_per_second", "cached_tokens", "from_server" } } ],
//!   "summaries": [ { "content", "covers_through_message_id", "token_count", "model",
//!                    "created_at", "edited_by_user" } ] }
//! ```
//! A backup is `{ "format": "confab.backup", "version": 2, "exported_at", "conversations": [ {
//! "conversation", "messages", "summaries" } ] }`. Ids are the exporting database's: on import
//! every conversation and message gets a fresh one, and summaries follow their messages.
//!
//! `messages` holds every version of every reply: `version_of` is the id of the first version of
//! the reply (its own id for that one) and `hidden` marks the versions not shown. These, the
//! reasoning and the finish reason are new in version 2 and optional: a version 1 file, without
//! them, imports as it always did. So are a reply's `stats` (and each figure in them), added to
//! version 2 later: a file without them imports with the figures unknown, and a Confab that
//! predates them ignores them. Version 3 added each message's files (`attachments`, each with
//! its `name`, `kind`, `mime`, `size`, `sha256` and its bytes as base64 `data`), and later how
//! each reply ended (`ended`: "stop", "length", "stopped", "interrupted", …), optional: a file
//! without it, or with a value this Confab does not know, imports with the ending told from the
//! status and the finish reason. Version 4 added a reply's `tool_calls` (each with `call_id`,
//! `function_name`, `server`, `tool`, `arguments`, `decision`, `reason`, `result`,
//! `result_bytes`, `is_error`, its times, and the `images` its result carried, each a `mime` and
//! base64 `data`). Server definitions are never exported.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ImportError, ImportPlan, ImportSource, MessageBatches};
use crate::store::{
    Conversation, Ending, ImportCall, ImportConversation, ImportMessage, ImportSummary,
    MessageStatus, ReplyStats, Role, Summary,
};

pub const CONVERSATION_FORMAT: &str = "confab.conversation";
pub const BACKUP_FORMAT: &str = "confab.backup";
/// The version written. Version 4 added a reply's tool calls with their decisions and results:
/// an older Confab refuses these files rather than lose them. Version 3 added attached files: an older Confab refuses these files
/// rather than import them without their images. Version 2 added reply versions (`version_of`, `hidden`), reasoning and
/// the finish reason; a Confab that reads only version 1 refuses these files rather than showing
/// hidden versions as messages.
pub const VERSION: u64 = 4;
/// The oldest version read: version 1 files import as they always did.
pub const OLDEST_READ: u64 = 1;

pub(super) fn write_file_start(
    out: &mut (dyn Write + Send),
    format: &str,
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    write!(
        out,
        "{{\"format\":{},\"version\":{VERSION},\"exported_at\":{},",
        serde_json::to_string(format)?,
        serde_json::to_string(&now)?
    )
}

/// `"conversation":…,"messages":[…],"summaries":[…]` — returns how many messages.
pub(super) async fn write_body(
    out: &mut (dyn Write + Send),
    conversation: &Conversation,
    messages: &mut MessageBatches<'_>,
    summaries: &[Summary],
) -> Result<u64, super::ExportError> {
    let meta = serde_json::json!({
        "id": conversation.id,
        "title": conversation.title,
        "system_prompt": conversation.system_prompt,
        "model": conversation.model,
        "params": conversation.params,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "pinned": conversation.pinned,
        "archived": conversation.archived,
    });
    out.write_all(b"\"conversation\":")?;
    serde_json::to_writer(&mut *out, &meta).map_err(std::io::Error::from)?;
    out.write_all(b",\"messages\":[")?;
    let mut count = 0u64;
    while let Some(batch) = messages.next().await? {
        for m in &batch {
            if count > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n")?;
            match with_data(messages.store, m).await? {
                None => serde_json::to_writer(&mut *out, m).map_err(std::io::Error::from)?,
                Some(doc) => {
                    serde_json::to_writer(&mut *out, &doc).map_err(std::io::Error::from)?
                }
            }
            count += 1;
        }
    }
    out.write_all(b"],\"summaries\":[")?;
    for (i, s) in summaries.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let doc = serde_json::json!({
            "content": s.content,
            "covers_through_message_id": s.covers_through_message_id,
            "token_count": s.token_count,
            "model": s.model,
            "created_at": s.created_at,
            "edited_by_user": s.edited_by_user,
        });
        serde_json::to_writer(&mut *out, &doc).map_err(std::io::Error::from)?;
    }
    out.write_all(b"]")?;
    Ok(count)
}

/// The message as written when it carries bytes (`None` when it does not): each attachment with
/// its bytes in base64 (`data`), and each tool call with the images its result carried
/// (`images`: `mime` and base64 `data`), so that an import gives them back.
async fn with_data(
    store: &crate::store::Store,
    m: &crate::store::Message,
) -> Result<Option<serde_json::Value>, super::ExportError> {
    use base64::Engine as _;
    let calls: Vec<i64> = m
        .tool_calls
        .iter()
        .filter(|c| c.images > 0)
        .map(|c| c.id)
        .collect();
    let images = store.tool_result_images_of(&calls).await?;
    if m.attachments.is_empty() && images.is_empty() {
        return Ok(None);
    }
    let keys: Vec<&str> = m.attachments.iter().map(|a| a.sha256.as_str()).collect();
    let blobs = store.blobs(&keys).await?;
    let mut doc = serde_json::to_value(m).map_err(std::io::Error::from)?;
    for (i, call) in m.tool_calls.iter().enumerate() {
        if let Some(found) = images.get(&call.id) {
            doc["tool_calls"][i]["images"] = found
                .iter()
                .map(|(mime, bytes)| {
                    serde_json::json!({
                        "mime": mime,
                        "data": base64::engine::general_purpose::STANDARD.encode(bytes),
                    })
                })
                .collect();
        }
    }
    // The content says it all: what the user wrote is told from it again on reading.
    if let Some(fields) = doc.as_object_mut() {
        fields.remove("written");
    }
    if m.attachments.is_empty() {
        return Ok(Some(doc));
    }
    doc["attachments"] = m
        .attachments
        .iter()
        .map(|a| {
            let mut entry = serde_json::to_value(a).unwrap_or_default();
            if let Some((_, bytes)) = blobs.get(&a.sha256) {
                entry["data"] = base64::engine::general_purpose::STANDARD
                    .encode(bytes)
                    .into();
            }
            entry
        })
        .collect();
    Ok(Some(doc))
}

/// A file of a message in the lossless JSON.
#[derive(Deserialize)]
struct AttachmentDoc {
    name: String,
    /// The bytes, base64.
    data: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    format: String,
    version: u64,
    #[allow(dead_code)]
    exported_at: DateTime<Utc>,
    #[serde(default)]
    conversation: Option<ConversationMeta>,
    #[serde(default)]
    messages: Option<Vec<MessageDoc>>,
    #[serde(default)]
    summaries: Option<Vec<SummaryDoc>>,
    #[serde(default)]
    conversations: Option<Vec<BodyDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyDoc {
    conversation: ConversationMeta,
    messages: Vec<MessageDoc>,
    summaries: Vec<SummaryDoc>,
}

#[derive(Deserialize)]
struct ConversationMeta {
    title: String,
    #[serde(default)]
    system_prompt: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default = "empty_object")]
    params: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    archived: bool,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

#[derive(Deserialize)]
struct MessageDoc {
    id: i64,
    role: Role,
    content: String,
    status: MessageStatus,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    prompt_tokens: Option<i64>,
    #[serde(default)]
    completion_tokens: Option<i64>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    version_of: Option<i64>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    reasoning: String,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    ended: Option<String>,
    #[serde(default)]
    stats: ReplyStats,
    #[serde(default)]
    attachments: Vec<AttachmentDoc>,
    #[serde(default)]
    tool_calls: Vec<CallDoc>,
}

/// A tool call of a message in the lossless JSON, with the images its result carried.
#[derive(Deserialize)]
struct CallDoc {
    #[serde(flatten)]
    record: crate::store::ToolCallRecord,
    #[serde(default)]
    images: Vec<ImageDoc>,
}

#[derive(Deserialize)]
struct ImageDoc {
    /// The bytes, base64.
    data: String,
}

#[derive(Deserialize)]
struct SummaryDoc {
    content: String,
    covers_through_message_id: i64,
    #[serde(default)]
    token_count: Option<i64>,
    #[serde(default)]
    model: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    edited_by_user: bool,
}

pub(super) fn parse(value: serde_json::Value) -> Result<ImportPlan, ImportError> {
    let file: FileDoc =
        serde_json::from_value(value).map_err(|e| ImportError::Malformed(e.to_string()))?;
    if !(OLDEST_READ..=VERSION).contains(&file.version) {
        return Err(ImportError::UnsupportedVersion(file.version));
    }
    let (source, bodies) = match file.format.as_str() {
        CONVERSATION_FORMAT => {
            let (Some(conversation), Some(messages), Some(summaries)) =
                (file.conversation, file.messages, file.summaries)
            else {
                return Err(ImportError::Invalid(
                    "the export lacks its conversation, messages or summaries".into(),
                ));
            };
            (
                ImportSource::ConfabConversation,
                vec![BodyDoc {
                    conversation,
                    messages,
                    summaries,
                }],
            )
        }
        _ => (
            ImportSource::ConfabBackup,
            file.conversations
                .ok_or_else(|| ImportError::Invalid("the backup lacks its conversations".into()))?,
        ),
    };
    let conversations = bodies
        .into_iter()
        .map(to_import)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImportPlan {
        source,
        conversations,
        skipped_messages: 0,
        skipped_parts: 0,
    })
}

fn to_import(body: BodyDoc) -> Result<ImportConversation, ImportError> {
    let index: HashMap<i64, usize> = body
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    if index.len() != body.messages.len() {
        return Err(ImportError::Invalid(format!(
            "conversation {:?} lists a message id twice",
            body.conversation.title
        )));
    }
    let summaries = body
        .summaries
        .into_iter()
        .map(|s| {
            let Some(&covers_through) = index.get(&s.covers_through_message_id) else {
                return Err(ImportError::Invalid(format!(
                    "a summary of {:?} covers message {}, which the file does not have",
                    body.conversation.title, s.covers_through_message_id
                )));
            };
            Ok(ImportSummary {
                content: s.content,
                covers_through,
                token_count: s.token_count,
                model: s.model,
                created_at: s.created_at,
                edited_by_user: s.edited_by_user,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let version_of = body
        .messages
        .iter()
        .map(|m| {
            m.version_of
                .map(|root| {
                    index.get(&root).copied().ok_or_else(|| {
                        ImportError::Invalid(format!(
                            "message {} of {:?} is a version of message {root}, which the file does \
                             not have",
                            m.id, body.conversation.title
                        ))
                    })
                })
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let files = body
        .messages
        .iter()
        .map(|m| files_of(m, &body.conversation.title))
        .collect::<Result<Vec<_>, _>>()?;
    let images = body
        .messages
        .iter()
        .map(|m| call_images_of(m, &body.conversation.title))
        .collect::<Result<Vec<_>, _>>()?;
    let c = body.conversation;
    Ok(ImportConversation {
        title: c.title,
        system_prompt: c.system_prompt,
        model: c.model,
        params: c.params,
        created_at: c.created_at,
        updated_at: c.updated_at,
        pinned: c.pinned,
        archived: c.archived,
        messages: body
            .messages
            .into_iter()
            .zip(version_of)
            .zip(files)
            .zip(images)
            .map(|(((m, version_of), attachments), images)| ImportMessage {
                tool_calls: m
                    .tool_calls
                    .into_iter()
                    .zip(images)
                    .map(|(call, images)| ImportCall {
                        record: call.record,
                        images,
                    })
                    .collect(),
                role: m.role,
                content: m.content,
                status: m.status,
                error: m.error,
                model: m.model,
                prompt_tokens: m.prompt_tokens,
                completion_tokens: m.completion_tokens,
                created_at: m.created_at,
                completed_at: m.completed_at,
                pinned: m.pinned,
                version_of,
                hidden: m.hidden,
                reasoning: m.reasoning,
                finish_reason: m.finish_reason,
                ended: m.ended.as_deref().and_then(Ending::parse),
                stats: m.stats,
                attachments,
            })
            .collect(),
        summaries,
    })
}

/// A message's files, decoded and checked as when they were attached.
/// The images of each tool call of `m`, decoded and checked: each must be a PNG, JPEG, WebP or
/// GIF of at most [`crate::attachments::MAX_IMAGE_BYTES`], as when a tool returned it.
#[allow(clippy::type_complexity)]
fn call_images_of(
    m: &MessageDoc,
    title: &str,
) -> Result<Vec<Vec<(&'static str, Vec<u8>)>>, ImportError> {
    use base64::Engine as _;
    m.tool_calls
        .iter()
        .map(|call| {
            call.images
                .iter()
                .map(|image| {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(&image.data)
                        .ok()
                        .filter(|b| b.len() <= crate::attachments::MAX_IMAGE_BYTES);
                    bytes
                        .and_then(|b| Some((crate::attachments::image_mime(&b)?, b)))
                        .ok_or_else(|| {
                            ImportError::Invalid(format!(
                                "an image of tool call {:?} in message {} of {title:?} is not a \
                                 PNG, JPEG, WebP or GIF of at most 10 MB in base64",
                                call.record.call_id, m.id
                            ))
                        })
                })
                .collect()
        })
        .collect()
}

fn files_of(m: &MessageDoc, title: &str) -> Result<Vec<crate::attachments::Prepared>, ImportError> {
    use base64::Engine as _;
    m.attachments
        .iter()
        .map(|a| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&a.data)
                .map_err(|e| {
                    ImportError::Invalid(format!(
                        "the file {:?} of message {} of {title:?} is not valid base64: {e}",
                        a.name, m.id
                    ))
                })?;
            crate::attachments::prepare(crate::attachments::Upload {
                name: a.name.clone(),
                bytes,
            })
            .map_err(|e| ImportError::Invalid(format!("message {} of {title:?}: {e}", m.id)))
        })
        .collect()
}
