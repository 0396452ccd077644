//! The `drafts` and `draft_files` tables: what the user is writing in each chat and has not sent,
//! with the files waiting beside it, kept across restarts. Saving a draft with nothing in it
//! removes it; so does sending a message in its chat (in the same transaction as the message,
//! see `messages/write.rs` and `attachments.rs`) and deleting the chat.

use chrono::{DateTime, Utc};

use super::damage::Tx;
use super::messages::conversation_not_found;
use super::{check_content, from_ms, ConversationId, Result, Store, StoreError};
use crate::attachments::{sha256_hex, AttachmentKind, Prepared, MAX_ATTACHMENTS};

/// One chat's unsent message.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub conversation_id: ConversationId,
    pub text: String,
    /// The files waiting to be sent with it, in their order, bytes and all.
    pub files: Vec<Prepared>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Keeps chat `conversation_id`'s unsent `text`, and when `files` is given, the files waiting
    /// with it in place of those kept before (`None` leaves them as they are: typing does not
    /// rewrite an image). A draft left with no text and no files is removed. One transaction.
    pub async fn save_draft(
        &self,
        conversation_id: ConversationId,
        text: &str,
        files: Option<&[Prepared]>,
    ) -> Result<()> {
        check_content("draft", text)?;
        if files.is_some_and(|f| f.len() > MAX_ATTACHMENTS) {
            return Err(StoreError::invalid(format!(
                "a message can carry at most {MAX_ATTACHMENTS} files"
            )));
        }
        let mut tx = self.write_tx().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations WHERE id = ?")
            .bind(conversation_id.0)
            .fetch_optional(&mut tx)
            .await?;
        if exists.is_none() {
            return Err(conversation_not_found(conversation_id));
        }
        sqlx::query(
            "INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text,
                 updated_at = excluded.updated_at",
        )
        .bind(conversation_id.0)
        .bind(text)
        .bind(self.now_ms())
        .execute(&mut tx)
        .await?;
        if let Some(files) = files {
            sqlx::query("DELETE FROM draft_files WHERE conversation_id = ?")
                .bind(conversation_id.0)
                .execute(&mut tx)
                .await?;
            for (position, file) in files.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO draft_files (conversation_id, position, name, kind, mime, bytes)
                     VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(conversation_id.0)
                .bind(position as i64)
                .bind(&file.name)
                .bind(file.kind.as_str())
                .bind(&file.mime)
                .bind(&file.bytes)
                .execute(&mut tx)
                .await?;
            }
        }
        if text.trim().is_empty() {
            sqlx::query(
                "DELETE FROM drafts WHERE conversation_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM draft_files WHERE conversation_id = ?1)",
            )
            .bind(conversation_id.0)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets chat `conversation_id`'s draft, files and all.
    pub async fn clear_draft(&self, conversation_id: ConversationId) -> Result<()> {
        sqlx::query("DELETE FROM drafts WHERE conversation_id = ?")
            .bind(conversation_id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every chat's draft, most recently written first, with its files.
    pub async fn drafts(&self) -> Result<Vec<Draft>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT conversation_id, text, updated_at FROM drafts ORDER BY updated_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let files: Vec<(i64, String, String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT conversation_id, name, kind, mime, bytes FROM draft_files
             ORDER BY conversation_id, position",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut drafts: Vec<Draft> = rows
            .into_iter()
            .map(|(id, text, at)| Draft {
                conversation_id: ConversationId(id),
                text,
                files: Vec::new(),
                updated_at: from_ms(at),
            })
            .collect();
        for (id, name, kind, mime, bytes) in files {
            if let Some(draft) = drafts.iter_mut().find(|d| d.conversation_id.0 == id) {
                draft.files.push(Prepared {
                    name,
                    kind: AttachmentKind::parse(&kind),
                    mime,
                    sha256: sha256_hex(&bytes),
                    bytes,
                });
            }
        }
        Ok(drafts)
    }
}

/// Removes chat `conversation_id`'s draft inside the transaction that sends its message.
pub(super) async fn sent(tx: &mut Tx, conversation_id: ConversationId) -> Result<()> {
    sqlx::query("DELETE FROM drafts WHERE conversation_id = ?")
        .bind(conversation_id.0)
        .execute(tx)
        .await?;
    Ok(())
}
