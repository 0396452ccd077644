//! The chat service: the one path every front end uses to hold a conversation.
//!
//! The user's message is saved before any network call; the reply is created as `streaming`,
//! saved as it grows (at most every [`SAVE_INTERVAL`]) and finished as `complete`, `interrupted`
//! (stopped, connection lost, no `[DONE]`) or `error`. Deltas go to an [`EventSink`]: the CLI
//! prints them, the desktop app forwards them to a Tauri `Channel`. Several conversations may
//! stream at once; one conversation streams one reply at a time.
//!
//! Besides a new reply, a turn can [regenerate](ChatService::regenerate) the last reply (the
//! earlier one is kept as a hidden version, see [`ChatService::select_version`]),
//! [continue](ChatService::continue_reply) a reply that was cut short, in the same message, or
//! [edit and resend](ChatService::edit_and_resend) the last question.

mod events;
mod prefill;
pub mod title;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use events::{ChatEvent, EventSink, ServiceUpdate};
use prefill::EchoFilter;
pub use title::TITLE_INSTRUCTIONS;

use crate::error::{Coded, ErrorCode};
use crate::llm::{FinishReason, LlmClient, LlmError, StreamEvent};
use crate::memory::{self, summarize, BuiltContext, MemoryCache, MemoryError};
use crate::store::{
    Conversation, ConversationId, Finish, Message, MessageId, MessageStatus, NewMessage, Store,
    StoreError, Summary, TitleSource,
};

/// How often a growing reply is written to the database.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Memory(MemoryError),
    #[error("a reply is already streaming in this chat — stop it first, or wait for it to finish")]
    Busy { conversation_id: ConversationId },
}

impl From<MemoryError> for ChatError {
    fn from(err: MemoryError) -> Self {
        match err {
            MemoryError::Store(e) => Self::Store(e),
            other => Self::Memory(other),
        }
    }
}

impl Coded for ChatError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Store(e) => e.code(),
            Self::Memory(e) => e.code(),
            Self::Busy { .. } => ErrorCode::Busy,
        }
    }
}

/// Holds the conversations' in-flight replies; share it behind an `Arc`.
pub struct ChatService {
    store: Store,
    client: RwLock<LlmClient>,
    active: Mutex<HashMap<ConversationId, CancellationToken>>,
    memory: MemoryCache,
    /// Conversations whose summary is being folded right now.
    folding: Mutex<std::collections::HashSet<ConversationId>>,
    /// Background work (summary folds), so a front end can let it finish before exiting.
    tasks: TaskTracker,
    /// Cancels background work at shutdown.
    shutdown: CancellationToken,
    /// Title requests made in this process, per conversation (a failing server is asked twice at
    /// most), and whether one is running.
    titling: Mutex<HashMap<ConversationId, TitleAttempts>>,
    updates: tokio::sync::broadcast::Sender<ServiceUpdate>,
}

#[derive(Debug, Default, Clone, Copy)]
struct TitleAttempts {
    made: u8,
    running: bool,
}

/// How many times one process asks for a chat's title before leaving the first question's.
const TITLE_ATTEMPTS: u8 = 2;

/// Why a chat could not be named by the model.
#[derive(Debug, thiserror::Error)]
pub enum TitleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("the model's answer held no usable title")]
    Empty,
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
            memory: MemoryCache::new(),
            folding: Mutex::new(Default::default()),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            titling: Mutex::new(HashMap::new()),
            updates: tokio::sync::broadcast::channel(64).0,
        }
    }

    /// Changes the service makes on its own (a model-written title), for a front end to show.
    /// A receiver that falls far behind misses the oldest ones (`Lagged`): reload the list then.
    pub fn updates(&self) -> tokio::sync::broadcast::Receiver<ServiceUpdate> {
        self.updates.subscribe()
    }

    /// Asks the model for a title for a chat still named after its first question, and gives it
    /// that title unless the user renames it first. `Ok(None)` when there is nothing to do: the
    /// chat is named already, it has no complete first answer yet, or model titles are off in the
    /// settings.
    pub async fn name_by_model(
        &self,
        conversation_id: ConversationId,
    ) -> Result<Option<Conversation>, TitleError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        if conversation.title_source != TitleSource::FirstMessage {
            return Ok(None);
        }
        let settings = crate::config::AppSettings::load(&self.store).await;
        if !settings.model_titles {
            return Ok(None);
        }
        let first = self.store.first_messages(conversation_id, 8).await?;
        let model = conversation.model.clone().or(settings.model);
        let Some(request) = title::request(model, &first) else {
            return Ok(None);
        };
        let completion = self.client().complete(&request, &self.shutdown).await?;
        let title = title::tidy(&completion.content).ok_or(TitleError::Empty)?;
        let renamed = self
            .store
            .set_automatic_title(conversation_id, &title, TitleSource::Model)
            .await?;
        if let Some(conversation) = &renamed {
            // Nobody listening is fine.
            let _ = self.updates.send(ServiceUpdate::Retitled {
                conversation: Box::new(conversation.clone()),
            });
        }
        Ok(renamed)
    }

    /// Names the chat by the model in the background, after a complete reply, when it still
    /// carries its first question's title (checked in the task). Never delays a reply.
    pub fn name_in_background(self: &Arc<Self>, conversation_id: ConversationId) {
        {
            let mut titling = self.titling.lock().unwrap_or_else(|e| e.into_inner());
            let attempts = titling.entry(conversation_id).or_default();
            if attempts.running || attempts.made >= TITLE_ATTEMPTS {
                return;
            }
            attempts.running = true;
        }
        let service = self.clone();
        self.tasks.spawn(async move {
            let result = service.name_by_model(conversation_id).await;
            {
                let mut titling = service.titling.lock().unwrap_or_else(|e| e.into_inner());
                let attempts = titling.entry(conversation_id).or_default();
                attempts.running = false;
                match &result {
                    // Named, or nothing to name: no need to ask again in this process.
                    Ok(_) => attempts.made = TITLE_ATTEMPTS,
                    Err(_) => attempts.made += 1,
                }
            }
            match result {
                Ok(Some(c)) => {
                    tracing::info!(conversation = %conversation_id, title = %c.title, "the model named the chat")
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(conversation = %conversation_id, %err, "the model could not name the chat")
                }
            }
        });
    }

    /// What the memory layer remembers about servers in this process.
    pub fn memory(&self) -> &MemoryCache {
        &self.memory
    }

    /// The request the next reply in `conversation_id` would send, and the report of what it
    /// carries and why: what the context inspectors show.
    pub async fn context(
        &self,
        conversation_id: ConversationId,
    ) -> Result<BuiltContext, ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let client = self.client();
        Ok(memory::build(&self.store, Some(&client), &self.memory, &conversation).await?)
    }

    /// Folds the conversation's older turns into its summary now, if it needs it. Used by the
    /// background fold after each reply, and by front ends that want it done at once.
    pub async fn fold_summary(
        &self,
        conversation_id: ConversationId,
    ) -> Result<Option<Summary>, summarize::FoldError> {
        if !self
            .folding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(conversation_id)
        {
            return Ok(None);
        }
        let client = self.client();
        let result = summarize::fold(
            &self.store,
            &client,
            &self.memory,
            conversation_id,
            &self.shutdown,
        )
        .await;
        self.folding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conversation_id);
        result
    }

    /// Starts a fold in the background (it never delays a send). A failure is logged; the
    /// requests fall back to the plain window and the fold is tried again after the next reply.
    pub fn fold_in_background(self: &Arc<Self>, conversation_id: ConversationId) {
        let service = self.clone();
        self.tasks.spawn(async move {
            match service.fold_summary(conversation_id).await {
                Ok(Some(summary)) => {
                    tracing::info!(
                        conversation = %conversation_id,
                        through = %summary.covers_through_message_id,
                        "folded older turns into the summary"
                    );
                    // Nobody listening is fine.
                    let _ = service
                        .updates
                        .send(ServiceUpdate::SummaryFolded { conversation_id });
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(conversation = %conversation_id, %err, "summary fold failed")
                }
            }
        });
    }

    /// Waits for background work (summary folds) to finish.
    pub async fn background_idle(&self) {
        self.tasks.close();
        self.tasks.wait().await;
        self.tasks.reopen();
    }

    /// Cancels background work: for a front end about to exit.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
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

    /// Sets the conversation's last reply aside as a hidden version and streams a new version
    /// of it. Returns the new version as saved.
    pub async fn regenerate(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        self.start_regenerate(conversation_id)
            .await?
            .stream(sink)
            .await
    }

    /// Streams more text into the conversation's last reply, one that was cut short or failed
    /// part-way: the request carries the partial reply as the final assistant message, which
    /// servers (llama.cpp, Ollama, LM Studio) take as the start of the answer to go on from.
    /// Returns the reply as saved.
    pub async fn continue_reply(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        self.start_continue(conversation_id)
            .await?
            .stream(sink)
            .await
    }

    /// Replaces the text of the conversation's last user message and streams a new reply to it.
    /// The replies to the earlier text are kept as hidden versions of the new one.
    pub async fn edit_and_resend(
        self: &Arc<Self>,
        message_id: MessageId,
        text: &str,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        self.start_edit(message_id, text).await?.stream(sink).await
    }

    /// The first half of [`ChatService::send`]: claims the conversation and saves the user's
    /// message (when there is one), so a front end can report bad input at once and stream the
    /// reply in the background with [`Turn::stream`]. A new chat is named after its first message.
    pub async fn start(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        text: Option<&str>,
    ) -> Result<Turn, ChatError> {
        let mut turn = self.claim(conversation_id, Pending::Reply)?;
        if let Some(text) = text {
            let message = self
                .store
                .append_message(conversation_id, NewMessage::user(text))
                .await?;
            let conversation = self.store.get_conversation(conversation_id).await?;
            if conversation.title_source == TitleSource::Default {
                let title = title_from(text);
                if !title.is_empty() {
                    self.store
                        .set_automatic_title(conversation_id, &title, TitleSource::FirstMessage)
                        .await?;
                }
            }
            turn.user_message = Some(message);
        }
        Ok(turn)
    }

    /// The first half of [`ChatService::regenerate`]: claims the conversation and checks that its
    /// last message is a reply; [`Turn::stream`] sets it aside and streams the new version.
    pub async fn start_regenerate(
        self: &Arc<Self>,
        conversation_id: ConversationId,
    ) -> Result<Turn, ChatError> {
        let turn = self.claim(conversation_id, Pending::Regenerate)?;
        self.store.check_regenerable(conversation_id).await?;
        Ok(turn)
    }

    /// The first half of [`ChatService::continue_reply`]: claims the conversation and checks that
    /// its last reply can be continued.
    pub async fn start_continue(
        self: &Arc<Self>,
        conversation_id: ConversationId,
    ) -> Result<Turn, ChatError> {
        let turn = self.claim(conversation_id, Pending::Continue)?;
        self.store.check_continuable(conversation_id).await?;
        Ok(turn)
    }

    /// The first half of [`ChatService::edit_and_resend`]: claims the conversation and checks the
    /// message and its new text; [`Turn::stream`] saves the edit, sets the replies to the earlier
    /// text aside and streams the new reply, the saving in one transaction.
    pub async fn start_edit(
        self: &Arc<Self>,
        message_id: MessageId,
        text: &str,
    ) -> Result<Turn, ChatError> {
        let conversation_id = self.store.get_message(message_id).await?.conversation_id;
        let turn = self.claim(
            conversation_id,
            Pending::Edit {
                message_id,
                text: text.to_owned(),
            },
        )?;
        self.store.check_editable(message_id, text).await?;
        Ok(turn)
    }

    /// Shows version `message_id` of the conversation's last reply in place of the one shown, and
    /// returns it. Refused for an earlier reply, and while the conversation streams.
    pub async fn select_version(&self, message_id: MessageId) -> Result<Message, ChatError> {
        let conversation_id = self.store.get_message(message_id).await?.conversation_id;
        // Held while switching, so that no reply starts meanwhile.
        let _claim = Claim::new(self, conversation_id)?;
        Ok(self.store.select_version(message_id).await?)
    }

    /// Claims the conversation for a turn: one reply streams per conversation.
    fn claim(
        self: &Arc<Self>,
        conversation_id: ConversationId,
        pending: Pending,
    ) -> Result<Turn, ChatError> {
        let cancel = self.claim_token(conversation_id)?;
        Ok(Turn {
            service: self.clone(),
            conversation_id,
            pending: Some(pending),
            user_message: None,
            cancel,
        })
    }

    fn claim_token(&self, conversation_id: ConversationId) -> Result<CancellationToken, ChatError> {
        let mut active = self.active_map();
        if active.contains_key(&conversation_id) {
            return Err(ChatError::Busy { conversation_id });
        }
        let token = CancellationToken::new();
        active.insert(conversation_id, token.clone());
        Ok(token)
    }

    fn active_map(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, CancellationToken>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn reply(
        &self,
        conversation_id: ConversationId,
        pending: Pending,
        mut user_message: Option<Message>,
        cancel: CancellationToken,
        sink: &dyn EventSink,
    ) -> Result<(Message, bool), ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let client = self.client();
        let model = conversation.model.clone();
        let mut hidden = Vec::new();
        let mut continuing = false;
        let mut earlier_completion_tokens = None;
        let build = || memory::build(&self.store, Some(&client), &self.memory, &conversation);
        // A new reply's context is built before the reply exists: it is not part of its own
        // prompt. The others are built once the earlier version is set aside; a new version is
        // still empty and so not sent, and a continued reply is sent last, as the text to go on
        // from.
        let (reply, built) = match pending {
            Pending::Reply => {
                let built = build().await;
                if let Err(MemoryError::Store(err)) = built {
                    return Err(err.into());
                }
                let reply = self
                    .store
                    .append_message(conversation_id, NewMessage::streaming_reply(model))
                    .await?;
                (reply, built)
            }
            Pending::Regenerate => {
                let done = self.store.regenerate_reply(conversation_id, model).await?;
                hidden.push(done.hidden);
                (done.reply, build().await)
            }
            Pending::Edit { message_id, text } => {
                let done = self.store.edit_and_resend(message_id, &text, model).await?;
                user_message = Some(done.message);
                hidden = done.hidden;
                (done.reply, build().await)
            }
            Pending::Continue => {
                let reply = self.store.resume_reply(conversation_id).await?;
                continuing = true;
                earlier_completion_tokens = reply.completion_tokens;
                (reply, build().await)
            }
        };
        sink.send(ChatEvent::Started {
            conversation: Box::new(conversation),
            user_message,
            reply: reply.clone(),
            hidden,
        });

        let mut state = ReplyState {
            content: reply.content.clone(),
            reasoning: reply.reasoning.clone(),
            echo: continuing.then(|| EchoFilter::new(&reply.content)),
            ..ReplyState::default()
        };
        let mut fold = false;
        let outcome = match built {
            Err(err) => Err(Failure::Memory(err)),
            Ok(built) => {
                let result = self
                    .exchange(&client, built, &cancel, &reply, &mut state, sink)
                    .await;
                if let Ok(report) = &result {
                    fold = report.needs_fold();
                }
                result.map(|_| ()).map_err(Failure::Llm)
            }
        };
        let (status, error) = match &outcome {
            Ok(()) => (MessageStatus::Complete, None),
            Err(Failure::Llm(
                err @ (LlmError::Cancelled
                | LlmError::Interrupted { .. }
                | LlmError::IdleTimeout { .. }),
            )) => (MessageStatus::Interrupted, Some(err.to_string())),
            Err(err) => (MessageStatus::Error, Some(err.to_string())),
        };
        if state.reasoning != reply.reasoning {
            // Reasoning is kept as far as it is storable; the reply itself is what must land.
            if let Err(err) = self.store.save_reasoning(reply.id, &state.reasoning).await {
                tracing::warn!(%err, "could not save the reply's reasoning");
            }
        }
        let finished = self
            .store
            .finish_message(
                reply.id,
                Finish {
                    status,
                    content: state.content,
                    error,
                    prompt_tokens: state.prompt_tokens,
                    completion_tokens: match earlier_completion_tokens {
                        // A continued reply counts what it had, when both parts are known.
                        Some(earlier) => state.completion_tokens.map(|n| n + earlier),
                        None => state.completion_tokens,
                    },
                    model: state.model,
                    // Only a finished reply has a reason to keep.
                    finish_reason: state
                        .finish_reason
                        .as_ref()
                        .filter(|_| status == MessageStatus::Complete)
                        .map(|r| r.as_str().to_owned()),
                },
            )
            .await?;
        sink.send(match outcome {
            Ok(()) => ChatEvent::Done {
                message: finished.clone(),
                finish_reason: state.finish_reason,
            },
            Err(Failure::Llm(LlmError::Cancelled)) => ChatEvent::Cancelled {
                message: finished.clone(),
            },
            Err(err) => ChatEvent::Error {
                message: finished.clone(),
                code: err.code(),
                error: err.to_string(),
            },
        });
        Ok((finished, fold))
    }

    /// Sends the built request and pumps its reply. When the server answers that the context is
    /// exceeded, learns its real size, rebuilds and tries once more. Returns the report of the
    /// request that was answered.
    async fn exchange(
        &self,
        client: &LlmClient,
        mut built: BuiltContext,
        cancel: &CancellationToken,
        reply: &Message,
        state: &mut ReplyState,
        sink: &dyn EventSink,
    ) -> Result<memory::ContextReport, LlmError> {
        let mut retried = false;
        let mut stream = loop {
            match client.stream(&built.request, cancel).await {
                Ok(stream) => break stream,
                Err(LlmError::ContextOverflow {
                    n_ctx,
                    n_prompt_tokens,
                    message,
                }) if !retried => {
                    retried = true;
                    tracing::info!(
                        ?n_ctx,
                        ?n_prompt_tokens,
                        "context exceeded: learning and rebuilding"
                    );
                    let rebuilt = async {
                        memory::learn_overflow(&self.store, &built.report, n_ctx, n_prompt_tokens)
                            .await?;
                        let conversation =
                            self.store.get_conversation(reply.conversation_id).await?;
                        // No text has arrived yet: the reply stands as it did when the first
                        // request was built.
                        memory::build(&self.store, Some(client), &self.memory, &conversation).await
                    }
                    .await;
                    match rebuilt {
                        Ok(rebuilt) => built = rebuilt,
                        Err(err) => {
                            tracing::warn!(%err, "could not rebuild after an overflow");
                            return Err(LlmError::ContextOverflow {
                                n_ctx,
                                n_prompt_tokens,
                                message,
                            });
                        }
                    }
                }
                Err(err) => return Err(err),
            }
        };
        if let Some(start) = built.new_window_start {
            if let Err(err) = self
                .store
                .set_window_start(reply.conversation_id, start)
                .await
            {
                tracing::warn!(%err, "could not store the window's new start");
            }
        }
        self.pump(&mut stream, reply, state, sink).await?;
        if let Some(actual) = state.prompt_tokens {
            if let Err(err) = memory::calibrate(&self.store, &built.report, actual as u64).await {
                tracing::warn!(%err, "could not record the token calibration");
            }
        }
        Ok(built.report)
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
        // A continued reply starts with the text it had, which is saved already.
        let mut saved_len = state.content.len();
        let mut saved_reasoning = state.reasoning.len();
        while let Some(event) = stream.next().await {
            match event? {
                StreamEvent::Content(text) => {
                    let text = match state.echo.as_mut() {
                        Some(echo) => echo.feed(&text),
                        None => text,
                    };
                    if !text.is_empty() {
                        state.content.push_str(&text);
                        sink.send(ChatEvent::Delta {
                            message_id: reply.id,
                            text,
                        });
                    }
                }
                StreamEvent::Reasoning(text) => {
                    state.reasoning.push_str(&text);
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
            let grew = state.content.len() != saved_len;
            let thought = state.reasoning.len() != saved_reasoning;
            if (grew || thought) && last_save.elapsed() >= SAVE_INTERVAL {
                // A failed intermediate save is not fatal: the final save decides.
                if grew {
                    if let Err(err) = self
                        .store
                        .update_streaming_content(reply.id, &state.content)
                        .await
                    {
                        tracing::warn!(%err, "could not save the growing reply");
                    }
                }
                if thought {
                    if let Err(err) = self.store.save_reasoning(reply.id, &state.reasoning).await {
                        tracing::warn!(%err, "could not save the reply's reasoning");
                    }
                }
                saved_len = state.content.len();
                saved_reasoning = state.reasoning.len();
                last_save = Instant::now();
            }
        }
        Ok(())
    }
}

/// Why a reply did not complete.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Memory(MemoryError),
    #[error(transparent)]
    Llm(LlmError),
}

impl Coded for Failure {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Memory(e) => e.code(),
            Self::Llm(e) => e.code(),
        }
    }
}

#[derive(Default)]
struct ReplyState {
    content: String,
    /// The reasoning text so far ("thinking"), saved beside the reply.
    reasoning: String,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    model: Option<String>,
    finish_reason: Option<FinishReason>,
    /// When continuing a reply: takes out the server's echo of the text so far.
    echo: Option<EchoFilter>,
}

/// What a turn writes when its reply starts streaming.
#[derive(Debug)]
enum Pending {
    /// A new reply after the conversation as it stands.
    Reply,
    /// A new version of the last reply, which is set aside.
    Regenerate,
    /// More text in the last reply.
    Continue,
    /// The last user message's new text, then a new reply to it.
    Edit { message_id: MessageId, text: String },
}

/// A claimed conversation whose reply is about to stream. Dropping it without streaming releases
/// the claim (the user's message stays saved; a regenerate, continue or edit has changed nothing).
pub struct Turn {
    service: Arc<ChatService>,
    conversation_id: ConversationId,
    pending: Option<Pending>,
    user_message: Option<Message>,
    cancel: CancellationToken,
}

/// A conversation claimed for a moment (e.g. while a version is switched).
struct Claim<'a> {
    service: &'a ChatService,
    conversation_id: ConversationId,
}

impl<'a> Claim<'a> {
    fn new(service: &'a ChatService, conversation_id: ConversationId) -> Result<Self, ChatError> {
        service.claim_token(conversation_id)?;
        Ok(Self {
            service,
            conversation_id,
        })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.service.active_map().remove(&self.conversation_id);
    }
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
        let pending = self.pending.take().unwrap_or(Pending::Reply);
        let (message, fold) = self
            .service
            .reply(
                self.conversation_id,
                pending,
                user_message,
                self.cancel.clone(),
                sink,
            )
            .await?;
        if fold {
            self.service.fold_in_background(self.conversation_id);
        }
        if message.status == MessageStatus::Complete {
            self.service.name_in_background(self.conversation_id);
        }
        Ok(message)
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
