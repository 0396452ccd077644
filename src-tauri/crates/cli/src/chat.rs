//! `confab-cli chat`: one message (`-m`) or an interactive session.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use confab_core::attachments::{self, Prepared, Upload};
use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::error::ErrorCode;
use confab_core::llm::LlmClient;
use confab_core::store::{
    ConversationId, ConversationSettings, Message, MessageStatus, NewConversation, Store,
};

/// Prints the reply's text to stdout as it arrives; thinking goes to stderr when interactive.
struct TerminalSink {
    show_reasoning: bool,
    /// The code of the error the reply ended with, if any.
    error_code: std::sync::Mutex<Option<ErrorCode>>,
}

impl EventSink for TerminalSink {
    fn send(&self, event: ChatEvent) {
        match event {
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
) -> Result<ExitCode> {
    // Read and checked before anything is created, so a file that cannot go leaves no trace.
    let files = attach
        .paths
        .iter()
        .map(|path| Upload::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = Some(attachments::prepare_all(files)?).filter(|f| !f.is_empty());
    let model = new.model.clone();
    let service = Arc::new(ChatService::new(store.clone(), client));
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
            Some(id)
        }
        None => None,
    };

    if let Some(text) = message {
        let id = match conversation_id {
            Some(id) => id,
            None => new_conversation(&store, &new).await?,
        };
        if attach.vision && conversation_id.is_none() {
            service.set_model_vision(id, Some(true)).await?;
        }
        let action = match files.take() {
            Some(files) => Action::SendWithFiles(&text, files),
            None => Action::Send(&text),
        };
        let sent = turn(&service, id, action, false).await;
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
        let Sent { reply, unreachable } = match turn(&service, id, action, interactive).await {
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
) -> Result<Sent> {
    let sink = TerminalSink {
        show_reasoning,
        error_code: Default::default(),
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
