//! A turn: what one send, regenerate, continue or edit writes, and the reply it streams. A
//! [`Turn`] holds the conversation's claim from the moment the service accepts the request until
//! the reply is saved as finished; [`Turn::stream`] runs it: open the reply, send the request
//! (rebuilding it once when the server says the context is exceeded), pump the stream into the
//! database and the sink, finish the reply. The reply's statistics are measured on the way
//! (`stats.rs`) and saved with it, partial replies included.
//!
//! A save the disk refuses (full, or an I/O error) ends the reply at once: it is finished as an
//! `error` with the text saved before and a message that says to free space, so it can be
//! continued once there is room again.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::prefill::EchoFilter;
use super::stats::StatsMeter;
use super::{ChatError, ChatEvent, ChatService, EventSink, MAX_TOOL_ROUNDS};
use crate::error::{Coded, ErrorCode};
use crate::llm::{ChatStream, FinishReason, LlmClient, LlmError, StreamEvent, ToolCallAssembler};
use crate::memory::{self, BuiltContext, ContextReport, MemoryError};
use crate::settings::AppSettings;
use crate::store::{
    Conversation, ConversationId, Ending, Finish, Message, MessageId, MessageStatus, NewMessage,
    NewToolCall, ReplyStats, StoreError, ToolCallRecord,
};

/// How often a growing reply is written to the database.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(250);

/// What a turn writes when its reply starts streaming.
#[derive(Debug)]
pub(super) enum Pending {
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
    pub(super) service: Arc<ChatService>,
    pub(super) conversation_id: ConversationId,
    pub(super) pending: Option<Pending>,
    pub(super) user_message: Option<Message>,
    pub(super) cancel: CancellationToken,
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
        // New messages to embed for recall.
        self.service.recall().wake();
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

/// What a turn has written by the time its reply starts streaming.
struct Opened {
    /// The reply, saved as `streaming`.
    reply: Message,
    /// The user's message as saved, when the reply answers a new (or newly edited) one.
    user_message: Option<Message>,
    /// The messages the turn set aside as hidden versions.
    hidden: Vec<MessageId>,
    /// The request to send, or why none could be built.
    built: Result<BuiltContext, MemoryError>,
    /// The settings it was built with (a tool round's next request is built with them too).
    defaults: AppSettings,
}

impl ChatService {
    /// Writes what `pending` asks for, streams the reply and saves how it ended. Returns the reply
    /// as saved, and whether the conversation should fold older turns into its summary now.
    pub(super) async fn reply(
        &self,
        conversation_id: ConversationId,
        pending: Pending,
        user_message: Option<Message>,
        cancel: CancellationToken,
        sink: &dyn EventSink,
    ) -> Result<(Message, bool), ChatError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let client = self.client();
        let continuing = matches!(pending, Pending::Continue);
        let tools = self.offered_tools(conversation_id).await;
        let Opened {
            mut reply,
            user_message,
            hidden,
            mut built,
            defaults,
        } = self
            .open_reply(&conversation, &client, pending, user_message)
            .await?;
        sink.send(ChatEvent::Started {
            conversation: Box::new(conversation.clone()),
            user_message: user_message.map(Box::new),
            reply: reply.clone(),
            hidden,
        });
        let mut fold = false;
        // Each round is one reply: text, or tool calls whose results the next round answers.
        for round in 1.. {
            let mut state = ReplyState::starting(&reply, continuing && round == 1);
            let outcome = match built {
                Err(err) => Err(Failure::Memory(err)),
                Ok(mut request) => {
                    tools.apply(&mut request.request);
                    let offered = !tools.is_empty();
                    match self
                        .exchange(&client, request, &cancel, &reply, &mut state, sink)
                        .await
                    {
                        Ok(report) => {
                            fold |= report.needs_fold();
                            Ok(())
                        }
                        Err(Failure::Llm(err)) if offered && refuses_tools(&err) => {
                            Err(Failure::ToolsRefused(err))
                        }
                        Err(err) => Err(err),
                    }
                }
            };
            let calls = std::mem::take(&mut state.tool_calls).finish();
            if outcome.is_err() || calls.is_empty() || tools.is_empty() {
                let finished = self.finish_reply(&reply, state, outcome, sink).await?;
                return Ok((finished, fold));
            }
            // The reply asked for tools: it is saved with its calls, then they are decided and
            // run, and the next round answers with their results.
            state.finish_reason = Some(FinishReason::ToolCalls);
            let (finished, records) = self
                .finish_reply_with_calls(&reply, state, Ok(()), &tools.resolve(&calls), sink)
                .await?;
            if records.is_empty() {
                // The reply could not be saved (said as its error): the turn ends there.
                return Ok((finished, fold));
            }
            self.run_calls(conversation_id, &tools, records, &cancel, sink)
                .await?;
            if cancel.is_cancelled() {
                return Ok((finished, fold));
            }
            let model = conversation.model.clone();
            reply = self
                .store
                .append_message(conversation_id, NewMessage::streaming_reply(model))
                .await?;
            sink.send(ChatEvent::Started {
                conversation: Box::new(conversation.clone()),
                user_message: None,
                reply: reply.clone(),
                hidden: Vec::new(),
            });
            if round >= MAX_TOOL_ROUNDS {
                let state = ReplyState::starting(&reply, false);
                let finished = self
                    .finish_reply(&reply, state, Err(Failure::TooManyRounds), sink)
                    .await?;
                return Ok((finished, fold));
            }
            built = memory::build(
                &self.store,
                Some(&client),
                &self.servers,
                &self.recall,
                &defaults,
                &conversation,
            )
            .await;
        }
        unreachable!("the rounds end by returning")
    }

    /// Writes what the turn changes before its reply streams — a new reply, a new version of the
    /// last one, the continued one, or the edited question and its new reply — and builds the
    /// request. A failed write ends the turn; a request that could not be built is the reply's
    /// error.
    async fn open_reply(
        &self,
        conversation: &Conversation,
        client: &LlmClient,
        pending: Pending,
        user_message: Option<Message>,
    ) -> Result<Opened, ChatError> {
        let conversation_id = conversation.id;
        let model = conversation.model.clone();
        let defaults = AppSettings::load(&self.store).await;
        let build = || {
            memory::build(
                &self.store,
                Some(client),
                &self.servers,
                &self.recall,
                &defaults,
                conversation,
            )
        };
        // A new reply's context is built before the reply exists: it is not part of its own
        // prompt. The others are built once the earlier version is set aside; a new version is
        // still empty and so not sent, and a continued reply is sent last, as the text to go on
        // from.
        let (reply, user_message, hidden, built) = match pending {
            Pending::Reply => {
                let built = build().await;
                if let Err(MemoryError::Store(err)) = built {
                    return Err(err.into());
                }
                let reply = self
                    .store
                    .append_message(conversation_id, NewMessage::streaming_reply(model))
                    .await?;
                (reply, user_message, Vec::new(), built)
            }
            Pending::Regenerate => {
                let done = self.store.regenerate_reply(conversation_id, model).await?;
                (done.reply, user_message, vec![done.hidden], build().await)
            }
            Pending::Edit { message_id, text } => {
                let done = self.store.edit_and_resend(message_id, &text, model).await?;
                // The edit keeps the question's files: show them with its new text.
                let edited = self.store.with_attachments(vec![done.message]).await?;
                (
                    done.reply,
                    edited.into_iter().next(),
                    done.hidden,
                    build().await,
                )
            }
            Pending::Continue => {
                let reply = self.store.resume_reply(conversation_id).await?;
                (reply, user_message, Vec::new(), build().await)
            }
        };
        Ok(Opened {
            reply,
            user_message,
            hidden,
            built,
            defaults,
        })
    }

    /// Saves how the reply ended (its reasoning as far as it is storable) and sends the last
    /// event.
    async fn finish_reply(
        &self,
        reply: &Message,
        state: ReplyState,
        outcome: Result<(), Failure>,
        sink: &dyn EventSink,
    ) -> Result<Message, ChatError> {
        Ok(self
            .finish_reply_with_calls(reply, state, outcome, &[], sink)
            .await?
            .0)
    }

    /// [`ChatService::finish_reply`] for a reply that called tools: its calls are recorded in the
    /// same transaction, and returned as saved (none when the reply could not be saved).
    async fn finish_reply_with_calls(
        &self,
        reply: &Message,
        state: ReplyState,
        outcome: Result<(), Failure>,
        calls: &[NewToolCall],
        sink: &dyn EventSink,
    ) -> Result<(Message, Vec<ToolCallRecord>), ChatError> {
        let finish_reason = state.finish_reason.as_ref().map(|r| r.as_str().to_owned());
        let (ended, error) = ended_as(&outcome, finish_reason.as_deref());
        if state.reasoning != reply.reasoning {
            // Reasoning is kept as far as it is storable; the reply itself is what must land.
            if let Err(err) = self.store.save_reasoning(reply.id, &state.reasoning).await {
                tracing::warn!(%err, "could not save the reply's reasoning");
            }
        }
        let completion_tokens = state.completion_tokens();
        let stats = state.meter.stats();
        let finish = Finish {
            ended,
            content: state.content,
            error,
            prompt_tokens: state.prompt_tokens,
            completion_tokens,
            model: state.model,
            // Only a finished reply has a reason to keep.
            finish_reason: finish_reason.filter(|_| ended.status() == MessageStatus::Complete),
            stats: stats.clone(),
        };
        let (finished, records, outcome) = match self
            .store
            .finish_message_with_calls(reply.id, finish, calls)
            .await
        {
            Ok((finished, records)) => (finished, records, outcome),
            Err(err) if err.is_disk_failure() => {
                match self.keep_what_was_saved(reply, &err, stats).await {
                    Ok(finished) => (finished, Vec::new(), Err(Failure::Save(err))),
                    Err(again) => {
                        tracing::warn!(%again, "could not mark the reply as failed");
                        // The front end still hears how the reply ended; the database keeps it
                        // `streaming`, which the next start turns into `interrupted`.
                        let mut shown = reply.clone();
                        shown.status = MessageStatus::Error;
                        shown.error = Some(err.to_string());
                        sink.send(ChatEvent::Error {
                            message: shown,
                            code: err.code(),
                            error: err.to_string(),
                        });
                        return Err(err.into());
                    }
                }
            }
            Err(err) => return Err(err.into()),
        };
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
        Ok((finished, records))
    }

    /// Ends a reply whose text the disk would not take: as an `error` with the text saved before,
    /// which leaves the row's content (and its search index) as it is, so the write needs next to
    /// no new space. The reply can be continued once there is space again.
    async fn keep_what_was_saved(
        &self,
        reply: &Message,
        cause: &StoreError,
        stats: ReplyStats,
    ) -> Result<Message, StoreError> {
        let saved = self.store.get_message(reply.id).await?;
        self.store
            .finish_message(
                reply.id,
                Finish {
                    ended: Ending::Failed,
                    content: saved.content,
                    error: Some(cause.to_string()),
                    prompt_tokens: None,
                    completion_tokens: None,
                    model: None,
                    finish_reason: None,
                    stats,
                },
            )
            .await
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
    ) -> Result<ContextReport, Failure> {
        let mut retried = false;
        let mut stream = loop {
            state.meter.sent(self.store.clock().monotonic());
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
                        let defaults = AppSettings::load(&self.store).await;
                        memory::build(
                            &self.store,
                            Some(client),
                            &self.servers,
                            &self.recall,
                            &defaults,
                            &conversation,
                        )
                        .await
                    }
                    .await;
                    match rebuilt {
                        Ok(rebuilt) => built = rebuilt,
                        Err(err) => {
                            tracing::warn!(%err, "could not rebuild after an overflow");
                            return Err(Failure::Llm(LlmError::ContextOverflow {
                                n_ctx,
                                n_prompt_tokens,
                                message,
                            }));
                        }
                    }
                }
                Err(err) => return Err(Failure::Llm(err)),
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

    /// Moves a stream's events into the sink and the database until it ends, or until the disk
    /// refuses a save: streaming on would show text that can no longer be kept.
    async fn pump(
        &self,
        stream: &mut ChatStream,
        reply: &Message,
        state: &mut ReplyState,
        sink: &dyn EventSink,
    ) -> Result<(), Failure> {
        let mut last_save = Instant::now();
        // A continued reply starts with the text it had, which is saved already.
        let mut saved_len = state.content.len();
        let mut saved_reasoning = state.reasoning.len();
        while let Some(event) = stream.next().await {
            match event.map_err(Failure::Llm)? {
                StreamEvent::Content(text) => {
                    state.meter.token(self.store.clock().monotonic());
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
                    state.meter.token(self.store.clock().monotonic());
                    state.reasoning.push_str(&text);
                    sink.send(ChatEvent::Reasoning {
                        message_id: reply.id,
                        text,
                    });
                }
                StreamEvent::Usage(usage) => {
                    state.prompt_tokens = usage.prompt_tokens.map(|n| n as i64);
                    state.meter.usage(&usage);
                    sink.send(ChatEvent::Usage {
                        message_id: reply.id,
                        usage,
                    });
                }
                StreamEvent::Model(model) => state.model = Some(model),
                StreamEvent::Finish(reason) => state.finish_reason = Some(reason),
                StreamEvent::Timings(timings) => state.meter.timings(&timings),
                StreamEvent::ToolCall(piece) => {
                    state.meter.token(self.store.clock().monotonic());
                    state.tool_calls.push(piece);
                }
                StreamEvent::Role => {}
                StreamEvent::Done => return Ok(()),
            }
            let grew = state.content.len() != saved_len;
            let thought = state.reasoning.len() != saved_reasoning;
            if (grew || thought) && last_save.elapsed() >= SAVE_INTERVAL {
                // A failed intermediate save is not fatal (the final save decides), unless the disk
                // is full or failing: then no later save can land either.
                if grew {
                    if let Err(err) = self
                        .store
                        .update_streaming_content(reply.id, &state.content)
                        .await
                    {
                        if err.is_disk_failure() {
                            return Err(Failure::Save(err));
                        }
                        tracing::warn!(%err, "could not save the growing reply");
                    }
                }
                if thought {
                    if let Err(err) = self.store.save_reasoning(reply.id, &state.reasoning).await {
                        if err.is_disk_failure() {
                            return Err(Failure::Save(err));
                        }
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
    /// The disk refused to save the reply (full, or an I/O error).
    #[error(transparent)]
    Save(StoreError),
    /// The model server refused a request because it carried tools.
    #[error(
        "the model server refused the chat's tools ({0}): start it with tool support (llama.cpp: --jinja), or send without tools (turn this chat's tools off in its Options)"
    )]
    ToolsRefused(LlmError),
    /// The model asked for tools round after round.
    #[error(
        "the model asked for tools {MAX_TOOL_ROUNDS} times in a row, so the turn ends here: ask again to let it go on"
    )]
    TooManyRounds,
}

impl Coded for Failure {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Memory(e) => e.code(),
            Self::Llm(e) => e.code(),
            Self::Save(e) => e.code(),
            Self::ToolsRefused(e) => e.code(),
            Self::TooManyRounds => ErrorCode::Interrupted,
        }
    }
}

/// How a reply ended, and why when it did not complete: stopped by the user or cut off is
/// interrupted (the text so far stands), anything else failed. `finish_reason` is the server's,
/// for a complete reply.
fn ended_as(
    outcome: &Result<(), Failure>,
    finish_reason: Option<&str>,
) -> (Ending, Option<String>) {
    match outcome {
        Ok(()) => (Ending::from_finish_reason(finish_reason), None),
        Err(Failure::Llm(err @ LlmError::Cancelled)) => (Ending::Stopped, Some(err.to_string())),
        Err(Failure::Llm(err @ (LlmError::Interrupted { .. } | LlmError::IdleTimeout { .. }))) => {
            (Ending::Interrupted, Some(err.to_string()))
        }
        Err(err) => (Ending::Failed, Some(err.to_string())),
    }
}

#[derive(Default)]
struct ReplyState {
    content: String,
    /// The reasoning text so far ("thinking"), saved beside the reply.
    reasoning: String,
    prompt_tokens: Option<i64>,
    model: Option<String>,
    finish_reason: Option<FinishReason>,
    /// When continuing a reply: takes out the server's echo of the text so far.
    echo: Option<EchoFilter>,
    /// When continuing a reply: the completion tokens of the text it had.
    earlier_completion_tokens: Option<i64>,
    /// This request's timings and the server's counts (the completion tokens among them).
    meter: StatsMeter,
    /// The tool calls streamed so far.
    tool_calls: ToolCallAssembler,
}

impl ReplyState {
    /// Where a reply starts streaming from: empty, or when continuing, the text it had.
    fn starting(reply: &Message, continuing: bool) -> Self {
        Self {
            content: reply.content.clone(),
            reasoning: reply.reasoning.clone(),
            echo: continuing.then(|| EchoFilter::new(&reply.content)),
            earlier_completion_tokens: if continuing {
                reply.completion_tokens
            } else {
                None
            },
            ..Self::default()
        }
    }

    /// The completion tokens of the whole reply: a continued reply counts what it had, when both
    /// parts are known.
    fn completion_tokens(&self) -> Option<i64> {
        let now = self.meter.completion_tokens().map(|n| n as i64);
        match self.earlier_completion_tokens {
            Some(earlier) => now.map(|n| n + earlier),
            None => now,
        }
    }
}

/// Whether the server's error is about the request's tools: llama.cpp without `--jinja` ("tools
/// param requires --jinja flag"), or a 400 that names them.
fn refuses_tools(err: &LlmError) -> bool {
    let text = err.to_string().to_lowercase();
    text.contains("tool")
        && (text.contains("jinja") || matches!(err, LlmError::Server { status: 400, .. }))
}
