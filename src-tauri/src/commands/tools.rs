//! Tools: MCP servers in Settings, the consent a chat asks for, and which servers' tools a chat
//! or a project offers. The webview can only ask: adding a server, approving one and "Always
//! allow" end in a native confirmation opened here, showing the exact command line (or URL) from
//! the definition Rust holds; the other commands take a server id (and the hash the person saw),
//! never a program, a path or a URL to run. The logic is the core's (`confab_core::tools`).

use std::collections::BTreeMap;

use confab_core::chat::Consent;
use confab_core::error::ErrorCode;
use confab_core::store::{
    ConversationId, ProjectId, ToolAllowance, ToolServerChoice, ToolServerId,
};
use confab_core::tools::{ServerDefinition, ServerView, ToolsError, Transport};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// Settings → Tools: every server with its tools, and what runs without asking.
#[derive(Serialize, TS)]
pub struct ToolsOverview {
    pub servers: Vec<ServerView>,
    pub allowances: Vec<ToolAllowance>,
}

/// A server the person defined in Settings → Add. Nothing runs until they confirm it natively.
#[derive(Debug, Deserialize, TS)]
pub struct NewToolServer {
    pub name: String,
    pub transport: Transport,
    /// stdio: the program (found on `PATH`, or a path) and its arguments, each exactly as given.
    pub command: Option<String>,
    pub args: Vec<String>,
    /// stdio: the environment variables it gets beyond `PATH`, `HOME` and the locale.
    pub env: BTreeMap<String, String>,
    pub cwd: Option<String>,
    /// http: the URL and the headers sent (their values go to the keyring).
    pub url: Option<String>,
    pub headers: BTreeMap<String, String>,
}

/// What adding a server did.
#[derive(Serialize, TS)]
pub struct AddedServer {
    pub server: ServerView,
    /// Why it did not start, if it did not (it is added all the same).
    pub start_error: Option<String>,
    /// Headers whose value could not be kept in a keyring (kept for this session only).
    pub unkept_headers: Vec<String>,
}

/// What became of an answer to a consent card.
#[derive(Serialize, TS, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum ConsentOutcome {
    /// The turn had the answer.
    Decided,
    /// No turn waits for this call any more (it was stopped, or answered elsewhere).
    NotWaiting,
    /// The person cancelled the native confirmation: nothing was decided.
    Cancelled,
}

/// A button label with its mnemonic (Alt+letter) where the native dialog understands one.
fn button(label: &str) -> String {
    if cfg!(target_os = "linux") {
        format!("_{label}")
    } else {
        label.to_owned()
    }
}

/// Asks the person in a native dialog, which script in the webview can neither draw nor answer.
/// True only for `ok`.
async fn confirm(app: &tauri::AppHandle, title: &str, text: String, ok: &str) -> bool {
    use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(text)
        .title(title)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            button(ok),
            button("Cancel"),
        ))
        .show(move |yes| {
            let _ = tx.send(yes);
        });
    rx.await.unwrap_or(false)
}

fn ids(servers: Option<Vec<i64>>) -> Option<Vec<ToolServerId>> {
    servers.map(|s| s.into_iter().map(ToolServerId).collect())
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_tool_servers(state: State<'_, AppState>) -> Result<ToolsOverview, IpcError> {
    let servers = state.store().tool_servers().await?;
    Ok(ToolsOverview {
        servers: servers.iter().map(ServerView::of).collect(),
        allowances: state.store().tool_allowances().await?,
    })
}

/// Adds the server the person defined, once they confirm its exact command line (or URL) in a
/// native dialog: approved by that act, then started to pin its tools. `None` when they
/// cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state, server), err)]
pub async fn add_tool_server(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    server: NewToolServer,
) -> Result<Option<AddedServer>, IpcError> {
    let stdio = server.transport == Transport::Stdio;
    let definition = ServerDefinition {
        name: server.name.trim().to_owned(),
        transport: server.transport,
        command: server.command.filter(|_| stdio),
        args: if stdio { server.args } else { Vec::new() },
        env: if stdio { server.env } else { BTreeMap::new() },
        cwd: server.cwd.filter(|c| stdio && !c.trim().is_empty()),
        url: server.url.filter(|_| !stdio),
        headers: if stdio {
            Vec::new()
        } else {
            server.headers.keys().cloned().collect()
        },
    };
    definition.validate()?;
    if state
        .store()
        .tool_server_named(&definition.name)
        .await
        .is_ok()
    {
        return Err(ToolsError::NameTaken(definition.name).into());
    }
    let view = ServerView::of_definition(&definition);
    let title = format!("Add the tool server “{}”?", view.name);
    let text = format!(
        "{}\n\nA model in a chat that offers this server's tools may ask to use them; each call asks you first.",
        view.confirmation_text()
    );
    if !confirm(&app, &title, text, "Add").await {
        return Ok(None);
    }
    let headers = if stdio {
        BTreeMap::new()
    } else {
        server.headers
    };
    let added = state.tools().add(&definition, &headers).await?;
    Ok(Some(AddedServer {
        server: ServerView::of(&added.server),
        start_error: added.started.err().map(|e| e.to_string()),
        unkept_headers: added
            .header_storage
            .into_iter()
            .filter(|(_, storage)| !matches!(storage, confab_core::secrets::KeyStorage::Keyring))
            .map(|(name, _)| name)
            .collect(),
    }))
}

/// Approves server `id` as the person saw it (`hash`), with its held tool changes, once they
/// confirm it in a native dialog showing what it runs. `None` when they cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn approve_tool_server(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: i64,
    hash: String,
) -> Result<Option<ServerView>, IpcError> {
    let server = state.store().tool_server(ToolServerId(id)).await?;
    let view = ServerView::of(&server);
    if server.hash != hash {
        return Err(ToolsError::Changed(view.name).into());
    }
    let title = format!("Approve the tool server “{}”?", view.name);
    if !confirm(&app, &title, view.confirmation_text(), "Approve").await {
        return Ok(None);
    }
    let approved = state.tools().approve(server.id, &hash).await?;
    Ok(Some(ServerView::of(&approved)))
}

/// Turns a server on (approved again only if its definition is the one approved) or off (its
/// process ends).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_tool_server_on(
    state: State<'_, AppState>,
    id: i64,
    on: bool,
) -> Result<ServerView, IpcError> {
    let server = state.tools().set_on(ToolServerId(id), on).await?;
    Ok(ServerView::of(&server))
}

/// Removes a server: its process, its pinned tools, its allowances and its header values.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn remove_tool_server(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    Ok(state.tools().remove(ToolServerId(id)).await?)
}

/// Takes back an "Always allow" (or an "Allow in this chat").
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn revoke_tool_allowance(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    Ok(state.store().revoke_tool_allowance(id).await?)
}

/// Opens server `id`'s log (what it wrote to its error output) with the system's opener. The
/// path is chosen here from the server; the webview never names one.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn open_tool_log(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let server = state.store().tool_server(ToolServerId(id)).await?;
    let path = confab_core::tools::log_path(state.tools().log_dir(), &server.definition.name);
    if !path.exists() {
        return Err(IpcError::new(
            ErrorCode::NotFound,
            format!(
                "“{}” has no log yet: it is written when the server runs",
                confab_core::tools::escape_hidden(&server.definition.name)
            ),
        ));
    }
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("the log could not be opened ({}): {e}", path.display()),
            )
        })
}

/// Answers a consent card. "Always allow" is confirmed in a native dialog first, and only for a
/// tool its server marks read-only.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn decide_tool_call(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    call_id: i64,
    consent: Consent,
) -> Result<ConsentOutcome, IpcError> {
    if !state.chat().pending_consents().contains(&call_id) {
        return Ok(ConsentOutcome::NotWaiting);
    }
    if consent == Consent::AlwaysAllow {
        let call = state.store().tool_call(call_id).await?;
        let (Some(server), Some(tool)) = (call.server, call.tool) else {
            return Err(not_always("that tool").into());
        };
        let found = state.store().tool_server_named(&server).await?;
        let spec = found.tool(&tool).and_then(|t| t.usable());
        let Some(spec) = spec.filter(|s| s.read_only()) else {
            return Err(not_always(&tool).into());
        };
        let name = confab_core::tools::escape_hidden;
        let title = format!("Always allow “{}” of “{}”?", name(&tool), name(&server));
        let text = format!(
            "It will run in every chat without asking, until you take it back in Settings → Tools.\n\n\
             Its server marks it read-only. What it does, in the server's words:\n\n{}",
            name(&spec.description)
        );
        if !confirm(&app, &title, text, "Always allow").await {
            return Ok(ConsentOutcome::Cancelled);
        }
    }
    Ok(if state.chat().decide_tool_call(call_id, consent) {
        ConsentOutcome::Decided
    } else {
        ConsentOutcome::NotWaiting
    })
}

fn not_always(tool: &str) -> ToolsError {
    ToolsError::Invalid(format!(
        "“{}” is not marked read-only by its server, so it cannot be always allowed: allow it in this chat instead",
        confab_core::tools::escape_hidden(tool)
    ))
}

/// Which servers' tools a chat offers: its own choice and its project's default.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_chat_tool_servers(
    state: State<'_, AppState>,
    id: i64,
) -> Result<ToolServerChoice, IpcError> {
    Ok(state.store().tool_server_choice(ConversationId(id)).await?)
}

/// Sets which servers' tools a chat offers; `None`: its project's.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_chat_tool_servers(
    state: State<'_, AppState>,
    id: i64,
    servers: Option<Vec<i64>>,
) -> Result<(), IpcError> {
    Ok(state
        .store()
        .set_conversation_tool_servers(ConversationId(id), ids(servers).as_deref())
        .await?)
}

/// The servers a project's chats offer unless they choose their own (`None`: none).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_project_tool_servers(
    state: State<'_, AppState>,
    id: i64,
) -> Result<Option<Vec<ToolServerId>>, IpcError> {
    Ok(state.store().project_tool_servers(ProjectId(id)).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_project_tool_servers(
    state: State<'_, AppState>,
    id: i64,
    servers: Option<Vec<i64>>,
) -> Result<(), IpcError> {
    Ok(state
        .store()
        .set_project_tool_servers(ProjectId(id), ids(servers).as_deref())
        .await?)
}
