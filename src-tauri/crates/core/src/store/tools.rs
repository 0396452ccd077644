//! The tool tables: MCP servers and their state, each server's tools as pinned (and as changed,
//! waiting for approval); what runs without asking is in `tool_allowances.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{from_ms, Store, StoreError, ToolServerId};
use crate::tools::{
    hidden_in, HiddenText, OfferedTool, ServerDefinition, ServerState, ToolsError, Transport,
};

type Result<T, E = ToolsError> = std::result::Result<T, E>;

/// A server as stored, with its tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ToolServer {
    pub id: ToolServerId,
    pub definition: ServerDefinition,
    pub state: ServerState,
    /// The hash of the definition as it is now (what an approval would be recorded against).
    pub hash: String,
    /// The hash the user approved, if any.
    pub approved_hash: Option<String>,
    /// Seconds a call may go without progress.
    pub timeout_secs: u32,
    pub tools: Vec<ToolDefinition>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ToolServer {
    /// Whether it may be started: approved, and still the definition that was approved.
    pub fn may_run(&self) -> bool {
        self.state == ServerState::Approved && self.approved_hash.as_deref() == Some(&self.hash)
    }

    /// The tool named `name`.
    pub fn tool(&self, name: &str) -> Option<&ToolDefinition> {
        self.tools.iter().find(|t| t.name == name)
    }
}

/// One version of a tool's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ToolSpec {
    pub description: String,
    #[ts(type = "unknown")]
    pub input_schema: serde_json::Value,
    #[ts(type = "unknown")]
    pub annotations: serde_json::Value,
    pub hash: String,
}

impl ToolSpec {
    /// The hidden characters in its description or schema.
    pub fn warnings(&self) -> Vec<HiddenText> {
        let mut found = hidden_in(&self.description);
        found.extend(hidden_in(&self.input_schema.to_string()));
        found.sort();
        found.dedup();
        found
    }

    /// The server marks the tool read-only (`readOnlyHint`), the one kind "Always allow" is
    /// offered for.
    pub fn read_only(&self) -> bool {
        self.annotations
            .get("readOnlyHint")
            .and_then(|v| v.as_bool())
            == Some(true)
    }
}

/// A tool of a server: the definition the user approved, and a changed (or new) one waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ToolDefinition {
    pub name: String,
    /// As approved; `None` for a tool that appeared after the server was approved.
    pub pinned: Option<ToolSpec>,
    /// As the server now offers it, when that differs from what was approved.
    pub pending: Option<ToolSpec>,
    /// Whether the server offered it when last asked.
    pub offered: bool,
}

impl ToolDefinition {
    /// What the model may call: the approved definition, while the server offers nothing else
    /// under this name.
    pub fn usable(&self) -> Option<&ToolSpec> {
        if self.pending.is_some() || !self.offered {
            return None;
        }
        self.pinned.as_ref()
    }

    /// The newest definition: what a person should read.
    pub fn current(&self) -> &ToolSpec {
        self.pending
            .as_ref()
            .or(self.pinned.as_ref())
            .expect("a stored tool has a pinned or a pending definition")
    }
}

/// What a listing changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingChanges {
    /// Pinned now (the server's first listing after approval).
    pub pinned: Vec<String>,
    /// New or changed, waiting for approval.
    pub held: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ServerRow {
    id: i64,
    name: String,
    transport: String,
    command: Option<String>,
    args: String,
    env: String,
    cwd: Option<String>,
    url: Option<String>,
    headers: String,
    state: String,
    approved_hash: Option<String>,
    timeout_secs: i64,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ToolRow {
    server_id: i64,
    name: String,
    description: Option<String>,
    input_schema: Option<String>,
    annotations: Option<String>,
    hash: Option<String>,
    pending_description: Option<String>,
    pending_input_schema: Option<String>,
    pending_annotations: Option<String>,
    pending_hash: Option<String>,
    offered: bool,
}

fn spec(
    description: Option<String>,
    schema: Option<String>,
    annotations: Option<String>,
    hash: Option<String>,
) -> Option<ToolSpec> {
    let parse = |s: Option<String>| {
        s.and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    Some(ToolSpec {
        description: description?,
        input_schema: parse(schema),
        annotations: parse(annotations),
        hash: hash?,
    })
}

impl From<ToolRow> for ToolDefinition {
    fn from(row: ToolRow) -> Self {
        Self {
            name: row.name,
            pinned: spec(row.description, row.input_schema, row.annotations, row.hash),
            pending: spec(
                row.pending_description,
                row.pending_input_schema,
                row.pending_annotations,
                row.pending_hash,
            ),
            offered: row.offered,
        }
    }
}

impl ServerRow {
    fn into_server(self, tools: Vec<ToolDefinition>) -> ToolServer {
        let definition = ServerDefinition {
            name: self.name,
            transport: Transport::parse(&self.transport).unwrap_or(Transport::Stdio),
            command: self.command,
            args: serde_json::from_str(&self.args).unwrap_or_default(),
            env: serde_json::from_str(&self.env).unwrap_or_default(),
            cwd: self.cwd,
            url: self.url,
            headers: serde_json::from_str(&self.headers).unwrap_or_default(),
        };
        ToolServer {
            id: ToolServerId(self.id),
            hash: definition.hash(),
            definition,
            // An unknown state never runs.
            state: ServerState::parse(&self.state).unwrap_or(ServerState::NeedsApproval),
            approved_hash: self.approved_hash,
            timeout_secs: self.timeout_secs.clamp(1, i64::from(u32::MAX)) as u32,
            tools,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
        }
    }
}

const SELECT_SERVERS: &str = "SELECT id, name, transport, command, args, env, cwd, url, headers, \
     state, approved_hash, timeout_secs, created_at, updated_at FROM tool_servers";
const SELECT_TOOLS: &str = "SELECT server_id, name, description, input_schema, annotations, hash, \
     pending_description, pending_input_schema, pending_annotations, pending_hash, offered \
     FROM tool_definitions";

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A unique-constraint failure on the name is a taken name.
fn name_taken(e: sqlx::Error, name: &str) -> ToolsError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            ToolsError::NameTaken(name.to_owned())
        }
        _ => StoreError::from(e).into(),
    }
}

impl Store {
    /// Every server, by name, with its tools.
    pub async fn tool_servers(&self) -> Result<Vec<ToolServer>> {
        let rows: Vec<ServerRow> = sqlx::query_as(&format!("{SELECT_SERVERS} ORDER BY name_key"))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)?;
        let tools: Vec<ToolRow> = sqlx::query_as(&format!("{SELECT_TOOLS} ORDER BY name"))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)?;
        let mut by_server: std::collections::HashMap<i64, Vec<ToolDefinition>> =
            std::collections::HashMap::new();
        for tool in tools {
            by_server
                .entry(tool.server_id)
                .or_default()
                .push(tool.into());
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let tools = by_server.remove(&row.id).unwrap_or_default();
                row.into_server(tools)
            })
            .collect())
    }

    /// The server with this id.
    pub async fn tool_server(&self, id: ToolServerId) -> Result<ToolServer> {
        let row: Option<ServerRow> = sqlx::query_as(&format!("{SELECT_SERVERS} WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from)?;
        let row = row.ok_or(ToolsError::NotFound(id))?;
        let tools: Vec<ToolRow> =
            sqlx::query_as(&format!("{SELECT_TOOLS} WHERE server_id = ? ORDER BY name"))
                .bind(id.0)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::from)?;
        Ok(row.into_server(tools.into_iter().map(Into::into).collect()))
    }

    /// The server named `name` (ignoring case).
    pub async fn tool_server_named(&self, name: &str) -> Result<ToolServer> {
        let id: Option<(i64,)> = sqlx::query_as("SELECT id FROM tool_servers WHERE name_key = ?")
            .bind(name.to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from)?;
        match id {
            Some((id,)) => self.tool_server(ToolServerId(id)).await,
            None => Err(ToolsError::UnknownServer(name.to_owned())),
        }
    }

    /// Adds a server in `state`; `approved` is true when the user's act of adding it approved it.
    pub async fn insert_tool_server(
        &self,
        def: &ServerDefinition,
        approved: bool,
    ) -> Result<ToolServer> {
        def.validate()?;
        let now = self.now_ms();
        let (state, hash) = if approved {
            (ServerState::Approved, Some(def.hash()))
        } else {
            (ServerState::NeedsApproval, None)
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tool_servers (name, name_key, transport, command, args, env, cwd, url, \
             headers, state, approved_hash, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&def.name)
        .bind(def.name.to_lowercase())
        .bind(def.transport.as_str())
        .bind(&def.command)
        .bind(json(&def.args))
        .bind(json(&def.env))
        .bind(&def.cwd)
        .bind(&def.url)
        .bind(json(&def.headers))
        .bind(state.as_str())
        .bind(hash)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| name_taken(e, &def.name))?;
        self.tool_server(ToolServerId(id)).await
    }

    /// Replaces a server's definition (an import that changed it). Anything that changes what
    /// runs sends it back to needing approval; a new value for a variable does not.
    pub async fn replace_tool_server(
        &self,
        id: ToolServerId,
        def: &ServerDefinition,
    ) -> Result<ToolServer> {
        def.validate()?;
        let old = self.tool_server(id).await?;
        let state = if def.hash() == old.hash {
            old.state
        } else if old.state == ServerState::Off {
            ServerState::Off
        } else {
            ServerState::NeedsApproval
        };
        sqlx::query(
            "UPDATE tool_servers SET transport = ?, command = ?, args = ?, env = ?, cwd = ?, \
             url = ?, headers = ?, state = ?, updated_at = ? WHERE id = ?",
        )
        .bind(def.transport.as_str())
        .bind(&def.command)
        .bind(json(&def.args))
        .bind(json(&def.env))
        .bind(&def.cwd)
        .bind(&def.url)
        .bind(json(&def.headers))
        .bind(state.as_str())
        .bind(self.now_ms())
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        self.tool_server(id).await
    }

    /// Approves the server's definition as it is now, if it is still the one the user saw
    /// (`seen_hash`), and approves every tool change waiting with it.
    pub async fn approve_tool_server(
        &self,
        id: ToolServerId,
        seen_hash: &str,
    ) -> Result<ToolServer> {
        let server = self.tool_server(id).await?;
        if server.hash != seen_hash {
            return Err(ToolsError::Changed(server.definition.name));
        }
        let mut tx = self.write_tx().await?;
        let now = self.now_ms();
        sqlx::query(
            "UPDATE tool_servers SET state = 'approved', approved_hash = ?, updated_at = ? \
             WHERE id = ?",
        )
        .bind(seen_hash)
        .bind(now)
        .bind(id.0)
        .execute(&mut tx)
        .await
        .map_err(StoreError::from)?;
        sqlx::query(
            "UPDATE tool_definitions SET description = pending_description, \
             input_schema = pending_input_schema, annotations = pending_annotations, \
             hash = pending_hash, pending_description = NULL, pending_input_schema = NULL, \
             pending_annotations = NULL, pending_hash = NULL, updated_at = ? \
             WHERE server_id = ? AND pending_hash IS NOT NULL",
        )
        .bind(now)
        .bind(id.0)
        .execute(&mut tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        self.tool_server(id).await
    }

    /// Turns a server off, or on again: on means approved if its definition is still the one
    /// approved, else waiting for approval.
    pub async fn set_tool_server_on(&self, id: ToolServerId, on: bool) -> Result<ToolServer> {
        let server = self.tool_server(id).await?;
        let state = match (on, server.approved_hash.as_deref() == Some(&server.hash)) {
            (false, _) => ServerState::Off,
            (true, true) => ServerState::Approved,
            (true, false) => ServerState::NeedsApproval,
        };
        sqlx::query("UPDATE tool_servers SET state = ?, updated_at = ? WHERE id = ?")
            .bind(state.as_str())
            .bind(self.now_ms())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from)?;
        self.tool_server(id).await
    }

    /// Sets how long a call may go without progress.
    pub async fn set_tool_server_timeout(&self, id: ToolServerId, secs: u32) -> Result<()> {
        if !(1..=crate::tools::MAX_TIMEOUT_SECS).contains(&secs) {
            return Err(ToolsError::Invalid(format!(
                "a timeout is 1 to {} seconds",
                crate::tools::MAX_TIMEOUT_SECS
            )));
        }
        sqlx::query("UPDATE tool_servers SET timeout_secs = ?, updated_at = ? WHERE id = ?")
            .bind(secs)
            .bind(self.now_ms())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }

    /// Removes a server, its pins and its allowances.
    pub async fn delete_tool_server(&self, id: ToolServerId) -> Result<()> {
        let done = sqlx::query("DELETE FROM tool_servers WHERE id = ?")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            return Err(ToolsError::NotFound(id));
        }
        Ok(())
    }

    /// Records what the server offers now. On its first listing every tool is pinned (approving
    /// the server approved what it offers); after that a new or changed tool is held for
    /// approval, and a tool back to what was approved is released.
    pub async fn record_tool_listing(
        &self,
        id: ToolServerId,
        offered: &[OfferedTool],
    ) -> Result<ListingChanges> {
        let mut tx = self.write_tx().await?;
        let now = self.now_ms();
        let known: Vec<ToolRow> = sqlx::query_as(&format!("{SELECT_TOOLS} WHERE server_id = ?"))
            .bind(id.0)
            .fetch_all(&mut tx)
            .await
            .map_err(StoreError::from)?;
        let first = known.is_empty();
        let mut changes = ListingChanges::default();
        for tool in offered {
            let hash = tool.hash();
            let schema = tool.input_schema.to_string();
            let annotations = tool.annotations.to_string();
            let row = known.iter().find(|r| r.name == tool.name);
            let pinned_same = row.is_some_and(|r| r.hash.as_deref() == Some(&hash));
            if first {
                changes.pinned.push(tool.name.clone());
                sqlx::query(
                    "INSERT INTO tool_definitions (server_id, name, description, input_schema, \
                     annotations, hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id.0)
                .bind(&tool.name)
                .bind(&tool.description)
                .bind(schema)
                .bind(annotations)
                .bind(hash)
                .bind(now)
                .execute(&mut tx)
                .await
                .map_err(StoreError::from)?;
            } else if pinned_same {
                sqlx::query(
                    "UPDATE tool_definitions SET pending_description = NULL, \
                     pending_input_schema = NULL, pending_annotations = NULL, pending_hash = NULL, \
                     offered = 1, updated_at = ? WHERE server_id = ? AND name = ?",
                )
                .bind(now)
                .bind(id.0)
                .bind(&tool.name)
                .execute(&mut tx)
                .await
                .map_err(StoreError::from)?;
            } else {
                changes.held.push(tool.name.clone());
                sqlx::query(
                    "INSERT INTO tool_definitions (server_id, name, pending_description, \
                     pending_input_schema, pending_annotations, pending_hash, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (server_id, name) DO UPDATE SET \
                     pending_description = excluded.pending_description, \
                     pending_input_schema = excluded.pending_input_schema, \
                     pending_annotations = excluded.pending_annotations, \
                     pending_hash = excluded.pending_hash, offered = 1, \
                     updated_at = excluded.updated_at",
                )
                .bind(id.0)
                .bind(&tool.name)
                .bind(&tool.description)
                .bind(schema)
                .bind(annotations)
                .bind(hash)
                .bind(now)
                .execute(&mut tx)
                .await
                .map_err(StoreError::from)?;
            }
        }
        for gone in known
            .iter()
            .filter(|r| !offered.iter().any(|t| t.name == r.name))
        {
            if gone.hash.is_none() {
                // Never approved, and no longer offered: nothing to keep.
                sqlx::query("DELETE FROM tool_definitions WHERE server_id = ? AND name = ?")
                    .bind(id.0)
                    .bind(&gone.name)
                    .execute(&mut tx)
                    .await
                    .map_err(StoreError::from)?;
            } else {
                sqlx::query(
                    "UPDATE tool_definitions SET offered = 0, pending_description = NULL, \
                     pending_input_schema = NULL, pending_annotations = NULL, \
                     pending_hash = NULL, updated_at = ? WHERE server_id = ? AND name = ?",
                )
                .bind(now)
                .bind(id.0)
                .bind(&gone.name)
                .execute(&mut tx)
                .await
                .map_err(StoreError::from)?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(changes)
    }
}
