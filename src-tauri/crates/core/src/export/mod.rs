//! Export and import of conversation logs.
//!
//! - [`Format::Markdown`]: a readable log with a metadata header and the summary as an appendix.
//! - [`Format::Json`]: lossless and versioned; importing it gives back the same conversation.
//! - [`Format::Html`]: one standalone, printable file; every text is escaped.
//! - [`Format::Jsonl`]: an audit log, one line per message, optionally with PII redacted.
//! - [`export_backup`]: every conversation in one JSON archive; restoring it is an import.
//! - [`export_project`]: a project's chats in the same archive format.
//!
//! Exports stream to the writer in batches of messages: no whole-history string is built.
//! Imports ([`parse_import`], then [`import`]) read Confab's JSON (one conversation or a backup)
//! and ChatGPT's `conversations.json`, preview what they hold, and land in one transaction.
//! [`ExportFile`] and [`read_import`] are the files on disk every front end writes and reads.

mod audit;
mod chatgpt;
mod doc;
mod file;
mod html;
mod markdown;
pub mod redact;

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::error::{Coded, ErrorCode};
use crate::store::{
    Conversation, ConversationId, ImportConversation, InProject, ListConversations, Message,
    ProjectError, ProjectId, Store, StoreError, Summary,
};

pub use crate::store::ImportProgress;
pub use doc::{BACKUP_FORMAT, CONVERSATION_FORMAT, OLDEST_READ, VERSION};
pub use file::{export_conversation_to, export_project_to, read_import, ExportFile};

/// Messages read per step while exporting.
const BATCH: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Markdown,
    Json,
    Html,
    Jsonl,
}

impl Format {
    /// Every format, in the order a front end offers them.
    pub const ALL: [Self; 4] = [Self::Markdown, Self::Html, Self::Json, Self::Jsonl];

    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Self::Markdown),
            "json" => Some(Self::Json),
            "html" | "htm" => Some(Self::Html),
            "jsonl" | "audit" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// [`Format::parse`], or an error that lists the names there are.
    pub fn named(name: &str) -> Result<Self, ExportError> {
        Self::parse(name).ok_or_else(|| ExportError::UnknownFormat(name.to_owned()))
    }

    /// What a person calls the format, e.g. in a menu or a save dialog's file filter.
    pub fn label(self) -> &'static str {
        match self {
            Self::Markdown => "Markdown",
            Self::Json => "Confab JSON",
            Self::Html => "Web page",
            Self::Jsonl => "Audit log",
        }
    }

    /// What the format is good for, in a few words beside its label.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Markdown => "a readable log",
            Self::Json => "lossless, re-importable",
            Self::Html => "standalone, printable",
            Self::Jsonl => "JSON Lines, one line per message",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Html => "html",
            Self::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Audit log only: replace e-mail addresses, phone numbers, IP addresses and API-key-like
    /// strings with placeholders.
    pub redact: bool,
    /// The server the chat talked to, for the Markdown and HTML headers.
    pub endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unknown export format {0:?}: use md, json, html or jsonl")]
    UnknownFormat(String),
}

impl Coded for ExportError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Store(e) => e.code(),
            Self::Project(e) => e.code(),
            Self::Io(_) | Self::Write { .. } => ErrorCode::Io,
            Self::UnknownFormat(_) => ErrorCode::InvalidInput,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not valid JSON ({0}) — is it complete? A truncated file imports nothing")]
    Malformed(String),
    #[error(
        "this is not a file Confab can import: expected a Confab export or backup (JSON) or \
         ChatGPT's conversations.json"
    )]
    UnknownFormat,
    #[error("this export is version {0}; this Confab reads versions {OLDEST_READ} to {VERSION} — update Confab")]
    UnsupportedVersion(u64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Coded for ImportError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed(_) => ErrorCode::Malformed,
            Self::UnknownFormat => ErrorCode::UnknownFormat,
            Self::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            Self::Invalid(_) => ErrorCode::InvalidInput,
            Self::Store(e) => e.code(),
            Self::Read { .. } => ErrorCode::Io,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExportStats {
    pub conversations: u64,
    pub messages: u64,
}

/// Writes one conversation in `format` to `out`.
pub async fn export_conversation(
    store: &Store,
    id: ConversationId,
    format: Format,
    options: &ExportOptions,
    out: &mut (dyn Write + Send),
) -> Result<ExportStats, ExportError> {
    let conversation = store.get_conversation(id).await?;
    let summaries = store.summaries(id).await?;
    let now = store.now();
    let mut messages = match format {
        Format::Json => MessageBatches::every_version(store, id),
        _ => MessageBatches::visible(store, id),
    };
    let count = match format {
        Format::Json => {
            doc::write_file_start(out, CONVERSATION_FORMAT, now)?;
            let n = doc::write_body(out, &conversation, &mut messages, &summaries).await?;
            out.write_all(b"}\n")?;
            n
        }
        Format::Markdown => {
            markdown::write(out, &conversation, &mut messages, &summaries, options, now).await?
        }
        Format::Html => {
            html::write(out, &conversation, &mut messages, &summaries, options, now).await?
        }
        Format::Jsonl => audit::write(out, &conversation, &mut messages, options).await?,
    };
    out.flush()?;
    Ok(ExportStats {
        conversations: 1,
        messages: count,
    })
}

/// Writes every conversation (archived ones too) as one Confab backup archive.
pub async fn export_backup(
    store: &Store,
    out: &mut (dyn Write + Send),
) -> Result<ExportStats, ExportError> {
    write_archive(store, InProject::Any, out).await
}

/// Writes every chat of a project (archived ones too), losslessly, as a Confab backup archive:
/// importing it brings the chats back (outside any project).
pub async fn export_project(
    store: &Store,
    project: ProjectId,
    out: &mut (dyn Write + Send),
) -> Result<ExportStats, ExportError> {
    store.get_project(project).await?;
    write_archive(store, InProject::Is(project), out).await
}

async fn write_archive(
    store: &Store,
    project: InProject,
    out: &mut (dyn Write + Send),
) -> Result<ExportStats, ExportError> {
    let now = store.now();
    doc::write_file_start(out, BACKUP_FORMAT, now)?;
    out.write_all(b"\"conversations\":[")?;
    let mut stats = ExportStats::default();
    let mut after = None;
    loop {
        let page = store
            .list_conversations(ListConversations {
                limit: 200,
                after,
                include_archived: true,
                project,
                ..Default::default()
            })
            .await?;
        for c in &page.items {
            if stats.conversations > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{")?;
            let summaries = store.summaries(c.id).await?;
            let mut messages = MessageBatches::every_version(store, c.id);
            stats.messages += doc::write_body(out, c, &mut messages, &summaries).await?;
            out.write_all(b"}")?;
            stats.conversations += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(stats)
}

/// What [`export_readable`] saved, and what it could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct Salvaged {
    pub conversations: u64,
    pub messages: u64,
    /// The chats that could not be read whole, as "title (id)"; none of their messages is saved,
    /// so nothing half-read passes for a whole chat.
    pub unreadable: Vec<String>,
    /// Set when listing the chats itself broke off: chats after that point were not reached.
    pub stopped: Option<String>,
}

/// Writes every chat that can still be read from a damaged database (opened with
/// [`Store::open_for_reading`]) as one Confab backup archive, which Confab imports. Unlike
/// [`export_backup`] it goes on past a chat it cannot read, and says which.
pub async fn export_readable(
    store: &Store,
    out: &mut (dyn Write + Send),
) -> Result<Salvaged, ExportError> {
    doc::write_file_start(out, BACKUP_FORMAT, store.now())?;
    out.write_all(b"\"conversations\":[")?;
    let mut saved = Salvaged::default();
    let mut after = None;
    loop {
        let page = match store
            .list_conversations(ListConversations {
                limit: 200,
                after,
                include_archived: true,
                ..Default::default()
            })
            .await
        {
            Ok(page) => page,
            Err(e) => {
                saved.stopped = Some(e.to_string());
                break;
            }
        };
        for c in &page.items {
            // Each chat is written to memory first, so a chat that breaks halfway leaves nothing.
            let mut body = Vec::new();
            let written = async {
                let summaries = store.summaries(c.id).await?;
                let mut messages = MessageBatches::every_version(store, c.id);
                doc::write_body(&mut body, c, &mut messages, &summaries).await
            }
            .await;
            match written {
                Ok(n) => {
                    if saved.conversations > 0 {
                        out.write_all(b",")?;
                    }
                    out.write_all(b"{")?;
                    out.write_all(&body)?;
                    out.write_all(b"}")?;
                    saved.conversations += 1;
                    saved.messages += n;
                }
                Err(e) => {
                    tracing::warn!(id = %c.id, error = %e, "a chat could not be read");
                    saved.unreadable.push(format!("{} ({})", c.title, c.id));
                }
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(saved)
}

/// A file's conversations, ready to import, and what was skipped on the way.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub source: ImportSource,
    pub conversations: Vec<ImportConversation>,
    /// ChatGPT nodes left out: system, hidden, tool and empty messages.
    pub skipped_messages: u64,
    /// ChatGPT content parts that are not text (images, files).
    pub skipped_parts: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    ConfabConversation,
    ConfabBackup,
    ChatGpt,
}

/// The preview a person confirms before importing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportPreview {
    pub source: ImportSource,
    pub conversations: u64,
    pub messages: u64,
    pub skipped_messages: u64,
    pub skipped_parts: u64,
}

impl ImportPlan {
    pub fn preview(&self) -> ImportPreview {
        ImportPreview {
            source: self.source,
            conversations: self.conversations.len() as u64,
            messages: self
                .conversations
                .iter()
                .map(|c| c.messages.len() as u64)
                .sum(),
            skipped_messages: self.skipped_messages,
            skipped_parts: self.skipped_parts,
        }
    }
}

/// Reads an import file: Confab JSON (a conversation or a backup) or ChatGPT's
/// `conversations.json`. Nothing is written.
pub fn parse_import(bytes: &[u8]) -> Result<ImportPlan, ImportError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ImportError::Malformed(e.to_string()))?;
    match &value {
        serde_json::Value::Object(map) => match map.get("format").and_then(|f| f.as_str()) {
            Some(CONVERSATION_FORMAT) | Some(BACKUP_FORMAT) => doc::parse(value),
            _ => Err(ImportError::UnknownFormat),
        },
        serde_json::Value::Array(items) if items.iter().all(|i| i.get("mapping").is_some()) => {
            chatgpt::parse(value)
        }
        _ => Err(ImportError::UnknownFormat),
    }
}

/// Imports a parsed file in one transaction; returns the new conversations' ids.
pub async fn import(store: &Store, plan: &ImportPlan) -> Result<Vec<ConversationId>, ImportError> {
    Ok(store.import_conversations(&plan.conversations).await?)
}

/// [`import`], reporting progress as it writes (see [`ImportProgress`]).
pub async fn import_with_progress(
    store: &Store,
    plan: &ImportPlan,
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> Result<Vec<ConversationId>, ImportError> {
    Ok(store
        .import_conversations_with_progress(&plan.conversations, progress)
        .await?)
}

/// Reads a conversation's messages oldest first, a batch at a time.
pub(crate) struct MessageBatches<'a> {
    store: &'a Store,
    id: ConversationId,
    after: Option<crate::store::MessageId>,
    done: bool,
    /// With the versions not shown (the lossless JSON), or as the conversation reads.
    every_version: bool,
}

impl<'a> MessageBatches<'a> {
    /// The conversation as it reads: the readable exports.
    fn visible(store: &'a Store, id: ConversationId) -> Self {
        Self {
            store,
            id,
            after: None,
            done: false,
            every_version: false,
        }
    }

    /// Every message, hidden versions of replies included: the lossless JSON.
    fn every_version(store: &'a Store, id: ConversationId) -> Self {
        Self {
            every_version: true,
            ..Self::visible(store, id)
        }
    }

    /// The next batch, or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Vec<Message>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let batch = if self.every_version {
            self.store
                .every_message_oldest_first(self.id, self.after, BATCH)
                .await?
        } else {
            self.store
                .messages_oldest_first(self.id, self.after, None, BATCH)
                .await?
        };
        if batch.len() < BATCH as usize {
            self.done = true;
        }
        self.after = batch.last().map(|m| m.id);
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}

/// A file name for a conversation's export: its title, made safe for any file system.
pub fn file_name(conversation: &Conversation, format: Format) -> String {
    let name = safe_name(&conversation.title)
        .unwrap_or_else(|| format!("conversation-{}", conversation.id));
    format!("{name}.{}", format.extension())
}

/// A file name for a project's archive: its name, made safe for any file system.
pub fn project_file_name(project: &crate::store::Project) -> String {
    let name = safe_name(&project.name).unwrap_or_else(|| format!("project-{}", project.id));
    format!("{name}.json")
}

fn safe_name(text: &str) -> Option<String> {
    let name = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let name: String = name.trim_matches(['.', ' ']).chars().take(80).collect();
    (!name.is_empty()).then_some(name)
}

pub(crate) fn the_latest(summaries: &[Summary]) -> Option<&Summary> {
    summaries.last()
}

pub(crate) fn human_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}
