//! `confab-cli chat`: one message (`-m`) or an interactive session.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use confab_core::attachments::{self, Prepared, Upload};
use confab_core::chat::{ChatEvent, ChatService, Consent, ConsentRequest, EventSink};
use confab_core::error::ErrorCode;
use confab_core::llm::LlmClient;
use confab_core::store::{
    ConversationId, ConversationSettings, Message, MessageStatus, NewConversation, Store,
    ToolCallRecord, ToolDecision, ToolServerId,
};
use confab_core::tools::{escape_hidden, logs_dir, HeaderSecrets, ToolHub};

/// Prints the reply's text to stdout as it arrives; thinking goes to stderr when interactive.
/// Tool calls are shown on stderr and asked about at the terminal.
struct TerminalSink {
    show_reasoning: bool,
    /// The code of the error the reply ended with, if any.
    error_code: std::sync::Mutex<Option<ErrorCode>>,
    tools: ToolAnswers,
}

/// How tool calls are answered: `--allow NAME/TOOL` runs those without asking; anything else is
/// asked at the terminal, or denied when there is none.
#[derive(Clone)]
struct ToolAnswers {
    service: std::sync::Weak<ChatService>,
    allow: Vec<String>,
    terminal: bool,
}

impl ToolAnswers {
    fn ask(&self, request: ConsentRequest) {
        let Some(service) = self.service.upgrade() else {
            return;
        };
        let hints: Vec<&str> = [
            (request.read_only, "read-only"),
            (request.destructive, "destructive"),
            (request.open_world, "open world"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        eprintln!(
            "\n\x1b[1mtool call\x1b[0m {}/{} ({})\n{}",
            request.server,
            request.tool,
            hints.join(", "),
            request.arguments
        );
        let named = format!("{}/{}", request.server, request.tool);
        if self.allow.iter().any(|a| a.eq_ignore_ascii_case(&named)) {
            eprintln!("(allowed by --allow {named})");
            service.decide_tool_call(request.call_id, Consent::AllowOnce);
            return;
        }
        if !self.terminal {
            eprintln!("(denied: no terminal to ask at, and --allow does not name it)");
            service.decide_tool_call(
                request.call_id,
                Consent::Deny {
                    reason: Some(
                        "confab-cli runs a tool without a terminal only when --allow names it"
                            .into(),
                    ),
                },
            );
            return;
        }
        // Asked on a thread of its own: the sink must not block the reply's task.
        std::thread::spawn(move || {
            eprint!("Run it? [y] once, [a] in this chat, [n] no: ");
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            let consent = match answer.trim() {
                "y" | "Y" | "yes" => Consent::AllowOnce,
                "a" | "A" => Consent::AllowInChat,
                _ => Consent::Deny { reason: None },
            };
            service.decide_tool_call(request.call_id, consent);
        });
    }
}

/// One line about a call as it changes: decided, then its result (untrusted: escaped, cut).
fn show_call(call: &ToolCallRecord) {
    let name = match (&call.server, &call.tool) {
        (Some(server), Some(tool)) => format!("{server}/{tool}"),
        _ => call.function_name.clone(),
    };
    let said = match (&call.result, call.decision) {
        (Some(result), _) => {
            let first: String = result
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(120)
                .collect();
            format!(
                "{}{}",
                if call.is_error { "error: " } else { "→ " },
                escape_hidden(&first)
            )
        }
        (None, ToolDecision::Pending) => return,
        (None, decision) if decision.allows() => return,
        (None, decision) => format!(
            "{}{}",
            decision.as_str(),
            call.reason
                .as_deref()
                .map(|r| format!(": {}", escape_hidden(r)))
                .unwrap_or_default()
        ),
    };
    eprintln!("\x1b[2m[{name}] {said}\x1b[0m");
}

impl EventSink for TerminalSink {
    fn send(&self, event: ChatEvent) {
        match event {
            ChatEvent::ToolConsent { request } => self.tools.ask(request),
            ChatEvent::ToolCall { call } => show_call(&call),
            ChatEvent::Delta { text, .. } => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            ChatEvent::Reasoning { text, .. } if self.show_reasoning => {
                eprint!("\x1b[2m{text}\x1b[0m");
            }
            ChatEvent::Error { code, .. } => {
                *self.error_code.lock().unwrap_or_else(|e| e.into_inner()) = Some(code);
            }
            _ => {}
        }
    }
}

/// Files to attach to the first message, and whether the user says the model takes images.
pub struct Files {
    pub paths: Vec<std::path::PathBuf>,
    pub vision: bool,
}

/// The chat's tools: `--tools`, `--allow`, `--tool-timeout`.
pub struct ToolOptions {
    /// The servers whose tools the chat offers (none given: the chat's own choice, or its
    /// project's).
    pub servers: Option<Vec<String>>,
    /// `SERVER/TOOL`s that run without asking.
    pub allow: Vec<String>,
    /// Seconds a call may go without progress (default: each server's own).
    pub timeout: Option<u64>,
    pub data_dir: std::path::PathBuf,
}

/// How to set up a conversation the session starts.
pub struct NewChat {
    pub model: Option<String>,
    pub system: Option<String>,
    pub temperature: Option<f32>,
    /// The memory strategy's name (`summary`, `window`, `full`, `recall`).
    pub memory: Option<String>,
    /// The project to start the chat in, by name; created when there is none.
    pub project: Option<String>,
}

pub async fn run(
    store: Store,
    client: LlmClient,
    new: NewChat,
    conversation: Option<i64>,
    message: Option<String>,
    attach: Files,
    tools: ToolOptions,
) -> Result<ExitCode> {
    // Read and checked before anything is created, so a file that cannot go leaves no trace.
    let files = attach
        .paths
        .iter()
        .map(|path| Upload::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let files = Some(attachments::prepare_all(files)?).filter(|f| !f.is_empty());
    let model = new.model.clone();
    let service = Arc::new(ChatService::new(store.clone(), client));
    let servers = match &tools.servers {
        Some(names) => {
            let mut ids = Vec::with_capacity(names.len());
            for name in names {
                ids.push(store.tool_server_named(name).await?.id);
            }
            Some(ids)
        }
        None => None,
    };
    let mut hub = ToolHub::new(
        store.clone(),
        Arc::new(HeaderSecrets::default()),
        logs_dir(&tools.data_dir),
    );
    if let Some(secs) = tools.timeout {
        hub = hub.with_timeout(std::time::Duration::from_secs(secs));
    }
    let hub = Arc::new(hub);
    service.set_tools(hub.clone());
    let answers = ToolAnswers {
        service: Arc::downgrade(&service),
        allow: tools.allow.clone(),
        terminal: std::io::stdin().is_terminal(),
    };
    let result = session(
        &store,
        &service,
        &answers,
        servers.as_deref(),
        new,
        conversation,
        message,
        files,
        attach.vision,
        model,
    )
    .await;
    hub.shutdown().await;
    result
}

/// The chat itself, once its tools are set up.
#[allow(clippy::too_many_arguments)]
async fn session(
    store: &Store,
    service: &Arc<ChatService>,
    answers: &ToolAnswers,
    servers: Option<&[ToolServerId]>,
    new: NewChat,
    conversation: Option<i64>,
    message: Option<String>,
    mut files: Option<Vec<Prepared>>,
    vision: bool,
    model: Option<String>,
) -> Result<ExitCode> {
    let store = store.clone();
    let attach = Files {
        paths: Vec::new(),
        vision,
    };
    let offer = |id: ConversationId| {
        let store = store.clone();
        async move {
            match servers {
                Some(ids) => store.set_conversation_tool_servers(id, Some(ids)).await,
                None => Ok(()),
            }
        }
    };
    let mut conversation_id = match conversation {
        Some(id) => {
            let id = ConversationId(id);
            store.get_conversation(id).await?;
            if attach.vision {
                service.set_model_vision(id, Some(true)).await?;
            }
            if model.is_some() {
                store
                    .update_conversation_settings(
                        id,
                        ConversationSettings {
                            model: Some(model.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
            }
            offer(id).await?;
            Some(id)
        }
        None => None,
    };

    if let Some(text) = message {
        let id = match conversation_id {
            Some(id) => id,
            None => {
                let id = new_conversation(&store, &new).await?;
                offer(id).await?;
                id
            }
        };
        if attach.vision && conversation_id.is_none() {
            service.set_model_vision(id, Some(true)).await?;
        }
        let action = match files.take() {
            Some(files) => Action::SendWithFiles(&text, files),
            None => Action::Send(&text),
        };
        let sent = turn(service, id, action, false, answers).await;
        if sent.is_err() && conversation_id.is_none() {
            // Refused before anything was saved (say, an image for a model that cannot see):
            // the chat made for it goes too, so a refusal leaves nothing behind.
            if store.tail_messages(id, 1).await.is_ok_and(|m| m.is_empty()) {
                let _ = store.delete_conversation(id).await;
            }
        }
        let Sent { reply, unreachable } = sent?;
        outln!()?;
        // A summary fold the reply started finishes before the process ends.
        service.background_idle().await;
        return Ok(match reply.status {
            MessageStatus::Complete => ExitCode::SUCCESS,
            _ => {
                eprintln!(
                    "confab-cli: the reply {}: {}",
                    if reply.status == MessageStatus::Interrupted {
                        "was interrupted"
                    } else {
                        "failed"
                    },
                    reply.error.as_deref().unwrap_or("no reason given")
                );
                if unreachable {
                    suggest_running_servers().await;
                }
                ExitCode::from(2)
            }
        });
    }

    // Recall's index grows while the chat runs (it waits while a reply streams).
    service.start_indexing();
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Chatting with {} — Ctrl+C stops a reply, /regenerate writes the last reply anew, \
             /continue goes on with a reply cut short, Ctrl+D or /exit leaves.",
            service.client().endpoint().base_url()
        );
    }
    loop {
        if interactive {
            eprint!("\x1b[1myou>\x1b[0m ");
        }
        let Some(line) = read_line().await? else {
            break;
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if matches!(text, "/exit" | "/quit") {
            break;
        }
        let action = match text {
            "/regenerate" => Action::Regenerate,
            "/continue" => Action::Continue,
            _ => match files.take() {
                Some(files) => Action::SendWithFiles(text, files),
                None => Action::Send(text),
            },
        };
        let command = matches!(action, Action::Regenerate | Action::Continue);
        if command && conversation_id.is_none() {
            eprintln!("confab-cli: there is no reply yet — type a message first");
            continue;
        }
        let id = match conversation_id {
            Some(id) => id,
            None => {
                let id = new_conversation(&store, &new).await?;
                offer(id).await?;
                if attach.vision {
                    service.set_model_vision(id, Some(true)).await?;
                }
                if interactive {
                    eprintln!("(conversation {id})");
                }
                conversation_id = Some(id);
                id
            }
        };
        let Sent { reply, unreachable } =
            match turn(service, id, action, interactive, answers).await {
                // A refused /regenerate or /continue says why; the session goes on.
                Err(err) if command => {
                    eprintln!("confab-cli: {err}");
                    continue;
                }
                sent => sent?,
            };
        outln!()?;
        if reply.status != MessageStatus::Complete {
            eprintln!(
                "[{}] {}",
                reply.status.as_str(),
                reply.error.as_deref().unwrap_or("")
            );
            if unreachable {
                suggest_running_servers().await;
            }
        }
    }
    service.stop_indexing().await;
    service.background_idle().await;
    Ok(ExitCode::SUCCESS)
}

/// `confab-cli index`: runs the recall indexer until every message has a vector.
pub async fn index(store: Store, client: LlmClient) -> Result<ExitCode> {
    let service = Arc::new(ChatService::new(store, client));
    let mut watch = service.recall().watch();
    service.start_indexing();
    let mut shown = (u64::MAX, u64::MAX);
    let outcome = loop {
        if watch.changed().await.is_err() {
            break Err("the indexer stopped".to_owned());
        }
        let s = watch.borrow_and_update().clone();
        if let Some(why) = s.words_only_reason {
            break Err(why);
        }
        if s.embedding_model.is_some() && (s.indexed, s.total) != shown {
            shown = (s.indexed, s.total);
            eprintln!("indexed {} of {} messages", s.indexed, s.total);
        }
        if let (Some(model), false, true) = (&s.embedding_model, s.indexing, s.indexed >= s.total) {
            break Ok(model.clone());
        }
    };
    service.stop_indexing().await;
    service.background_idle().await;
    Ok(match outcome {
        Ok(model) => {
            outln!("every message has a vector from {model}")?;
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("confab-cli: recall can use words alone: {why}");
            ExitCode::from(2)
        }
    })
}

/// What a turn does.
enum Action<'a> {
    /// Sends the user's message and streams the reply.
    Send(&'a str),
    /// Sends the user's message with files (already checked) and streams the reply.
    SendWithFiles(&'a str, Vec<Prepared>),
    /// Sets the last reply aside as a version and streams a new one.
    Regenerate,
    /// Streams more text into the last reply, cut short or failed part-way.
    Continue,
}

/// Runs one turn; Ctrl+C while the reply streams stops the reply, not the program.
async fn turn(
    service: &Arc<ChatService>,
    id: ConversationId,
    action: Action<'_>,
    show_reasoning: bool,
    answers: &ToolAnswers,
) -> Result<Sent> {
    let sink = TerminalSink {
        show_reasoning,
        error_code: Default::default(),
        tools: answers.clone(),
    };
    // The handler is in place before the request goes out, so an early Ctrl+C stops the reply too.
    let mut interrupt = Interrupt::new()?;
    let stopper = {
        let service = service.clone();
        tokio::spawn(async move {
            interrupt.recv().await;
            service.stop(id);
        })
    };
    let reply = match action {
        Action::Send(text) => service.send(id, text, &sink).await,
        Action::SendWithFiles(text, files) => {
            match service.start_with_prepared(id, text, files).await {
                Ok(turn) => turn.stream(&sink).await,
                Err(err) => Err(err),
            }
        }
        Action::Regenerate => service.regenerate(id, &sink).await,
        Action::Continue => service.continue_reply(id, &sink).await,
    };
    stopper.abort();
    let unreachable =
        *sink.error_code.lock().unwrap_or_else(|e| e.into_inner()) == Some(ErrorCode::Unreachable);
    Ok(Sent {
        reply: reply?,
        unreachable,
    })
}

/// A finished reply, and whether it failed because nothing answered at the endpoint.
struct Sent {
    reply: Message,
    unreachable: bool,
}

/// When nothing answers at the endpoint, name the local servers that do.
async fn suggest_running_servers() {
    use confab_core::llm::discovery::{local_ports, probe_local_servers};
    let found = probe_local_servers(
        "127.0.0.1",
        &local_ports(),
        std::time::Duration::from_millis(800),
    )
    .await;
    for server in found {
        eprintln!(
            "confab-cli: a server is running at {} ({}) — try --endpoint {}",
            server.base_url,
            if server.models.is_empty() {
                "no models listed".to_owned()
            } else {
                server.models.join(", ")
            },
            server.base_url
        );
    }
}

/// Ctrl+C, listened for from the moment it is created.
struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    #[cfg(unix)]
    fn new() -> Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            signal: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        self.signal.recv().await;
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A new conversation; the chat service names it after its first message.
async fn new_conversation(store: &Store, new: &NewChat) -> Result<ConversationId> {
    let project_id = match &new.project {
        Some(name) => Some(store.project_named_or_created(name).await?.id),
        None => None,
    };
    let conversation = store
        .create_conversation(NewConversation {
            title: String::new(),
            model: new.model.clone(),
            system_prompt: new.system.clone().unwrap_or_default(),
            params: {
                let mut params = serde_json::Map::new();
                if let Some(t) = new.temperature {
                    params.insert("temperature".into(), t.into());
                }
                if let Some(m) = &new.memory {
                    params.insert("memory".into(), m.clone().into());
                }
                serde_json::Value::Object(params)
            },
            project_id,
        })
        .await?;
    Ok(conversation.id)
}

/// One line from stdin, `None` at end of input; Ctrl+C at the prompt also leaves.
async fn read_line() -> Result<Option<String>> {
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line)),
            Err(e) => Err(e),
        }
    });
    tokio::select! {
        r = read => match r? {
            Ok(line) => Ok(line),
            Err(e) => bail!("cannot read the terminal: {e}"),
        },
        _ = tokio::signal::ctrl_c() => {
            eprintln!();
            // The blocking read cannot be cancelled; leave at once.
            std::process::exit(0)
        }
    }
}
