//! The chat service: the one path every front end uses to hold a conversation.
//!
//! The user's message is saved before any network call; the reply is created as `streaming`,
//! saved as it grows (at most every [`SAVE_INTERVAL`]) and finished as `complete`, `interrupted`
//! (stopped, connection lost, no `[DONE]`) or `error`. Deltas go to an [`EventSink`]: the CLI
//! prints them, the desktop app forwards them to a Tauri `Channel`. Several conversations may
//! stream at once; one conversation streams one reply at a time.

mod events;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use events::{ChatEvent, EventSink};

use crate::llm::{FinishReason, LlmClient, LlmError, StreamEvent};
use crate::memory;
use crate::store::{
    ConversationId, Finish, Message, MessageStatus, NewMessage, Store, StoreError, DEFAULT_TITLE,
};

/// How often a growing reply is written to the database.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a reply is already streaming in this chat — stop it first, or wait for it to finish")]
    Busy { conversation_id: ConversationId },
}

impl ChatError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Busy { .. } => "busy",
        }
    }
}

/// Holds the conversations' in-flight replies; share it behind an `Arc`.
pub struct ChatService {
    store: Store,
    client: RwLock<LlmClient>,
    active: Mutex<HashMap<ConversationId, CancellationToken>>,
}

impl std::fmt::Debug for ChatService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatService").finish_non_exhaustive()
    }
}

impl ChatService {
    pub fn new(store: Store, client: LlmClient) -> Self {
        Self {
            store,
            client: RwLock::new(client),
            active: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The client new replies use.
    pub fn client(&self) -> LlmClient {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Points new replies at another server; replies already streaming keep theirs.
    pub fn set_client(&self, client: LlmClient) {
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = client;
    }

    /// Whether a reply is streaming in `conversation_id` right now.
    pub fn is_streaming(&self, conversation_id: ConversationId) -> bool {
        self.active_map().contains_key(&conversation_id)
    }

    /// The conversations with a reply streaming now.
    pub fn streaming(&self) -> Vec<ConversationId> {
        self.active_map().keys().copied().collect()
    }

    /// Stops the reply streaming in `conversation_id`, closing its HTTP request. Returns whether
    /// there was one.
    pub fn stop(&self, conversation_id: ConversationId) -> bool {
        match self.active_map().get(&conversation_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Saves the user's `text`, then streams the model's reply into the conversation. Returns the
    /// reply as saved: its status says how it ended and `error` why, when it did not complete.
    pub async fn send(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        text: &str,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        self.start(conversation_id, Some(text))
            .await?
            .stream(sink)
            .await
    }

    /// Streams a reply to the conversation as it stands (e.g. after an interrupted or failed one).
    pub async fn respond(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        self.start(conversation_id, None).await?.stream(sink).await
    }

    /// The first half of [`ChatService::send`]: claims the conversation and saves the user's
    /// message (when there is one), so a front end can report bad input at once and stream the
    /// reply in the background with [`Turn::stream`]. A new chat is named after its first message.
    pub async fn start(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        text: Option<&str>,
    ) -> Result<Turn, ChatError> {
        let token = {
            let mut active = self.active_map();
            if active.contains_key(&conversation_id) {
                return Err(ChatError::Busy { conversation_id });
            }
            let token = CancellationToken::new();
            active.insert(conversation_id, token.clone());
            token
        };
        let mut turn = Turn {
            service: self.clone(),
            conversation_id,
            user_message: None,
            cancel: token,
        };
        if let Some(text) = text {
            let message = self
                .store
                .append_message(conversation_id, NewMessage::user(text))
                .await?;
            let conversation = self.store.get_conversation(conversation_id).await?;
            if conversation.title == DEFAULT_TITLE {
                let title = title_from(text);
                if !title.is_empty() {
                    self.store
                        .rename_conversation(conversation_id, &title)
                        .await?;
                }
            }
            turn.user_message = Some(message);
        }
        Ok(turn)
    }

    fn active_map(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, CancellationToken>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn reply(
        &self,
        conversation_id: ConversationId,
        user_message: Option<Message>,
        cancel: CancellationToken,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let request = memory::build_request(&self.store, &conversation).await?;
        let client = self.client();
        let reply = self
            .store
            .append_message(
                conversation_id,
                NewMessage::streaming_reply(conversation.model.clone()),
            )
            .await?;
        sink.send(ChatEvent::Started {
            conversation: Box::new(conversation),
            user_message,
            reply: reply.clone(),
        });

        let mut state = ReplyState::default();
        let outcome = match client.stream(&request, &cancel).await {
            Ok(mut stream) => self.pump(&mut stream, &reply, &mut state, sink).await,
            Err(err) => Err(err),
        };
        let (status, error) = match &outcome {
            Ok(()) => (MessageStatus::Complete, None),
            Err(
                err @ (LlmError::Cancelled
                | LlmError::Interrupted { .. }
                | LlmError::IdleTimeout { .. }),
            ) => (MessageStatus::Interrupted, Some(err.to_string())),
            Err(err) => (MessageStatus::Error, Some(err.to_string())),
        };
        let finished = self
            .store
            .finish_message(
                reply.id,
                Finish {
                    status,
                    content: state.content,
                    error,
                    prompt_tokens: state.prompt_tokens,
                    completion_tokens: state.completion_tokens,
                    model: state.model,
                },
            )
            .await?;
        sink.send(match outcome {
            Ok(()) => ChatEvent::Done {
                message: finished.clone(),
                finish_reason: state.finish_reason,
            },
            Err(LlmError::Cancelled) => ChatEvent::Cancelled {
                message: finished.clone(),
            },
            Err(err) => ChatEvent::Error {
                message: finished.clone(),
                code: err.code().to_owned(),
                error: err.to_string(),
            },
        });
        Ok(finished)
    }

    /// Moves a stream's events into the sink and the database until it ends.
    async fn pump(
        &self,
        stream: &mut crate::llm::ChatStream,
        reply: &Message,
        state: &mut ReplyState,
        sink: &dyn EventSink,
    ) -> Result<(), LlmError> {
        let mut last_save = Instant::now();
        let mut saved_len = 0;
        while let Some(event) = stream.next().await {
            match event? {
                StreamEvent::Content(text) => {
                    state.content.push_str(&text);
                    sink.send(ChatEvent::Delta {
                        message_id: reply.id,
                        text,
                    });
                }
                StreamEvent::Reasoning(text) => {
                    sink.send(ChatEvent::Reasoning {
                        message_id: reply.id,
                        text,
                    });
                }
                StreamEvent::Usage(usage) => {
                    state.prompt_tokens = usage.prompt_tokens.map(|n| n as i64);
                    state.completion_tokens = usage.completion_tokens.map(|n| n as i64);
                    sink.send(ChatEvent::Usage {
                        message_id: reply.id,
                        usage,
                    });
                }
                StreamEvent::Model(model) => state.model = Some(model),
                StreamEvent::Finish(reason) => state.finish_reason = Some(reason),
                StreamEvent::Role | StreamEvent::Timings(_) => {}
                StreamEvent::Done => return Ok(()),
            }
            if state.content.len() != saved_len && last_save.elapsed() >= SAVE_INTERVAL {
                // A failed intermediate save is not fatal: the final save decides.
                if let Err(err) = self
                    .store
                    .update_streaming_content(reply.id, &state.content)
                    .await
                {
                    tracing::warn!(%err, "could not save the growing reply");
                }
                saved_len = state.content.len();
                last_save = Instant::now();
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct ReplyState {
    content: String,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    model: Option<String>,
    finish_reason: Option<FinishReason>,
}

/// A claimed conversation whose reply is about to stream. Dropping it without streaming releases
/// the claim (the user's message stays saved).
pub struct Turn {
    service: Arc<ChatService>,
    conversation_id: ConversationId,
    user_message: Option<Message>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("conversation_id", &self.conversation_id)
            .finish_non_exhaustive()
    }
}

impl Turn {
    /// The user's message as saved, if this turn has one.
    pub fn user_message(&self) -> Option<&Message> {
        self.user_message.as_ref()
    }

    /// Streams the reply into the database and `sink`; returns it as saved.
    pub async fn stream(mut self, sink: &dyn EventSink) -> Result<Message, ChatError> {
        let user_message = self.user_message.take();
        self.service
            .reply(
                self.conversation_id,
                user_message,
                self.cancel.clone(),
                sink,
            )
            .await
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.service.active_map().remove(&self.conversation_id);
    }
}

/// A title from a chat's first message: its first line, tidied and shortened.
pub fn title_from(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let tidy = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if tidy.chars().count() > TITLE_CHARS {
        let cut: String = tidy.chars().take(TITLE_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        tidy
    }
}

/// How much of a first message becomes a new chat's title.
const TITLE_CHARS: usize = 60;

#[cfg(test)]
mod tests {
    use super::title_from;

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(title_from("\n  Plan a  trip\nto Oslo"), "Plan a trip");
        let long = "word ".repeat(30);
        let title = title_from(&long);
        assert_eq!(title.chars().count(), 60);
        assert!(title.ends_with('…'));
    }
}
