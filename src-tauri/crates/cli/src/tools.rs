//! `confab-cli tools`: MCP servers — list, add, import, approve, turn off and on, remove, and run
//! one tool by hand.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use confab_core::store::{Store, ToolDefinition, ToolServer};
use confab_core::tools::{
    escape_hidden, logs_dir, HeaderSecrets, ServerDefinition, ServerState, ToolHub, Transport,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::args::ToolsCommand;

/// A hub on the CLI's database, with stdio servers' logs under the data directory.
fn hub(store: &Store, data_dir: &Path) -> ToolHub {
    ToolHub::new(
        store.clone(),
        Arc::new(HeaderSecrets::default()),
        logs_dir(data_dir),
    )
}

pub async fn run(
    store: &Store,
    data_dir: &Path,
    json: bool,
    command: Option<ToolsCommand>,
) -> Result<ExitCode> {
    let hub = hub(store, data_dir);
    let code = match command {
        None => {
            list(store, json).await?;
            ExitCode::SUCCESS
        }
        Some(command) => {
            let code = act(&hub, command).await;
            hub.shutdown().await;
            code?
        }
    };
    Ok(code)
}

async fn act(hub: &ToolHub, command: ToolsCommand) -> Result<ExitCode> {
    let store = hub.store();
    match command {
        ToolsCommand::Add {
            name,
            url,
            headers,
            env,
            cwd,
            command,
        } => {
            let (def, values) = definition(name, url, headers, env, cwd, command)?;
            let added = hub.add(&def, &values).await?;
            outln!(
                "Added “{}” ({}): {}",
                added.server.definition.name,
                added.server.definition.transport.as_str(),
                added.server.definition.command_line()
            )?;
            for (header, storage) in &added.header_storage {
                if let confab_core::secrets::KeyStorage::Session { reason } = storage {
                    eprintln!("confab-cli: the value of {header} is not kept: {reason}");
                }
            }
            match added.started {
                Ok(_) => {
                    let tools: Vec<&str> =
                        added.server.tools.iter().map(|t| t.name.as_str()).collect();
                    outln!("Its tools: {}", list_or_none(&tools))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("confab-cli: it is added, but it did not start: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ToolsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let report = hub.import(&text).await?;
            for name in &report.added {
                outln!("New: {name} (needs approval: confab-cli tools approve {name})")?;
            }
            for name in &report.changed {
                outln!("Changed: {name} (needs approval again: confab-cli tools approve {name})")?;
            }
            for name in &report.unchanged {
                outln!("Unchanged: {name}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ToolsCommand::Approve { name, yes } => {
            let server = store.tool_server_named(&name).await?;
            describe_for_approval(&server)?;
            let held = server.tools.iter().any(|t| t.pending.is_some());
            if server.may_run() && !held {
                outln!(
                    "“{}” is approved already, with every tool it offers.",
                    server.definition.name
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            if !yes && !ask("Approve this server?")? {
                outln!("Not approved.")?;
                return Ok(ExitCode::FAILURE);
            }
            let server = hub.approve(server.id, &server.hash).await?;
            outln!("Approved “{}”.", server.definition.name)?;
            Ok(ExitCode::SUCCESS)
        }
        ToolsCommand::Off { name } => {
            let server = store.tool_server_named(&name).await?;
            hub.set_on(server.id, false).await?;
            outln!("“{}” is off.", server.definition.name)?;
            Ok(ExitCode::SUCCESS)
        }
        ToolsCommand::On { name } => {
            let server = store.tool_server_named(&name).await?;
            let server = hub.set_on(server.id, true).await?;
            match server.state {
                ServerState::Approved => outln!("“{}” is on.", server.definition.name)?,
                _ => outln!(
                    "“{0}” is on, but its definition changed since it was approved: confab-cli tools approve {0}",
                    server.definition.name
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
        ToolsCommand::Rm { name } => {
            let server = store.tool_server_named(&name).await?;
            hub.remove(server.id).await?;
            outln!("Removed “{}”.", server.definition.name)?;
            Ok(ExitCode::SUCCESS)
        }
        ToolsCommand::Call { name, tool, json } => {
            let arguments = match json.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(serde_json::Value::Object(map)) => Some(map),
                    Ok(_) => {
                        bail!("the arguments must be a JSON object, e.g. '{{\"text\": \"hi\"}}'")
                    }
                    Err(e) => bail!("the arguments are not valid JSON ({e})"),
                },
            };
            let server = store.tool_server_named(&name).await?;
            let cancel = CancellationToken::new();
            let stop = cancel.clone();
            let ctrl_c = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.cancel();
                }
            });
            let result = hub.call(server.id, &tool, arguments, &cancel).await;
            ctrl_c.abort();
            let result = result?;
            // Untrusted text: what a terminal would act on (escapes, bidi controls) is escaped.
            outln!("{}", escape_hidden(&result.text))?;
            if result.is_error {
                eprintln!("confab-cli: the tool reported an error");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The definition `tools add` describes, and its header values.
fn definition(
    name: String,
    url: Option<String>,
    headers: Vec<String>,
    env: Vec<String>,
    cwd: Option<PathBuf>,
    command: Vec<String>,
) -> Result<(ServerDefinition, BTreeMap<String, String>)> {
    let mut values = BTreeMap::new();
    let def = match url {
        Some(url) => {
            let mut names = Vec::new();
            for header in headers {
                let Some((key, value)) = header.split_once(':') else {
                    bail!("a header is 'Name: value' (got {header:?})");
                };
                names.push(key.trim().to_owned());
                values.insert(key.trim().to_owned(), value.trim().to_owned());
            }
            ServerDefinition {
                name,
                transport: Transport::Http,
                url: Some(url),
                headers: names,
                ..ServerDefinition::default()
            }
        }
        None => {
            let Some((program, args)) = command.split_first() else {
                bail!("give the server's command after `--` (e.g. confab-cli tools add files -- npx -y @modelcontextprotocol/server-filesystem ~/notes), or --url");
            };
            let mut vars = BTreeMap::new();
            for pair in env {
                let Some((key, value)) = pair.split_once('=') else {
                    bail!("an environment variable is KEY=VALUE (got {pair:?})");
                };
                vars.insert(key.to_owned(), value.to_owned());
            }
            let cwd = match cwd {
                Some(dir) => Some(
                    std::fs::canonicalize(&dir)
                        .with_context(|| format!("the folder {} does not exist", dir.display()))?
                        .display()
                        .to_string(),
                ),
                None => None,
            };
            ServerDefinition {
                name,
                transport: Transport::Stdio,
                command: Some(program.clone()),
                args: args.to_vec(),
                env: vars,
                cwd,
                ..ServerDefinition::default()
            }
        }
    };
    Ok((def, values))
}

/// What the user approves, whole: the command line or URL, the environment's names, the folder,
/// the hash, and each held tool with its old and new description.
fn describe_for_approval(server: &ToolServer) -> Result<()> {
    let def = &server.definition;
    match def.transport {
        Transport::Stdio => {
            outln!("“{}” runs this command (no shell):", def.name)?;
            outln!("  {}", def.command_line())?;
            outln!(
                "in the folder: {}",
                def.cwd
                    .as_deref()
                    .map(escape_hidden)
                    .unwrap_or_else(|| "your home folder".into())
            )?;
            let names: Vec<&str> = def.env.keys().map(String::as_str).collect();
            outln!(
                "with the environment: {} (and PATH, HOME, the locale)",
                list_or_none(&names)
            )?;
        }
        Transport::Http => {
            outln!("“{}” is reached at this URL:", def.name)?;
            outln!("  {}", def.command_line())?;
            let names: Vec<&str> = def.headers.iter().map(String::as_str).collect();
            outln!("sending the headers: {}", list_or_none(&names))?;
        }
    }
    outln!("Definition hash: {}", server.hash)?;
    for tool in server.tools.iter().filter(|t| t.pending.is_some()) {
        let new = tool.pending.as_ref().expect("filtered");
        match &tool.pinned {
            Some(old) => {
                outln!("The tool “{}” changed:", tool.name)?;
                outln!("  was: {}", escape_hidden(&old.description))?;
                outln!("  now: {}", escape_hidden(&new.description))?;
            }
            None => outln!(
                "A new tool “{}”: {}",
                tool.name,
                escape_hidden(&new.description)
            )?,
        }
        for warning in new.warnings() {
            outln!("  warning: its description has {}", warning.describe())?;
        }
    }
    Ok(())
}

/// Asks at the terminal; with no terminal, refuses (scripts pass --yes).
fn ask(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("approving needs a terminal to ask at: run it in one, or pass --yes");
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

#[derive(Serialize)]
struct ListedServer<'a> {
    name: &'a str,
    transport: &'a str,
    state: &'a str,
    command: Option<&'a str>,
    args: &'a [String],
    url: Option<&'a str>,
    tools: Vec<ListedTool>,
}

#[derive(Serialize)]
struct ListedTool {
    name: String,
    description: String,
    warnings: Vec<String>,
}

fn listed_tool(tool: &ToolDefinition) -> ListedTool {
    let spec = tool.current();
    let mut warnings: Vec<String> = spec
        .warnings()
        .iter()
        .map(|w| {
            serde_json::to_value(w)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    match (&tool.pinned, &tool.pending) {
        (Some(_), Some(_)) => warnings.push("changed_since_approved".into()),
        (None, Some(_)) => warnings.push("new_since_approved".into()),
        _ => {}
    }
    if !tool.offered {
        warnings.push("no_longer_offered".into());
    }
    ListedTool {
        name: escape_hidden(&tool.name),
        description: escape_hidden(&spec.description),
        warnings,
    }
}

/// The servers, their state and their tools; nothing is started.
async fn list(store: &Store, json: bool) -> Result<()> {
    let servers = store.tool_servers().await?;
    if json {
        let listed: Vec<ListedServer<'_>> = servers
            .iter()
            .map(|s| ListedServer {
                name: &s.definition.name,
                transport: s.definition.transport.as_str(),
                state: effective_state(s).as_str(),
                command: s.definition.command.as_deref(),
                args: &s.definition.args,
                url: s.definition.url.as_deref(),
                tools: s.tools.iter().map(listed_tool).collect(),
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&listed)?)?;
        return Ok(());
    }
    if servers.is_empty() {
        outln!("No tool servers yet. Add one with `confab-cli tools add NAME -- COMMAND…` or `--url URL`.")?;
        return Ok(());
    }
    for server in &servers {
        outln!(
            "{}  {}  {}  {}",
            server.definition.name,
            effective_state(server).as_str(),
            server.definition.transport.as_str(),
            server.definition.command_line()
        )?;
        for tool in server.tools.iter().map(listed_tool) {
            let notes = if tool.warnings.is_empty() {
                String::new()
            } else {
                format!("  [{}]", tool.warnings.join(", "))
            };
            outln!(
                "    {}  {}{notes}",
                tool.name,
                first_line(&tool.description)
            )?;
        }
    }
    Ok(())
}

/// An approved server whose definition changed since is shown as needing approval: that is
/// what it does.
fn effective_state(server: &ToolServer) -> ServerState {
    match server.state {
        ServerState::Approved if !server.may_run() => ServerState::NeedsApproval,
        state => state,
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>())
    } else {
        line.to_owned()
    }
}
