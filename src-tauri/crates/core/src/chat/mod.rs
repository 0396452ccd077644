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
//!
//! This module holds the service: claims (one reply per conversation), the entry points and the
//! background work. A turn's writing and streaming is in `turn.rs` ([`Turn`]), every title Confab
//! writes itself in [`title`], the events in `events.rs`, a reply's statistics in `stats.rs`.

mod attach;
mod events;
mod prefill;
mod search;
mod stats;
pub mod title;
mod tool_round;
mod turn;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use events::{ChatEvent, EventSink, ServiceUpdate};
use title::TitleAttempts;
pub use title::{title_from, TitleError, AUTO_TITLE_CHARS, TITLE_INSTRUCTIONS};
pub use tool_round::{Consent, ConsentRequest, MAX_TOOL_ROUNDS};
use turn::Pending;
pub use turn::{Turn, SAVE_INTERVAL};

use crate::error::{Coded, ErrorCode};
use crate::llm::LlmClient;
use crate::memory::{self, summarize, BuiltContext, MemoryError, ServerReports};
use crate::recall::Recall;
use crate::settings::AppSettings;
use crate::store::{ConversationId, Message, MessageId, NewMessage, Store, StoreError, Summary};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Memory(MemoryError),
    #[error(transparent)]
    Attach(#[from] crate::attachments::AttachError),
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
            Self::Attach(e) => e.code(),
            Self::Busy { .. } => ErrorCode::Busy,
        }
    }
}

/// Holds the conversations' in-flight replies; share it behind an `Arc`.
pub struct ChatService {
    store: Store,
    client: RwLock<LlmClient>,
    active: Mutex<HashMap<ConversationId, CancellationToken>>,
    servers: ServerReports,
    /// Recall's embedding model, vectors in memory and indexer progress.
    recall: Arc<Recall>,
    /// Conversations whose summary is being folded right now.
    folding: Mutex<std::collections::HashSet<ConversationId>>,
    /// Background work (summary folds), so a front end can let it finish before exiting.
    tasks: TaskTracker,
    /// Cancels background work at shutdown.
    shutdown: CancellationToken,
    /// Stops the recall indexer.
    indexing: CancellationToken,
    /// The indexer and its progress forwarder: apart from `tasks`, since they run until stopped.
    indexer: TaskTracker,
    /// Title requests made in this process, per conversation (a failing server is asked twice at
    /// most), and whether one is running.
    titling: Mutex<HashMap<ConversationId, TitleAttempts>>,
    updates: tokio::sync::broadcast::Sender<ServiceUpdate>,
    /// The hub that runs tools (none: no chat offers tools).
    tools: RwLock<Option<Arc<crate::tools::ToolHub>>>,
    /// Calls waiting for the user's answer, by their row id.
    consents: Mutex<HashMap<i64, tokio::sync::oneshot::Sender<Consent>>>,
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
            servers: ServerReports::new(),
            recall: Recall::new(),
            folding: Mutex::new(Default::default()),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            indexing: CancellationToken::new(),
            indexer: TaskTracker::new(),
            titling: Mutex::new(HashMap::new()),
            updates: tokio::sync::broadcast::channel(64).0,
            tools: RwLock::new(None),
            consents: Mutex::new(HashMap::new()),
        }
    }

    /// Changes the service makes on its own (a model-written title), for a front end to show.
    /// A receiver that falls far behind misses the oldest ones (`Lagged`): reload the list then.
    pub fn updates(&self) -> tokio::sync::broadcast::Receiver<ServiceUpdate> {
        self.updates.subscribe()
    }

    /// Recall's state: its embedding model, the indexer's progress ([`Recall::watch`]).
    pub fn recall(&self) -> &Arc<Recall> {
        &self.recall
    }

    /// Starts the recall indexer in the background (see [`crate::recall::run_indexer`]): it
    /// embeds messages while no reply streams, until [`ChatService::stop_indexing`] or
    /// [`ChatService::shut_down`].
    pub fn start_indexing(self: &Arc<Self>) {
        let service = Arc::downgrade(self);
        let busy = service.clone();
        let indexer = crate::recall::run_indexer(
            self.store.clone(),
            self.recall.clone(),
            move || match service.upgrade() {
                Some(s) => s.client(),
                None => LlmClient::new(
                    crate::llm::Endpoint::new("http://127.0.0.1:9", None).expect("a valid URL"),
                    Default::default(),
                    Default::default(),
                ),
            },
            move || busy.upgrade().is_some_and(|s| !s.streaming().is_empty()),
            self.indexing.clone(),
        );
        self.indexer.spawn(indexer);
        // Its progress, for front ends listening to the service's updates.
        let mut watch = self.recall.watch();
        let updates = self.updates.clone();
        let shutdown = self.indexing.clone();
        self.indexer.spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    changed = watch.changed() => if changed.is_err() { return },
                }
                let status = watch.borrow_and_update().clone();
                // Nobody listening is fine.
                let _ = updates.send(ServiceUpdate::Recall { status });
            }
        });
    }

    /// What servers reported about themselves in this process (context length, tokenizer).
    pub fn server_reports(&self) -> &ServerReports {
        &self.servers
    }

    /// The request the next reply in `conversation_id` would send, and the report of what it
    /// carries and why: what the context inspectors show.
    pub async fn context(
        &self,
        conversation_id: ConversationId,
    ) -> Result<BuiltContext, ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let client = self.client();
        let defaults = AppSettings::load(&self.store).await;
        Ok(memory::build(
            &self.store,
            Some(&client),
            &self.servers,
            &self.recall,
            &defaults,
            &conversation,
        )
        .await?)
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
        let defaults = AppSettings::load(&self.store).await;
        let result = summarize::fold(
            &self.store,
            &client,
            &self.servers,
            &self.recall,
            &defaults,
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

    /// Stops everything the moment a query meets damage in the database (see
    /// [`Store::damaged`]): the replies streaming and the background work end, and front ends
    /// hear of it ([`ServiceUpdate::DatabaseDamaged`]) even when none of their own requests met
    /// it.
    pub fn stop_when_damaged(self: &Arc<Self>) {
        let service = Arc::downgrade(self);
        let store = self.store.clone();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let damage = tokio::select! {
                damage = store.damaged() => damage,
                _ = shutdown.cancelled() => return,
            };
            let Some(service) = service.upgrade() else {
                return;
            };
            service.shut_down();
            for id in service.streaming() {
                service.stop(id);
            }
            // Nobody listening is fine.
            let _ = service.updates.send(ServiceUpdate::DatabaseDamaged {
                code: damage.code(),
                message: damage.to_string(),
            });
        });
    }

    /// Cancels background work: for a front end about to exit.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
        self.indexing.cancel();
    }

    /// Stops the recall indexer and waits for it to end (what it saved stays; the next start
    /// goes on from there).
    pub async fn stop_indexing(&self) {
        self.indexing.cancel();
        self.indexer.close();
        self.indexer.wait().await;
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
        self.recall.settings_changed();
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
            self.name_after_first_message(conversation_id, text).await?;
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
