//! Versions of a reply, continuing a reply in place, and editing the last question.
//!
//! A group of versions is named by its first version (the root); every member's `version_of` is
//! the root's id, the root's own included. Exactly one member is visible; the others are
//! `hidden` and left out of everything that reads the conversation (see
//! `migrations/0003_versions.sql`). Only the conversation's last turn is ever rewritten, so the
//! summaries and the window's anchor, which cover older turns, never move.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Coded, ErrorCode};

use super::damage::Tx;
use super::messages::{check_new_message, Message, MessageRow, NewMessage, COLUMNS};
use super::{
    check_content, from_ms, ConversationId, MessageId, MessageStatus, Result, Role, Store,
    StoreError,
};

/// Why a version operation was refused; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("there is no reply to regenerate: the chat's last message is not a reply")]
    NoReplyToRegenerate,
    #[error("this reply cannot be continued: {reason}")]
    NothingToContinue { reason: &'static str },
    #[error(
        "message {0} is not the chat's last reply: only the last reply's versions can be switched"
    )]
    NotLastReply(MessageId),
    #[error("message {0} is not your last message: only the last one can be edited and resent")]
    NotLastUserMessage(MessageId),
    #[error("the reply is still streaming — stop it first, or wait for it to finish")]
    StillStreaming,
}

impl Coded for VersionError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NoReplyToRegenerate => ErrorCode::NothingToRegenerate,
            Self::NothingToContinue { .. } => ErrorCode::NothingToContinue,
            Self::NotLastReply(_) => ErrorCode::NotLastReply,
            Self::NotLastUserMessage(_) => ErrorCode::NotLastMessage,
            Self::StillStreaming => ErrorCode::Busy,
        }
    }
}

/// One version of a reply, for a version switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReplyVersion {
    pub id: MessageId,
    pub status: MessageStatus,
    /// Not the version currently shown.
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
}

/// What [`Store::regenerate_reply`] did.
#[derive(Debug, Clone)]
pub struct Regenerated {
    /// The version set aside.
    pub hidden: MessageId,
    /// The new version, streaming and empty.
    pub reply: Message,
}

/// What [`Store::edit_and_resend`] did.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The user's message with its new text.
    pub message: Message,
    /// The replies that were visible after it and are now hidden versions.
    pub hidden: Vec<MessageId>,
    /// The new reply, streaming and empty: a version of the replies set aside, if there were any.
    pub reply: Message,
}

/// Whether `last` (the conversation's last visible message) can be regenerated.
fn check_regenerable(last: Option<&Message>) -> Result<(), VersionError> {
    match last {
        Some(m) if m.role == Role::Assistant && m.status == MessageStatus::Streaming => {
            Err(VersionError::StillStreaming)
        }
        Some(m) if m.role == Role::Assistant => Ok(()),
        _ => Err(VersionError::NoReplyToRegenerate),
    }
}

/// Whether `last` (the conversation's last visible message) can be continued in place: a reply
/// with text that was cut short or failed part-way.
fn check_continuable(last: Option<&Message>) -> Result<(), VersionError> {
    let reason = match last {
        None => "the chat has no messages",
        Some(m) if m.role != Role::Assistant => "the chat's last message is not a reply",
        Some(m) if m.status == MessageStatus::Streaming => {
            return Err(VersionError::StillStreaming)
        }
        Some(m) if m.content.trim().is_empty() => {
            "it has no text to go on from — retry or regenerate it instead"
        }
        Some(m) if m.status == MessageStatus::Complete && !m.hit_length_limit() => {
            "it is complete — regenerate it for another version"
        }
        Some(_) => return Ok(()),
    };
    Err(VersionError::NothingToContinue { reason })
}

/// Whether `message` can be edited and resent, given the conversation's last visible user
/// message and whether a reply after it is streaming.
fn check_editable(
    message: &Message,
    last_user: Option<MessageId>,
    streaming_after: bool,
) -> Result<(), VersionError> {
    if message.role != Role::User || message.hidden || last_user != Some(message.id) {
        return Err(VersionError::NotLastUserMessage(message.id));
    }
    if streaming_after {
        return Err(VersionError::StillStreaming);
    }
    Ok(())
}

async fn last_visible(conn: &mut Tx, conversation_id: ConversationId) -> Result<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM messages WHERE conversation_id = ? AND hidden = 0
         ORDER BY id DESC LIMIT 1"
    ))
    .bind(conversation_id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

async fn message_in(conn: &mut Tx, id: MessageId) -> Result<Message> {
    let row: Option<MessageRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    row.map(Into::into).ok_or(StoreError::NotFound {
        entity: "message",
        id: id.0,
    })
}

/// What an edit of message `message_id` to `text` stores: the new text, with the message's text
/// files fenced after it as when it was sent (its images go with it unchanged). A message with
/// files may have no text of its own; one without is refused empty.
async fn edited_content(conn: &mut Tx, message_id: MessageId, text: &str) -> Result<String> {
    let files: Vec<(String, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT a.name, CASE WHEN a.kind = 'text' THEN b.bytes END
         FROM message_attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256
         WHERE a.message_id = ? ORDER BY a.position",
    )
    .bind(message_id.0)
    .fetch_all(conn)
    .await?;
    if files.is_empty() {
        check_new_message(&NewMessage::user(text))?;
    }
    let content = crate::attachments::compose_texts(
        text,
        files
            .iter()
            .filter_map(|(name, bytes)| Some((name.as_str(), bytes.as_deref()?))),
    );
    check_content("message", &content)?;
    Ok(content)
}

/// The last visible user message of the conversation, and whether a reply after it is streaming.
async fn last_user_turn(
    conn: &mut Tx,
    conversation_id: ConversationId,
) -> Result<(Option<MessageId>, bool)> {
    let (last_user, streaming): (Option<i64>, bool) = sqlx::query_as(
        "SELECT u.id, EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = ?1
                    AND s.status = 'streaming' AND s.id > coalesce(u.id, 0))
         FROM (SELECT max(id) AS id FROM messages
               WHERE conversation_id = ?1 AND hidden = 0 AND role = 'user') u",
    )
    .bind(conversation_id.0)
    .fetch_one(conn)
    .await?;
    Ok((last_user.map(MessageId), streaming))
}

/// Inserts an empty streaming reply, a version of `group` when given, and marks the conversation
/// active.
async fn insert_reply(
    conn: &mut Tx,
    conversation_id: ConversationId,
    model: Option<String>,
    group: Option<MessageId>,
    now: i64,
) -> Result<Message> {
    let new = NewMessage::streaming_reply(model);
    check_new_message(&new)?;
    sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(conversation_id.0)
        .execute(&mut *conn)
        .await?;
    let row: MessageRow = sqlx::query_as(&format!(
        "INSERT INTO messages (conversation_id, role, content, status, model, created_at, version_of)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    ))
    .bind(conversation_id.0)
    .bind(new.role.as_str())
    .bind(new.content)
    .bind(new.status.as_str())
    .bind(new.model)
    .bind(now)
    .bind(group.map(|g| g.0))
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

impl Store {
    /// Sets the conversation's last reply aside as a hidden version and starts a new, empty,
    /// streaming version of it, in one transaction.
    pub async fn regenerate_reply(
        &self,
        conversation_id: ConversationId,
        model: Option<String>,
    ) -> Result<Regenerated> {
        let now = self.now_ms();
        let mut tx = self.write_tx().await?;
        let Some(last) = last_visible(&mut tx, conversation_id).await? else {
            drop(tx);
            self.ensure_conversation(conversation_id).await?;
            return Err(VersionError::NoReplyToRegenerate.into());
        };
        check_regenerable(Some(&last))?;
        let group = last.version_of.unwrap_or(last.id);
        sqlx::query("UPDATE messages SET hidden = 1, version_of = ? WHERE id = ?")
            .bind(group.0)
            .bind(last.id.0)
            .execute(&mut tx)
            .await?;
        let reply = insert_reply(&mut tx, conversation_id, model, Some(group), now).await?;
        tx.commit().await?;
        Ok(Regenerated {
            hidden: last.id,
            reply,
        })
    }

    /// Turns the conversation's last reply, cut short or failed part-way, back into a streaming
    /// one, its text kept, so that more can be appended to it.
    pub async fn resume_reply(&self, conversation_id: ConversationId) -> Result<Message> {
        let mut tx = self.write_tx().await?;
        let Some(last) = last_visible(&mut tx, conversation_id).await? else {
            drop(tx);
            self.ensure_conversation(conversation_id).await?;
            return Err(check_continuable(None).unwrap_err().into());
        };
        check_continuable(Some(&last))?;
        let row: MessageRow = sqlx::query_as(&format!(
            "UPDATE messages SET status = 'streaming', error = NULL, completed_at = NULL,
                 finish_reason = NULL, ended = NULL
             WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(last.id.0)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Replaces the text of the conversation's last user message, sets the replies after it
    /// aside as hidden versions and starts a new, empty, streaming reply (a version of those), in
    /// one transaction. The earlier replies answered the earlier text; they are kept so that
    /// nothing the model wrote is lost, and can be switched back to.
    pub async fn edit_and_resend(
        &self,
        message_id: MessageId,
        text: &str,
        model: Option<String>,
    ) -> Result<Edited> {
        let now = self.now_ms();
        let mut tx = self.write_tx().await?;
        let message = message_in(&mut tx, message_id).await?;
        let content = edited_content(&mut tx, message_id, text).await?;
        let conversation_id = message.conversation_id;
        let (last_user, streaming) = last_user_turn(&mut tx, conversation_id).await?;
        check_editable(&message, last_user, streaming)?;
        let after: Vec<(i64, bool)> = sqlx::query_as(
            "SELECT id, hidden FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id",
        )
        .bind(conversation_id.0)
        .bind(message_id.0)
        .fetch_all(&mut tx)
        .await?;
        let group = after.first().map(|&(id, _)| MessageId(id));
        let hidden: Vec<MessageId> = after
            .iter()
            .filter(|(_, hidden)| !hidden)
            .map(|&(id, _)| MessageId(id))
            .collect();
        if let Some(group) = group {
            // Every reply to this question joins one group, whatever groups they formed before.
            sqlx::query(
                "UPDATE messages SET hidden = 1, version_of = ? WHERE conversation_id = ? AND id > ?",
            )
            .bind(group.0)
            .bind(conversation_id.0)
            .bind(message_id.0)
            .execute(&mut tx)
            .await?;
        }
        let row: MessageRow = sqlx::query_as(&format!(
            "UPDATE messages SET content = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(content)
        .bind(message_id.0)
        .fetch_one(&mut tx)
        .await?;
        let reply = insert_reply(&mut tx, conversation_id, model, group, now).await?;
        tx.commit().await?;
        Ok(Edited {
            message: row.into(),
            hidden,
            reply,
        })
    }

    /// Shows version `id` of the conversation's last reply and hides its siblings, in one
    /// transaction. Refused for an earlier reply, and while the reply streams.
    pub async fn select_version(&self, id: MessageId) -> Result<Message> {
        let mut tx = self.write_tx().await?;
        let message = message_in(&mut tx, id).await?;
        let group = message.version_of.unwrap_or(message.id);
        let (shown,): (Option<i64>,) = sqlx::query_as(
            "SELECT max(id) FROM messages WHERE (version_of = ?1 OR id = ?1) AND hidden = 0",
        )
        .bind(group.0)
        .fetch_one(&mut tx)
        .await?;
        let last = last_visible(&mut tx, message.conversation_id).await?;
        let Some(last) = last.filter(|l| Some(l.id.0) == shown) else {
            return Err(VersionError::NotLastReply(id).into());
        };
        if last.status == MessageStatus::Streaming {
            return Err(VersionError::StillStreaming.into());
        }
        if last.id == id {
            return Ok(message);
        }
        sqlx::query("UPDATE messages SET hidden = 1 WHERE id = ?")
            .bind(last.id.0)
            .execute(&mut tx)
            .await?;
        let row: MessageRow = sqlx::query_as(&format!(
            "UPDATE messages SET hidden = 0 WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(id.0)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// The versions of the reply `id` belongs to, oldest first (just itself when it was never
    /// regenerated).
    pub async fn reply_versions(&self, id: MessageId) -> Result<Vec<ReplyVersion>> {
        let message = self.get_message(id).await?;
        let Some(group) = message.version_of else {
            return Ok(vec![ReplyVersion {
                id: message.id,
                status: message.status,
                hidden: message.hidden,
                created_at: message.created_at,
            }]);
        };
        let rows: Vec<(i64, String, bool, i64)> = sqlx::query_as(
            "SELECT id, status, hidden, created_at FROM messages WHERE version_of = ? ORDER BY id",
        )
        .bind(group.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, status, hidden, created_at)| ReplyVersion {
                id: MessageId(id),
                status: MessageStatus::parse(&status),
                hidden,
                created_at: from_ms(created_at),
            })
            .collect())
    }

    /// Checks, without writing, that the conversation's last reply could be regenerated now.
    pub async fn check_regenerable(&self, conversation_id: ConversationId) -> Result<()> {
        let last = self.tail_messages(conversation_id, 1).await?.pop();
        Ok(check_regenerable(last.as_ref())?)
    }

    /// Checks, without writing, that the conversation's last reply could be continued now.
    pub async fn check_continuable(&self, conversation_id: ConversationId) -> Result<()> {
        let last = self.tail_messages(conversation_id, 1).await?.pop();
        Ok(check_continuable(last.as_ref())?)
    }

    /// Checks, without writing, that `message_id` could be edited to `text` and resent now.
    pub async fn check_editable(&self, message_id: MessageId, text: &str) -> Result<Message> {
        // One read transaction: the reads see the same state.
        let mut conn = self.pool.begin().await?;
        let message = message_in(&mut conn, message_id).await?;
        edited_content(&mut conn, message_id, text).await?;
        let (last_user, streaming) = last_user_turn(&mut conn, message.conversation_id).await?;
        check_editable(&message, last_user, streaming)?;
        Ok(message)
    }
}
