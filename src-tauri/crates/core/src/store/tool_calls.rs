//! The `tool_calls` table: every call a model asked for, under the assistant message that asked,
//! saved as it happens (asked, decided, started, finished), and the images their results carried.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{from_ms, MessageId, Result, Store, StoreError};
use crate::tools::{ToolResult, MAX_STORED_RESULT_BYTES};

/// What became of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ToolDecision {
    /// Waiting for the user.
    Pending,
    AllowedOnce,
    /// Allowed in this chat (now, or earlier).
    AllowedChat,
    /// Always allowed (now, or earlier).
    AllowedAlways,
    /// The user said no (with a reason the model reads, if any).
    Denied,
    /// Not run: an unknown tool, or arguments that are not a JSON object.
    Invalid,
    /// The reply was stopped before the call finished (or was decided).
    Cancelled,
}

impl ToolDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::AllowedOnce => "allowed_once",
            Self::AllowedChat => "allowed_chat",
            Self::AllowedAlways => "allowed_always",
            Self::Denied => "denied",
            Self::Invalid => "invalid",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "allowed_once" => Self::AllowedOnce,
            "allowed_chat" => Self::AllowedChat,
            "allowed_always" => Self::AllowedAlways,
            "denied" => Self::Denied,
            "invalid" => Self::Invalid,
            "pending" => Self::Pending,
            _ => Self::Cancelled,
        }
    }

    /// Whether the call runs.
    pub fn allows(self) -> bool {
        matches!(
            self,
            Self::AllowedOnce | Self::AllowedChat | Self::AllowedAlways
        )
    }
}

/// One call, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToolCallRecord {
    #[ts(type = "number")]
    pub id: i64,
    pub message_id: MessageId,
    pub position: u32,
    /// The id the model gave the call (or Confab's, `confab_N`).
    pub call_id: String,
    /// The name the model called (`server__tool`).
    pub function_name: String,
    /// The server and tool it named, when it named one.
    pub server: Option<String>,
    pub tool: Option<String>,
    /// The arguments as the model wrote them.
    pub arguments: String,
    pub decision: ToolDecision,
    /// The user's reason for a denial, or why a call was invalid.
    pub reason: Option<String>,
    /// The result's text (at most 1 MiB), once there is one.
    pub result: Option<String>,
    /// The whole result's size.
    #[ts(type = "number | null")]
    pub result_bytes: Option<u64>,
    pub is_error: bool,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// How many images its result carried (their bytes are read only to be sent or exported).
    #[serde(skip)]
    #[ts(skip)]
    pub images: u32,
}

impl ToolCallRecord {
    /// What the model is told of this call: its result (capped), or why it did not run.
    pub fn for_model(&self) -> String {
        match (self.decision, &self.result) {
            (_, Some(text)) => {
                let result = ToolResult {
                    text: text.clone(),
                    images: Vec::new(),
                    is_error: self.is_error,
                    bytes: self.result_bytes.unwrap_or(text.len() as u64),
                };
                let body = result.for_model();
                if self.is_error {
                    format!("Error: {body}")
                } else {
                    body
                }
            }
            (ToolDecision::Denied, None) => {
                match self.reason.as_deref().filter(|r| !r.trim().is_empty()) {
                    Some(reason) => format!("The user denied this call. Their reason: {reason}"),
                    None => "The user denied this call.".into(),
                }
            }
            (ToolDecision::Invalid, None) => format!(
                "Error: the call was not run: {}",
                self.reason.as_deref().unwrap_or("it was not valid")
            ),
            _ => "The call was stopped before it finished.".into(),
        }
    }
}

/// A call to record.
#[derive(Debug, Clone)]
pub struct NewToolCall {
    pub call_id: String,
    pub function_name: String,
    pub server: Option<String>,
    pub tool: Option<String>,
    pub arguments: String,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: i64,
    message_id: i64,
    position: i64,
    call_id: String,
    function_name: String,
    server: Option<String>,
    tool: Option<String>,
    arguments: String,
    decision: String,
    reason: Option<String>,
    result: Option<String>,
    result_bytes: Option<i64>,
    is_error: bool,
    requested_at: i64,
    decided_at: Option<i64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    images: i64,
}

impl From<CallRow> for ToolCallRecord {
    fn from(r: CallRow) -> Self {
        Self {
            id: r.id,
            message_id: MessageId(r.message_id),
            position: r.position.max(0) as u32,
            call_id: r.call_id,
            function_name: r.function_name,
            server: r.server,
            tool: r.tool,
            arguments: r.arguments,
            decision: ToolDecision::parse(&r.decision),
            reason: r.reason,
            result: r.result,
            result_bytes: r.result_bytes.map(|b| b.max(0) as u64),
            is_error: r.is_error,
            requested_at: from_ms(r.requested_at),
            decided_at: r.decided_at.map(from_ms),
            started_at: r.started_at.map(from_ms),
            finished_at: r.finished_at.map(from_ms),
            images: r.images.max(0) as u32,
        }
    }
}

const SELECT: &str = "SELECT id, message_id, position, call_id, function_name, server, tool, \
     arguments, decision, reason, result, result_bytes, is_error, requested_at, decided_at, \
     started_at, finished_at, \
     (SELECT count(*) FROM tool_result_images i WHERE i.call_id = tool_calls.id) AS images \
     FROM tool_calls";

/// The most images kept from one call's result.
pub const MAX_RESULT_IMAGES: usize = 4;

/// The images of `result` worth keeping: decoded, a PNG, JPEG, WebP or GIF by their own bytes
/// (whatever type the server named), at most [`crate::attachments::MAX_IMAGE_BYTES`] each, the
/// first [`MAX_RESULT_IMAGES`]. Others are only named in the result's text.
fn result_images(result: &ToolResult) -> Vec<(&'static str, Vec<u8>)> {
    use base64::Engine;
    result
        .images
        .iter()
        // A base64 text longer than this decodes to more than the cap: not decoded at all.
        .filter(|image| image.data.len() <= crate::attachments::MAX_IMAGE_BYTES / 3 * 4 + 4)
        .filter_map(|image| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(image.data.trim())
                .ok()?;
            let mime = crate::attachments::image_mime(&bytes)?;
            (bytes.len() <= crate::attachments::MAX_IMAGE_BYTES).then_some((mime, bytes))
        })
        .take(MAX_RESULT_IMAGES)
        .collect()
}

/// The arguments kept: as much as a message may hold.
fn capped(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Inserts an imported reply's calls as the file has them (decisions, results, times).
pub(super) async fn import_calls(
    tx: &mut super::damage::Tx,
    message_id: i64,
    calls: &[super::ImportCall],
) -> Result<()> {
    for (position, call) in calls.iter().enumerate() {
        let c = &call.record;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tool_calls (message_id, position, call_id, function_name, server, tool, \
             arguments, decision, reason, result, result_bytes, is_error, requested_at, \
             decided_at, started_at, finished_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(message_id)
        .bind(position as i64)
        .bind(&c.call_id)
        .bind(&c.function_name)
        .bind(&c.server)
        .bind(&c.tool)
        .bind(capped(&c.arguments, super::MAX_CONTENT_BYTES))
        // A call still waiting when exported was never run.
        .bind(match c.decision {
            ToolDecision::Pending => ToolDecision::Cancelled.as_str(),
            d => d.as_str(),
        })
        .bind(&c.reason)
        .bind(
            c.result
                .as_deref()
                .map(|r| capped(r, MAX_STORED_RESULT_BYTES)),
        )
        .bind(c.result_bytes.map(|b| b as i64))
        .bind(c.is_error)
        .bind(c.requested_at.timestamp_millis())
        .bind(c.decided_at.map(|t| t.timestamp_millis()))
        .bind(c.started_at.map(|t| t.timestamp_millis()))
        .bind(c.finished_at.map(|t| t.timestamp_millis()))
        .fetch_one(&mut *tx)
        .await?;
        for (position, (mime, bytes)) in call.images.iter().take(MAX_RESULT_IMAGES).enumerate() {
            sqlx::query(
                "INSERT INTO tool_result_images (call_id, position, mime, bytes) VALUES (?, ?, ?, ?)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(*mime)
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Inserts the calls of reply `message_id` in `tx`, as waiting for a decision; returns them as
/// saved.
pub(super) async fn insert_calls(
    tx: &mut super::damage::Tx,
    message_id: MessageId,
    calls: &[NewToolCall],
    now: i64,
) -> Result<Vec<ToolCallRecord>> {
    let mut records = Vec::with_capacity(calls.len());
    for (position, call) in calls.iter().enumerate() {
        let arguments = capped(&call.arguments, super::MAX_CONTENT_BYTES);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tool_calls (message_id, position, call_id, function_name, server, \
             tool, arguments, decision, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) \
             RETURNING id",
        )
        .bind(message_id.0)
        .bind(position as i64)
        .bind(&call.call_id)
        .bind(&call.function_name)
        .bind(&call.server)
        .bind(&call.tool)
        .bind(arguments)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        records.push(ToolCallRecord {
            id,
            message_id,
            position: position as u32,
            call_id: call.call_id.clone(),
            function_name: call.function_name.clone(),
            server: call.server.clone(),
            tool: call.tool.clone(),
            arguments: arguments.to_owned(),
            decision: ToolDecision::Pending,
            reason: None,
            result: None,
            result_bytes: None,
            is_error: false,
            requested_at: from_ms(now),
            decided_at: None,
            started_at: None,
            finished_at: None,
            images: 0,
        });
    }
    Ok(records)
}

impl Store {
    /// Records the decision on `call`; returns it as saved (without reading it back: a round's
    /// every write counts, see `benches/tool_round.rs`).
    pub async fn decide_tool_call(
        &self,
        call: &ToolCallRecord,
        decision: ToolDecision,
        reason: Option<&str>,
    ) -> Result<ToolCallRecord> {
        let now = self.now_ms();
        let reason = reason.map(|r| capped(r, 4096).to_owned());
        sqlx::query("UPDATE tool_calls SET decision = ?, reason = ?, decided_at = ? WHERE id = ?")
            .bind(decision.as_str())
            .bind(&reason)
            .bind(now)
            .bind(call.id)
            .execute(&self.pool)
            .await?;
        Ok(ToolCallRecord {
            decision,
            reason,
            decided_at: Some(from_ms(now)),
            ..call.clone()
        })
    }

    /// Records an allowing decision on `call` and marks it started, in one write (a round's every
    /// write counts).
    pub async fn decide_and_start_tool_call(
        &self,
        call: &ToolCallRecord,
        decision: ToolDecision,
    ) -> Result<ToolCallRecord> {
        let now = self.now_ms();
        sqlx::query(
            "UPDATE tool_calls SET decision = ?, reason = NULL, decided_at = ?, started_at = ? \
             WHERE id = ?",
        )
        .bind(decision.as_str())
        .bind(now)
        .bind(now)
        .bind(call.id)
        .execute(&self.pool)
        .await?;
        Ok(ToolCallRecord {
            decision,
            reason: None,
            decided_at: Some(from_ms(now)),
            started_at: Some(from_ms(now)),
            ..call.clone()
        })
    }

    /// Saves `call`'s result (text capped at 1 MiB, with its whole size), and the images it
    /// carried that are really images ([`MAX_RESULT_IMAGES`] of them, each at most
    /// [`crate::attachments::MAX_IMAGE_BYTES`]), in one transaction.
    pub async fn finish_tool_call(
        &self,
        call: &ToolCallRecord,
        result: &ToolResult,
    ) -> Result<ToolCallRecord> {
        let now = self.now_ms();
        let text = capped(&result.text, MAX_STORED_RESULT_BYTES);
        let images = result_images(result);
        let update = sqlx::query(
            "UPDATE tool_calls SET result = ?, result_bytes = ?, is_error = ?, finished_at = ? \
             WHERE id = ?",
        )
        .bind(text)
        .bind(result.bytes as i64)
        .bind(result.is_error)
        .bind(now)
        .bind(call.id);
        if images.is_empty() {
            // One statement: no transaction to open (a round's every write counts).
            update.execute(&self.pool).await?;
        } else {
            let mut tx = self.write_tx().await?;
            update.execute(&mut tx).await?;
            for (position, (mime, bytes)) in images.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO tool_result_images (call_id, position, mime, bytes) \
                     VALUES (?, ?, ?, ?)",
                )
                .bind(call.id)
                .bind(position as i64)
                .bind(*mime)
                .bind(bytes)
                .execute(&mut tx)
                .await?;
            }
            tx.commit().await?;
        }
        Ok(ToolCallRecord {
            result: Some(text.to_owned()),
            result_bytes: Some(result.bytes),
            is_error: result.is_error,
            finished_at: Some(from_ms(now)),
            images: images.len() as u32,
            ..call.clone()
        })
    }

    /// Every image of these calls' results, by call, in order: their type and bytes.
    pub async fn tool_result_images_of(
        &self,
        calls: &[i64],
    ) -> Result<HashMap<i64, Vec<(String, Vec<u8>)>>> {
        let mut out: HashMap<i64, Vec<(String, Vec<u8>)>> = HashMap::new();
        if calls.is_empty() {
            return Ok(out);
        }
        let list = serde_json::to_string(calls).map_err(|e| StoreError::invalid(e.to_string()))?;
        let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT call_id, mime, bytes FROM tool_result_images \
             WHERE call_id IN (SELECT value FROM json_each(?)) ORDER BY call_id, position",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        for (call, mime, bytes) in rows {
            out.entry(call).or_default().push((mime, bytes));
        }
        Ok(out)
    }

    /// The images of calls' results, by (call, position): their type and bytes.
    pub async fn tool_result_images(
        &self,
        wanted: &[(i64, u32)],
    ) -> Result<HashMap<(i64, u32), (String, Vec<u8>)>> {
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let calls: Vec<i64> = wanted.iter().map(|(call, _)| *call).collect();
        let list = serde_json::to_string(&calls).map_err(|e| StoreError::invalid(e.to_string()))?;
        let rows: Vec<(i64, i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT call_id, position, mime, bytes FROM tool_result_images \
             WHERE call_id IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(call, position, mime, bytes)| ((call, position as u32), (mime, bytes)))
            .filter(|(key, _)| wanted.contains(key))
            .collect())
    }

    /// Call `id`.
    pub async fn tool_call(&self, id: i64) -> Result<ToolCallRecord> {
        let row: Option<CallRow> = sqlx::query_as(&format!("{SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Into::into).ok_or(StoreError::NotFound {
            entity: "tool call",
            id,
        })
    }

    /// The calls of these messages, each message's in order.
    pub async fn tool_calls_of(
        &self,
        messages: &[MessageId],
    ) -> Result<HashMap<MessageId, Vec<ToolCallRecord>>> {
        let mut out: HashMap<MessageId, Vec<ToolCallRecord>> = HashMap::new();
        if messages.is_empty() {
            return Ok(out);
        }
        let ids: Vec<i64> = messages.iter().map(|m| m.0).collect();
        let list = serde_json::to_string(&ids).map_err(|e| StoreError::invalid(e.to_string()))?;
        let rows: Vec<CallRow> = sqlx::query_as(&format!(
            "{SELECT} WHERE message_id IN (SELECT value FROM json_each(?)) \
             ORDER BY message_id, position"
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
}
