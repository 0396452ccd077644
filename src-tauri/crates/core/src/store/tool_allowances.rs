//! The `tool_allowances` table: which tools run without asking, in one chat or everywhere, each
//! for the definition the user saw (its hash).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{from_ms, ConversationId, Store, StoreError, ToolDefinition, ToolServerId};
use crate::tools::ToolsError;

type Result<T, E = ToolsError> = std::result::Result<T, E>;

/// Who may run a tool without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToolAllowance {
    #[ts(type = "number")]
    pub id: i64,
    pub server_id: ToolServerId,
    pub server: String,
    pub tool: String,
    /// `None`: everywhere ("Always allow").
    pub conversation_id: Option<ConversationId>,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Lets `tool` of server `id` run without asking, in one chat or (`None`) everywhere, for the
    /// definition the user saw (`tool_hash`).
    pub async fn allow_tool(
        &self,
        id: ToolServerId,
        tool: &str,
        conversation: Option<ConversationId>,
        tool_hash: &str,
    ) -> Result<()> {
        let server = self.tool_server(id).await?;
        let spec = server
            .tool(tool)
            .and_then(ToolDefinition::usable)
            .ok_or_else(|| ToolsError::UnknownTool {
                server: server.definition.name.clone(),
                tool: tool.to_owned(),
            })?;
        if spec.hash != tool_hash {
            return Err(ToolsError::Changed(server.definition.name));
        }
        if conversation.is_none() && !spec.read_only() {
            return Err(ToolsError::Invalid(format!(
                "“{tool}” is not marked read-only by its server, so it cannot be always allowed: allow it once or in a chat"
            )));
        }
        sqlx::query(
            "INSERT INTO tool_allowances (server_id, tool, conversation_id, tool_hash, created_at) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (server_id, tool, ifnull(conversation_id, 0)) \
             DO UPDATE SET tool_hash = excluded.tool_hash, created_at = excluded.created_at",
        )
        .bind(id.0)
        .bind(tool)
        .bind(conversation.map(|c| c.0))
        .bind(tool_hash)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(())
    }

    /// Whether `tool` (with the definition `tool_hash`) may run in `conversation` without asking:
    /// `Some(true)` always, `Some(false)` in this chat, `None` not allowed.
    pub async fn tool_allowed(
        &self,
        id: ToolServerId,
        tool: &str,
        conversation: ConversationId,
        tool_hash: &str,
    ) -> Result<Option<bool>> {
        let found: Option<(Option<i64>,)> = sqlx::query_as(
            "SELECT conversation_id FROM tool_allowances WHERE server_id = ? AND tool = ? \
             AND tool_hash = ? AND (conversation_id IS NULL OR conversation_id = ?) \
             ORDER BY conversation_id IS NULL DESC LIMIT 1",
        )
        .bind(id.0)
        .bind(tool)
        .bind(tool_hash)
        .bind(conversation.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(found.map(|(conv,)| conv.is_none()))
    }

    /// Every allowance, "always" ones first.
    pub async fn tool_allowances(&self) -> Result<Vec<ToolAllowance>> {
        let rows: Vec<(i64, i64, String, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT a.id, a.server_id, s.name, a.tool, a.conversation_id, a.created_at \
             FROM tool_allowances a JOIN tool_servers s ON s.id = a.server_id \
             ORDER BY a.conversation_id IS NOT NULL, s.name_key, a.tool, a.conversation_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|(id, server_id, server, tool, conv, at)| ToolAllowance {
                id,
                server_id: ToolServerId(server_id),
                server,
                tool,
                conversation_id: conv.map(ConversationId),
                created_at: from_ms(at),
            })
            .collect())
    }

    /// Takes an allowance back.
    pub async fn revoke_tool_allowance(&self, allowance: i64) -> Result<()> {
        sqlx::query("DELETE FROM tool_allowances WHERE id = ?")
            .bind(allowance)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }
}
