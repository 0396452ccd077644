//! `confab-cli chat`: one message (`-m`) or an interactive session.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::llm::LlmClient;
use confab_core::store::{
    ConversationId, ConversationSettings, Message, MessageStatus, NewConversation, Store,
};

/// How much of the first message becomes a new conversation's title.
const TITLE_CHARS: usize = 60;

/// Prints the reply's text to stdout as it arrives; thinking goes to stderr when interactive.
struct TerminalSink {
    show_reasoning: bool,
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
            _ => {}
        }
    }
}

/// How to set up a conversation the session starts.
pub struct NewChat {
    pub model: Option<String>,
    pub system: Option<String>,
    pub temperature: Option<f32>,
}

pub async fn run(
    store: Store,
    client: LlmClient,
    new: NewChat,
    conversation: Option<i64>,
    message: Option<String>,
) -> Result<ExitCode> {
    let model = new.model.clone();
    let service = Arc::new(ChatService::new(store.clone(), client));
    let mut conversation_id = match conversation {
        Some(id) => {
            let id = ConversationId(id);
            store.get_conversation(id).await?;
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
            None => new_conversation(&store, &text, &new).await?,
        };
        let reply = send(&service, id, &text, false).await?;
        println!();
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
                ExitCode::from(2)
            }
        });
    }

    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Chatting with {} — Ctrl+C stops a reply, Ctrl+D or /exit leaves.",
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
        let id = match conversation_id {
            Some(id) => id,
            None => {
                let id = new_conversation(&store, text, &new).await?;
                if interactive {
                    eprintln!("(conversation {id})");
                }
                conversation_id = Some(id);
                id
            }
        };
        let reply = send(&service, id, text, interactive).await?;
        println!();
        if reply.status != MessageStatus::Complete {
            eprintln!(
                "[{}] {}",
                reply.status.as_str(),
                reply.error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends one message; Ctrl+C while the reply streams stops the reply, not the program.
async fn send(
    service: &Arc<ChatService>,
    id: ConversationId,
    text: &str,
    show_reasoning: bool,
) -> Result<Message> {
    let sink = TerminalSink { show_reasoning };
    let stopper = {
        let service = service.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                service.stop(id);
            }
        })
    };
    let reply = service.send(id, text, &sink).await;
    stopper.abort();
    Ok(reply?)
}

async fn new_conversation(
    store: &Store,
    first_message: &str,
    new: &NewChat,
) -> Result<ConversationId> {
    let title: String = first_message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title = if title.chars().count() > TITLE_CHARS {
        format!(
            "{}…",
            title.chars().take(TITLE_CHARS - 1).collect::<String>()
        )
    } else {
        title
    };
    let conversation = store
        .create_conversation(NewConversation {
            title,
            model: new.model.clone(),
            system_prompt: new.system.clone().unwrap_or_default(),
            params: match new.temperature {
                Some(t) => serde_json::json!({ "temperature": t }),
                None => serde_json::json!({}),
            },
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
