//! One connection to one MCP server, through the official Rust SDK (`rmcp`): the stdio servers
//! Confab starts itself (`process.rs`) and streamable-HTTP servers by URL. Listing tools, calling
//! one with a timeout that progress restarts and a hard cap, and cancelling a call
//! (`notifications/cancelled`) the moment the user stops.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CancelledNotification, CancelledNotificationParam,
    ClientCapabilities, ClientConfig, ClientRequest, Implementation, ProtocolVersion, ServerResult,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceError, ServiceExt};
use tokio_util::sync::CancellationToken;

use super::definition::{ServerDefinition, Transport};
use super::process::{self, ServerProcess};
use super::result::ToolResult;
use super::ToolsError;

/// However often a call reports progress, it ends after this many times its timeout.
const HARD_CAP_FACTOR: u32 = 10;

/// A tool as a server offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedTool {
    pub name: String,
    pub description: String,
    /// The JSON Schema of its arguments.
    pub input_schema: serde_json::Value,
    /// `readOnlyHint`, `destructiveHint`, `openWorldHint`, …, as the server sent them.
    pub annotations: serde_json::Value,
}

impl OfferedTool {
    /// What pinning compares: the name, description, input schema and annotations.
    pub fn hash(&self) -> String {
        definition_hash(
            &self.name,
            &self.description,
            &self.input_schema,
            &self.annotations,
        )
    }
}

/// The hash of a tool's definition (the same inputs as [`OfferedTool::hash`]).
pub(crate) fn definition_hash(
    name: &str,
    description: &str,
    input_schema: &serde_json::Value,
    annotations: &serde_json::Value,
) -> String {
    use sha2::Digest as _;
    let seen = serde_json::json!({
        "name": name,
        "description": description,
        "input_schema": input_schema,
        "annotations": annotations,
    });
    super::definition::hex(&sha2::Sha256::digest(seen.to_string().as_bytes()))
}

#[derive(Clone)]
struct Handler {
    tools_changed: Arc<AtomicBool>,
}

impl ClientHandler for Handler {
    /// The newest protocol with the `initialize` handshake (2025-11-25): what the servers in use
    /// (and the conformance suite) speak; a server may answer with an older one.
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("Confab", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    fn on_tool_list_changed(
        &self,
        _context: NotificationContext<RoleClient>,
    ) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.tools_changed.store(true, Ordering::Release);
        std::future::ready(())
    }
}

/// A live connection. Dropping it ends it (and kills a stdio server's process group).
pub struct ServerConnection {
    name: String,
    service: RunningService<RoleClient, Handler>,
    process: Option<ServerProcess>,
    tools_changed: Arc<AtomicBool>,
    timeout: Duration,
}

impl std::fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConnection")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ServerConnection {
    /// Starts (stdio) or reaches (HTTP) the server `def` and initialises the protocol. `headers`
    /// are the values of the definition's headers. The handshake is bounded by `timeout`.
    pub async fn connect(
        def: &ServerDefinition,
        headers: &BTreeMap<String, String>,
        timeout: Duration,
        log_dir: &Path,
    ) -> Result<Self, ToolsError> {
        let tools_changed = Arc::new(AtomicBool::new(false));
        let handler = Handler {
            tools_changed: tools_changed.clone(),
        };
        let (served, process) = match def.transport {
            Transport::Stdio => {
                let (process, pipes) = process::spawn(def, log_dir)?;
                let served = tokio::time::timeout(timeout, handler.serve(pipes)).await;
                (served.map(|r| r.map_err(|e| e.to_string())), Some(process))
            }
            Transport::Http => {
                let transport = http_transport(def, headers)?;
                let served = tokio::time::timeout(timeout, handler.serve(transport)).await;
                (served.map(|r| r.map_err(|e| e.to_string())), None)
            }
        };
        let service = match served {
            Ok(Ok(service)) => service,
            Ok(Err(cause)) => return Err(start_error(def, process.as_ref(), cause).await),
            Err(_) => {
                return Err(ToolsError::Start {
                    server: def.name.clone(),
                    cause: format!(
                        "it did not answer the protocol's handshake within {} s{}",
                        timeout.as_secs(),
                        log_note(process.as_ref().map(ServerProcess::log))
                    ),
                })
            }
        };
        Ok(Self {
            name: def.name.clone(),
            service,
            process,
            tools_changed,
            timeout,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stdio server's process id (its process group's too).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(ServerProcess::pid)
    }

    /// Whether the server said its tools changed since this was last asked.
    pub fn take_tools_changed(&self) -> bool {
        self.tools_changed.swap(false, Ordering::AcqRel)
    }

    /// Whether the connection still works (the process is alive, the transport open).
    pub fn is_alive(&self) -> bool {
        !self.service.is_closed()
            && self
                .process
                .as_ref()
                .is_none_or(|p| p.exit_status().is_none())
    }

    /// Every tool the server offers now.
    pub async fn list_tools(&self) -> Result<Vec<OfferedTool>, ToolsError> {
        let listed = tokio::time::timeout(self.timeout, self.service.peer().list_all_tools()).await;
        let tools = match listed {
            Ok(Ok(tools)) => tools,
            Ok(Err(e)) => return Err(self.call_error(e, None).await),
            Err(_) => {
                return Err(ToolsError::Timeout {
                    server: self.name.clone(),
                    tool: "tools/list".into(),
                    after: self.timeout,
                })
            }
        };
        Ok(tools
            .into_iter()
            .map(|tool| {
                let value = serde_json::to_value(&tool).unwrap_or_default();
                OfferedTool {
                    name: tool.name.to_string(),
                    description: tool.description.as_deref().unwrap_or_default().to_owned(),
                    input_schema: value
                        .get("inputSchema")
                        .cloned()
                        .unwrap_or_else(|| serde_json::json!({ "type": "object" })),
                    annotations: value
                        .get("annotations")
                        .cloned()
                        .unwrap_or_else(|| serde_json::json!({})),
                }
            })
            .collect())
    }

    /// Calls `tool` with `arguments`. The call fails after the server's timeout without a word of
    /// progress (each progress notification restarts it), and after ten times that in any case;
    /// `cancel` ends it at once, telling the server with `notifications/cancelled`.
    pub async fn call(
        &self,
        tool: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        cancel: &CancellationToken,
    ) -> Result<ToolResult, ToolsError> {
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = arguments;
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let mut options = PeerRequestOptions::with_timeout(self.timeout);
        options.reset_timeout_on_progress = true;
        options.max_total_timeout = Some(self.timeout * HARD_CAP_FACTOR);
        let peer = self.service.peer();
        let handle = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(ToolsError::Cancelled),
            sent = peer.send_cancellable_request(request, options) => match sent {
                Ok(handle) => handle,
                Err(e) => return Err(self.call_error(e, Some(tool)).await),
            },
        };
        let id = handle.id.clone();
        let answered = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                let notification = CancelledNotification::new(CancelledNotificationParam::new(
                    Some(id),
                    Some("the user stopped the reply".into()),
                ));
                // Best effort: a server that is gone needs no telling.
                let _ = peer.send_notification(notification.into()).await;
                return Err(ToolsError::Cancelled);
            }
            answered = handle.await_response() => answered,
        };
        match answered {
            Ok(ServerResult::CallToolResult(result)) => Ok(ToolResult::from_wire(
                &serde_json::to_value(&result).unwrap_or_default(),
            )),
            Ok(_) => Err(ToolsError::Protocol {
                server: self.name.clone(),
                cause: format!(
                    "it answered the call of “{tool}” with something that is not a tool result"
                ),
            }),
            Err(e) => Err(self.call_error(e, Some(tool)).await),
        }
    }

    /// Ends the connection: closes the protocol, then the process (politely, then not).
    pub async fn close(mut self) {
        let _ = self
            .service
            .close_with_timeout(Duration::from_secs(2))
            .await;
        if let Some(process) = self.process.take() {
            process.stop().await;
        }
    }

    async fn call_error(&self, error: ServiceError, tool: Option<&str>) -> ToolsError {
        let tool_name = tool.unwrap_or("tools/list").to_owned();
        match error {
            ServiceError::Timeout { timeout } => ToolsError::Timeout {
                server: self.name.clone(),
                tool: tool_name,
                after: timeout,
            },
            ServiceError::Cancelled { .. } => ToolsError::Cancelled,
            ServiceError::McpError(e) => ToolsError::Protocol {
                server: self.name.clone(),
                cause: format!("it refused the call of “{tool_name}”: {}", e.message),
            },
            ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
                if let Some(process) = &self.process {
                    if let Some(line) = process.banner() {
                        return banner_error(&self.name, &line);
                    }
                    let status = process.wait_exit(Duration::from_millis(500)).await;
                    return ToolsError::Exited {
                        server: self.name.clone(),
                        status: status.unwrap_or_else(|| "its output closed".into()),
                        log: process.log().display().to_string(),
                    };
                }
                ToolsError::Unreachable {
                    server: self.name.clone(),
                    cause: "the connection closed".into(),
                }
            }
            other => ToolsError::Protocol {
                server: self.name.clone(),
                cause: other.to_string(),
            },
        }
    }
}

fn http_transport(
    def: &ServerDefinition,
    headers: &BTreeMap<String, String>,
) -> Result<rmcp::transport::StreamableHttpClientTransport<rmcp_reqwest::Client>, ToolsError> {
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    ensure_tls_provider();
    let mut custom = std::collections::HashMap::new();
    for name in &def.headers {
        let Some(value) = headers.get(name) else {
            return Err(ToolsError::MissingSecret {
                server: def.name.clone(),
                header: name.clone(),
            });
        };
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ToolsError::Invalid(format!("the header {name:?} cannot be sent: {e}")))?;
        let mut value = http::HeaderValue::from_str(value).map_err(|_| {
            ToolsError::Invalid(format!(
                "the value of the header {name} cannot be sent (it has line breaks or control characters)"
            ))
        })?;
        value.set_sensitive(true);
        custom.insert(name, value);
    }
    let config = StreamableHttpClientTransportConfig::with_uri(def.url.clone().unwrap_or_default())
        .custom_headers(custom);
    Ok(rmcp::transport::StreamableHttpClientTransport::from_config(
        config,
    ))
}

/// The HTTP transport's TLS runs on the ring provider (compiled in for the model client already);
/// rustls needs it named once per process.
fn ensure_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

async fn start_error(
    def: &ServerDefinition,
    process: Option<&ServerProcess>,
    cause: String,
) -> ToolsError {
    if let Some(process) = process {
        if let Some(line) = process.banner() {
            return banner_error(&def.name, &line);
        }
        if let Some(status) = process.wait_exit(Duration::from_millis(500)).await {
            return ToolsError::Exited {
                server: def.name.clone(),
                status,
                log: process.log().display().to_string(),
            };
        }
        return ToolsError::Start {
            server: def.name.clone(),
            cause: format!("{cause}{}", log_note(Some(process.log()))),
        };
    }
    ToolsError::Unreachable {
        server: def.name.clone(),
        cause,
    }
}

fn banner_error(server: &str, line: &str) -> ToolsError {
    ToolsError::Banner {
        server: server.to_owned(),
        line: line.to_owned(),
    }
}

fn log_note(log: Option<&Path>) -> String {
    log.map(|l| format!(" (its log: {})", l.display()))
        .unwrap_or_default()
}

/// Where each stdio server's log is kept, under the data directory.
pub fn logs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tool-logs")
}
