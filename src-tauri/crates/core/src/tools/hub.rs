//! The running side of tools: which servers are connected, starting one only when it may run,
//! keeping its tool listing recorded (pinned, or held when changed), calling its tools, and ending
//! connections when a server is turned off, removed or changed, and when Confab quits.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::client::ServerConnection;
use super::import::parse_mcp_servers;
use super::result::ToolResult;
use super::secrets::HeaderSecrets;
use super::{ServerDefinition, ServerState, ToolsError};
use crate::secrets::KeyStorage;
use crate::store::{ListingChanges, Store, ToolServer, ToolServerId};

type Result<T, E = ToolsError> = std::result::Result<T, E>;

/// A connection, the definition hash it was started with, and when a chat last used it.
struct Live {
    connection: Arc<ServerConnection>,
    hash: String,
    used: std::time::Instant,
}

/// A server no chat has used for this long is stopped (it starts again when one needs it).
pub const IDLE_STOP: Duration = Duration::from_secs(10 * 60);

type Slot = Arc<Mutex<Option<Live>>>;

/// Every server's connection, started on demand.
pub struct ToolHub {
    store: Store,
    secrets: Arc<HeaderSecrets>,
    log_dir: PathBuf,
    slots: std::sync::Mutex<HashMap<ToolServerId, Slot>>,
    /// Every server's call timeout, instead of its own (`confab-cli chat --tool-timeout`).
    timeout: Option<Duration>,
}

impl std::fmt::Debug for ToolHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolHub")
            .field("log_dir", &self.log_dir)
            .finish_non_exhaustive()
    }
}

/// What adding a server did.
#[derive(Debug)]
pub struct Added {
    pub server: ToolServer,
    /// Where each header value was kept.
    pub header_storage: Vec<(String, KeyStorage)>,
    /// Starting it and listing its tools: what was pinned, or why it did not start (the server is
    /// added all the same).
    pub started: Result<ListingChanges>,
}

/// What an import did, by server name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// New servers, waiting for approval.
    pub added: Vec<String>,
    /// Known servers whose definition changed: waiting for approval again.
    pub changed: Vec<String>,
    /// Known servers, the same as in the file.
    pub unchanged: Vec<String>,
}

impl ToolHub {
    /// `log_dir` receives each stdio server's stderr (see [`super::logs_dir`]).
    pub fn new(store: Store, secrets: Arc<HeaderSecrets>, log_dir: PathBuf) -> Self {
        Self {
            store,
            secrets,
            log_dir,
            slots: std::sync::Mutex::new(HashMap::new()),
            timeout: None,
        }
    }

    /// Gives every server's calls this timeout instead of its own.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The folder the servers' logs are in.
    pub fn log_dir(&self) -> &std::path::Path {
        &self.log_dir
    }

    fn slot(&self, id: ToolServerId) -> Slot {
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    /// Adds a server the user defined: approved by that act. Then starts it to pin its tools.
    pub async fn add(
        &self,
        def: &ServerDefinition,
        header_values: &BTreeMap<String, String>,
    ) -> Result<Added> {
        let server = self.store.insert_tool_server(def, true).await?;
        let header_storage = match self.keep_headers(&server, header_values) {
            Ok(storage) => storage,
            Err(e) => {
                self.store.delete_tool_server(server.id).await?;
                return Err(e);
            }
        };
        let started = self.refresh(server.id).await;
        let server = self.store.tool_server(server.id).await?;
        Ok(Added {
            server,
            header_storage,
            started,
        })
    }

    fn keep_headers(
        &self,
        server: &ToolServer,
        values: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, KeyStorage)>> {
        let mut storage = Vec::new();
        for name in &server.definition.headers {
            if let Some(value) = values.get(name) {
                storage.push((name.clone(), self.secrets.set(server.id, name, value)?));
            }
        }
        Ok(storage)
    }

    /// Reads an `mcpServers` file: each new server, and each known one whose definition changed,
    /// waits for approval. Nothing is started.
    pub async fn import(&self, json: &str) -> Result<ImportReport> {
        let servers = parse_mcp_servers(json)?;
        let mut report = ImportReport::default();
        for imported in servers {
            let def = &imported.definition;
            let server = match self.store.tool_server_named(&def.name).await {
                Ok(known) => {
                    let mut def = def.clone();
                    def.name = known.definition.name.clone();
                    let updated = self.store.replace_tool_server(known.id, &def).await?;
                    if updated.hash == known.hash {
                        report.unchanged.push(def.name.clone());
                    } else {
                        self.stop(known.id).await;
                        report.changed.push(def.name.clone());
                    }
                    updated
                }
                Err(ToolsError::UnknownServer(_)) => {
                    report.added.push(def.name.clone());
                    self.store.insert_tool_server(def, false).await?
                }
                Err(e) => return Err(e),
            };
            self.keep_headers(&server, &imported.header_values)?;
        }
        Ok(report)
    }

    /// Approves a server as the user saw it (`seen_hash`), with its held tool changes.
    pub async fn approve(&self, id: ToolServerId, seen_hash: &str) -> Result<ToolServer> {
        self.store.approve_tool_server(id, seen_hash).await
    }

    /// Turns a server on or off (off ends its connection).
    pub async fn set_on(&self, id: ToolServerId, on: bool) -> Result<ToolServer> {
        let server = self.store.set_tool_server_on(id, on).await?;
        if !on {
            self.stop(id).await;
        }
        Ok(server)
    }

    /// Removes a server: its connection, its header values, its row.
    pub async fn remove(&self, id: ToolServerId) -> Result<()> {
        let server = self.store.tool_server(id).await?;
        self.stop(id).await;
        self.secrets.clear(id, &server.definition.headers);
        self.store.delete_tool_server(id).await?;
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        Ok(())
    }

    /// Starts the server if it is not running, lists its tools and records them.
    pub async fn refresh(&self, id: ToolServerId) -> Result<ListingChanges> {
        let server = self.store.tool_server(id).await?;
        let connection = self.connection(&server).await?;
        let tools = connection.list_tools().await?;
        self.store.record_tool_listing(id, &tools).await
    }

    /// The live connection to `server`, started if needed: refused unless the server may run.
    /// A server that said its tools changed is listed again first.
    pub async fn connection(&self, server: &ToolServer) -> Result<Arc<ServerConnection>> {
        Ok(self.connect(server).await?.0)
    }

    /// [`ToolHub::connection`], and whether its tools were listed (and recorded) on the way.
    async fn connect(&self, server: &ToolServer) -> Result<(Arc<ServerConnection>, bool)> {
        let name = &server.definition.name;
        match server.state {
            ServerState::Off => return Err(ToolsError::Off(name.clone())),
            ServerState::NeedsApproval => return Err(ToolsError::NeedsApproval(name.clone())),
            ServerState::Approved if !server.may_run() => {
                return Err(ToolsError::NeedsApproval(name.clone()))
            }
            ServerState::Approved => {}
        }
        self.stop_idle(IDLE_STOP, server.id).await;
        let slot = self.slot(server.id);
        let mut live = slot.lock().await;
        if let Some(current) = live.as_mut() {
            if current.hash == server.hash && current.connection.is_alive() {
                current.used = std::time::Instant::now();
                let connection = current.connection.clone();
                drop(live);
                let listed = connection.take_tools_changed();
                if listed {
                    let tools = connection.list_tools().await?;
                    self.store.record_tool_listing(server.id, &tools).await?;
                }
                return Ok((connection, listed));
            }
        }
        if let Some(old) = live.take() {
            end(old.connection).await;
        }
        let headers = self.secrets.get_all(server.id, &server.definition.headers);
        let timeout = self
            .timeout
            .unwrap_or_else(|| Duration::from_secs(u64::from(server.timeout_secs)));
        let connection = Arc::new(
            ServerConnection::connect(&server.definition, &headers, timeout, &self.log_dir).await?,
        );
        *live = Some(Live {
            connection: connection.clone(),
            hash: server.hash.clone(),
            used: std::time::Instant::now(),
        });
        drop(live);
        // Every start lists the tools again: a server may come back with different ones.
        let tools = connection.list_tools().await?;
        self.store.record_tool_listing(server.id, &tools).await?;
        Ok((connection, true))
    }

    /// Calls `tool` of server `id` with `arguments`, if the server may run and the tool is one the
    /// user approved (not held for a change).
    pub async fn call(
        &self,
        id: ToolServerId,
        tool: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        cancel: &CancellationToken,
    ) -> Result<ToolResult> {
        let server = self.store.tool_server(id).await?;
        let (connection, listed) = self.connect(&server).await?;
        // The listing a start (or a change notice) recorded decides.
        let server = if listed {
            self.store.tool_server(id).await?
        } else {
            server
        };
        let name = &server.definition.name;
        let Some(definition) = server.tool(tool) else {
            return Err(ToolsError::UnknownTool {
                server: name.clone(),
                tool: tool.to_owned(),
            });
        };
        if definition.pending.is_some() {
            return Err(ToolsError::ToolHeld {
                server: name.clone(),
                tool: tool.to_owned(),
            });
        }
        if definition.usable().is_none() {
            return Err(ToolsError::UnknownTool {
                server: name.clone(),
                tool: tool.to_owned(),
            });
        }
        connection.call(tool, arguments, cancel).await
    }

    /// Ends the server's connection, if it has one.
    pub async fn stop(&self, id: ToolServerId) {
        let slot = self.slot(id);
        let old = slot.lock().await.take();
        if let Some(old) = old {
            end(old.connection).await;
        }
    }

    /// Stops every server (but `except`) that no chat has used for `idle`: one a chat no longer
    /// needs does not run on. Called whenever a chat uses a server.
    pub async fn stop_idle(&self, idle: Duration, except: ToolServerId) {
        let slots: Vec<(ToolServerId, Slot)> = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(id, _)| **id != except)
            .map(|(id, slot)| (*id, slot.clone()))
            .collect();
        for (id, slot) in slots {
            // A slot busy starting or being used is not idle.
            let Ok(mut live) = slot.try_lock() else {
                continue;
            };
            if live.as_ref().is_some_and(|l| l.used.elapsed() >= idle) {
                if let Some(old) = live.take() {
                    tracing::info!(server = %id, "stopping a tool server no chat has used lately");
                    drop(live);
                    end(old.connection).await;
                }
            }
        }
    }

    /// Ends every connection (Confab is quitting).
    pub async fn shutdown(&self) {
        let ids: Vec<ToolServerId> = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect();
        futures_util::future::join_all(ids.into_iter().map(|id| self.stop(id))).await;
    }

    /// The process id of a running stdio server.
    pub async fn pid(&self, id: ToolServerId) -> Option<u32> {
        let slot = self.slot(id);
        let live = slot.lock().await;
        live.as_ref().and_then(|l| l.connection.pid())
    }
}

/// Closes a connection politely when no call holds it; otherwise the last holder's drop ends it
/// (killing a stdio server's group).
async fn end(connection: Arc<ServerConnection>) {
    if let Ok(connection) = Arc::try_unwrap(connection) {
        connection.close().await;
    }
}
