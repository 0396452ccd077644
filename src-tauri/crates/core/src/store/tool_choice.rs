//! Which servers' tools a chat or a project offers the model: a JSON array of server ids in
//! `conversations.tool_servers` and `projects.tool_servers` (NULL on a chat: its project's).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{ConversationId, ProjectId, Result, Store, StoreError, ToolServerId};

/// Which servers' tools a chat offers: its own choice, else its project's default; `None` where
/// either is unset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToolServerChoice {
    pub own: Option<Vec<ToolServerId>>,
    pub project: Option<Vec<ToolServerId>>,
}

/// A stored list of server ids (a JSON array); `None` when unset (or unreadable).
fn server_ids(json: Option<String>) -> Option<Vec<ToolServerId>> {
    let ids: Vec<i64> = serde_json::from_str(&json?).ok()?;
    Some(ids.into_iter().map(ToolServerId).collect())
}

impl Store {
    /// The servers whose tools conversation `id` offers: its own choice, else its project's, else
    /// none.
    pub async fn offered_tool_servers(&self, id: ConversationId) -> Result<Vec<ToolServerId>> {
        let choice = self.tool_server_choice(id).await?;
        Ok(choice.own.or(choice.project).unwrap_or_default())
    }

    /// Conversation `id`'s own choice of servers and its project's default, each `None` when
    /// unset.
    pub async fn tool_server_choice(&self, id: ConversationId) -> Result<ToolServerChoice> {
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT c.tool_servers, p.tool_servers FROM conversations c \
             LEFT JOIN projects p ON p.id = c.project_id WHERE c.id = ?",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some((own, project)) = row else {
            return Err(StoreError::NotFound {
                entity: "conversation",
                id: id.0,
            });
        };
        Ok(ToolServerChoice {
            own: server_ids(own),
            project: server_ids(project),
        })
    }

    /// The servers a project's chats offer by default (`None`: unset, so none).
    pub async fn project_tool_servers(&self, id: ProjectId) -> Result<Option<Vec<ToolServerId>>> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT tool_servers FROM projects WHERE id = ?")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((json,)) => Ok(server_ids(json)),
            None => Err(StoreError::NotFound {
                entity: "project",
                id: id.0,
            }),
        }
    }

    /// Sets which servers' tools conversation `id` offers; `None`: its project's.
    pub async fn set_conversation_tool_servers(
        &self,
        id: ConversationId,
        servers: Option<&[ToolServerId]>,
    ) -> Result<()> {
        self.set_tool_servers("conversations", "conversation", id.0, servers)
            .await
    }

    /// Sets which servers' tools a project's chats offer by default; `None`: none.
    pub async fn set_project_tool_servers(
        &self,
        id: ProjectId,
        servers: Option<&[ToolServerId]>,
    ) -> Result<()> {
        self.set_tool_servers("projects", "project", id.0, servers)
            .await
    }

    /// Writes `servers` (a JSON array, or NULL) as row `id`'s choice in `table`.
    async fn set_tool_servers(
        &self,
        table: &'static str,
        entity: &'static str,
        id: i64,
        servers: Option<&[ToolServerId]>,
    ) -> Result<()> {
        let json = servers.map(|s| {
            serde_json::to_string(&s.iter().map(|i| i.0).collect::<Vec<_>>()).unwrap_or_default()
        });
        let done = sqlx::query(&format!("UPDATE {table} SET tool_servers = ? WHERE id = ?"))
            .bind(json)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity, id });
        }
        Ok(())
    }
}
