//! The `attachment_blobs` and `message_attachments` tables: a user message saved with its files,
//! the files of the messages read, a file's bytes, and the user's word on whether a model takes
//! images (`model_profiles.vision`).
//!
//! Blobs are keyed by the SHA-256 of their bytes, so the same file twice is stored once; a trigger
//! removes a blob with its last link.

use std::collections::HashMap;

use super::messages::{conversation_not_found, MessageRow, COLUMNS};
use super::{check_content, ConversationId, Message, MessageId, Result, Store, StoreError};
use crate::attachments::{Attachment, AttachmentKind, Prepared};

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    message_id: i64,
    id: i64,
    name: String,
    kind: String,
    mime: String,
    size: i64,
    sha256: String,
}

impl From<AttachmentRow> for Attachment {
    fn from(row: AttachmentRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            kind: AttachmentKind::parse(&row.kind),
            mime: row.mime,
            size: row.size,
            sha256: row.sha256,
        }
    }
}

const ATTACHMENT_COLUMNS: &str = "a.message_id, a.id, a.name, a.kind, b.mime, b.size, a.sha256 \
     FROM message_attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256";

impl Store {
    /// Adds the user's message with its files (blobs stored once by their hash, then the links in
    /// the order given) and marks the conversation active, in one transaction. `content` already
    /// holds the text files' text ([`crate::attachments::compose`]); it may be empty when an image
    /// is attached.
    pub async fn append_user_message_with_attachments(
        &self,
        conversation_id: ConversationId,
        content: &str,
        files: &[Prepared],
    ) -> Result<Message> {
        check_content("message", content)?;
        if content.trim().is_empty() && files.is_empty() {
            return Err(StoreError::invalid(
                "the message is empty — type something to send",
            ));
        }
        let now = self.now_ms();
        let mut tx = self.write_tx().await?;
        let bumped = sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(conversation_id.0)
            .execute(&mut tx)
            .await?;
        if bumped.rows_affected() == 0 {
            return Err(conversation_not_found(conversation_id));
        }
        let row: MessageRow = sqlx::query_as(&format!(
            "INSERT INTO messages (conversation_id, role, content, status, created_at, completed_at)
             VALUES (?, 'user', ?, 'complete', ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(conversation_id.0)
        .bind(content)
        .bind(now)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        let mut message: Message = row.into();
        message.attachments = link_files(&mut tx, message.id.0, files).await?;
        message.written = crate::attachments::written_part(
            content,
            files
                .iter()
                .filter(|f| f.kind == AttachmentKind::Text)
                .map(|f| (f.name.as_str(), f.bytes.as_slice())),
        )
        .map(str::to_owned);
        super::drafts::sent(&mut tx, conversation_id).await?;
        tx.commit().await?;
        Ok(message)
    }

    /// The files of each of `ids` that has any, in their order.
    pub async fn attachments_of(
        &self,
        ids: &[MessageId],
    ) -> Result<HashMap<MessageId, Vec<Attachment>>> {
        let mut out: HashMap<MessageId, Vec<Attachment>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let list = serde_json::to_string(&ids.iter().map(|id| id.0).collect::<Vec<_>>())
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
            "SELECT {ATTACHMENT_COLUMNS}
             WHERE a.message_id IN (SELECT value FROM json_each(?))
             ORDER BY a.message_id, a.position"
        ))
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            out.entry(MessageId(row.message_id))
                .or_default()
                .push(row.into());
        }
        Ok(out)
    }

    /// `messages` with their files (and a reply's tool calls) filled in: every read of messages
    /// goes through this.
    pub(crate) async fn with_attachments(
        &self,
        mut messages: Vec<Message>,
    ) -> Result<Vec<Message>> {
        // Only user messages carry files; a page of replies costs no query.
        let ids: Vec<MessageId> = messages
            .iter()
            .filter(|m| m.role == super::Role::User)
            .map(|m| m.id)
            .collect();
        let mut found = self.attachments_of(&ids).await?;
        if !found.is_empty() {
            // The text files' bytes, to tell what the user wrote from the files fenced after it.
            let texts: Vec<&str> = found
                .values()
                .flatten()
                .filter(|a| a.kind == AttachmentKind::Text)
                .map(|a| a.sha256.as_str())
                .collect();
            let blobs = self.blobs(&texts).await?;
            for m in &mut messages {
                if let Some(files) = found.remove(&m.id) {
                    m.attachments = files;
                    m.written = written_of(&m.content, &m.attachments, &blobs);
                }
            }
        }
        // Replies that called tools carry their calls and results.
        let replies: Vec<MessageId> = messages
            .iter()
            .filter(|m| m.role == super::Role::Assistant)
            .map(|m| m.id)
            .collect();
        let mut calls = self.tool_calls_of(&replies).await?;
        if !calls.is_empty() {
            for m in &mut messages {
                if let Some(made) = calls.remove(&m.id) {
                    m.tool_calls = made;
                }
            }
        }
        Ok(messages)
    }

    /// One attachment and its bytes.
    pub async fn attachment_bytes(&self, id: i64) -> Result<(Attachment, Vec<u8>)> {
        let row: Option<AttachmentRow> =
            sqlx::query_as(&format!("SELECT {ATTACHMENT_COLUMNS} WHERE a.id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                entity: "attachment",
                id,
            });
        };
        let (bytes,): (Vec<u8>,) =
            sqlx::query_as("SELECT bytes FROM attachment_blobs WHERE sha256 = ?")
                .bind(&row.sha256)
                .fetch_one(&self.pool)
                .await?;
        Ok((row.into(), bytes))
    }

    /// The type and bytes of the blobs with these hashes (those that exist).
    pub async fn blobs(&self, hashes: &[&str]) -> Result<HashMap<String, (String, Vec<u8>)>> {
        if hashes.is_empty() {
            return Ok(HashMap::new());
        }
        let list = serde_json::to_string(hashes).map_err(|e| StoreError::invalid(e.to_string()))?;
        let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT sha256, mime, bytes FROM attachment_blobs
             WHERE sha256 IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(sha, mime, bytes)| (sha, (mime, bytes)))
            .collect())
    }

    /// How many distinct files are stored (each once, however often attached).
    pub async fn attachment_blob_count(&self) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM attachment_blobs")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// The user's word on whether the model under `tokenizer` (see
    /// [`crate::memory::tokenizer_key`]) takes images; `None` when not given.
    pub async fn model_vision(&self, tokenizer: &str) -> Result<Option<bool>> {
        let row: Option<(Option<bool>,)> =
            sqlx::query_as("SELECT vision FROM model_profiles WHERE tokenizer = ?")
                .bind(tokenizer)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(v,)| v))
    }

    /// Records (or with `None` forgets) the user's word on whether a model takes images, for
    /// servers that do not say.
    pub async fn set_model_vision(&self, tokenizer: &str, vision: Option<bool>) -> Result<()> {
        sqlx::query(
            "INSERT INTO model_profiles (tokenizer, vision, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (tokenizer) DO UPDATE SET vision = excluded.vision,
                 updated_at = excluded.updated_at",
        )
        .bind(tokenizer)
        .bind(vision)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// What the user wrote of `content`, given the message's `files` and the text files' bytes.
fn written_of(
    content: &str,
    files: &[Attachment],
    blobs: &HashMap<String, (String, Vec<u8>)>,
) -> Option<String> {
    let texts = files
        .iter()
        .filter(|a| a.kind == AttachmentKind::Text)
        .map(|a| {
            let bytes = blobs.get(&a.sha256).map_or(&[][..], |(_, b)| b.as_slice());
            (a.name.as_str(), bytes)
        });
    crate::attachments::written_part(content, texts).map(str::to_owned)
}

/// Stores `files` (each blob once, by its hash) and links them to message `message_id` in their
/// order, inside the caller's transaction.
pub(super) async fn link_files(
    conn: &mut super::damage::Tx,
    message_id: i64,
    files: &[Prepared],
) -> Result<Vec<Attachment>> {
    let mut linked = Vec::with_capacity(files.len());
    for (position, file) in files.iter().enumerate() {
        sqlx::query(
            "INSERT INTO attachment_blobs (sha256, mime, size, bytes) VALUES (?, ?, ?, ?)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&file.sha256)
        .bind(&file.mime)
        .bind(file.bytes.len() as i64)
        .bind(&file.bytes)
        .execute(&mut *conn)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO message_attachments (message_id, position, name, kind, sha256)
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(message_id)
        .bind(position as i64)
        .bind(&file.name)
        .bind(file.kind.as_str())
        .bind(&file.sha256)
        .fetch_one(&mut *conn)
        .await?;
        linked.push(Attachment {
            id,
            name: file.name.clone(),
            kind: file.kind,
            mime: file.mime.clone(),
            size: file.bytes.len() as i64,
            sha256: file.sha256.clone(),
        });
    }
    Ok(linked)
}
