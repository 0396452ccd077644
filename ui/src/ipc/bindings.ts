// Generated from the Rust types by src-tauri/src/bindings.rs: do not edit.
// Regenerate with `make bindings` (CONFAB_BLESS=1 cargo test --workspace --lib bindings).

/**
 * Every code the core (and the shell around it) can report. On the wire each is its snake_case
 * name, e.g. `"not_found"`.
 */
export type ErrorCode = "not_found" | "invalid_input" | "storage" | "not_a_database" | "database_damaged" | "newer_database" | "database_locked" | "upgrade_failed" | "busy" | "nothing_to_regenerate" | "nothing_to_continue" | "not_last_reply" | "not_last_message" | "unreachable" | "timeout" | "context_overflow" | "model_not_found" | "unauthorized" | "rate_limited" | "model_loading" | "no_embeddings" | "server_error" | "protocol" | "interrupted" | "cancelled" | "message_too_long" | "history_too_long" | "context_too_small" | "keyring" | "image_unreachable" | "image_unavailable" | "too_large" | "not_an_image" | "unsupported_file" | "no_vision" | "io" | "malformed" | "unknown_format" | "unsupported_version" | "project_name_taken" | "project_not_found" | "internal";

export type IpcError = { code: ErrorCode, message: string, };

/**
 * A conversation's id.
 */
export type ConversationId = number;

/**
 * A message's id. Ids grow with insertion, so they order a conversation's messages.
 */
export type MessageId = number;

/**
 * A summary row's id.
 */
export type SummaryId = number;

export type Conversation = { id: ConversationId, title: string, system_prompt: string, model: string | null, 
/**
 * Generation parameters and per-chat options (temperature, memory strategy, …) as JSON.
 */
params: Record<string, unknown>, created_at: string, 
/**
 * Last activity: creation, a message, a rename.
 */
updated_at: string, pinned: boolean, archived: boolean, 
/**
 * Who named the chat; only the user's (or an imported) title is never replaced.
 */
title_source: TitleSource, 
/**
 * The project it belongs to, whose defaults it inherits.
 */
project_id: ProjectId | null, };

/**
 * Who named a conversation.
 */
export type TitleSource = "default" | "first_message" | "model" | "user";

/**
 * Where a page of the conversation list ended; pass it back for the next page.
 */
export type ConversationCursor = unknown;

export type Page<T, C = ConversationCursor> = { items: Array<T>, 
/**
 * `None` on the last page.
 */
next: C | null, };

export type Role = "system" | "user" | "assistant";

export type MessageStatus = "complete" | "streaming" | "interrupted" | "error";

/**
 * How a reply ended, as Confab knew it then: stored with the reply (migration 0014), read by
 * its statistics and badges, never told from the text of its error.
 */
export type Ending = "stop" | "length" | "content_filter" | "tool_calls" | "complete" | "stopped" | "interrupted" | "exited" | "failed";

/**
 * A timing figure of a reply that either the server reported or Confab measured.
 */
export type StatFigure = "first_token" | "generation" | "speed";

/**
 * How a reply was produced. Every figure is `None` when unknown: a reply saved before Confab
 * kept them, one that never got a token, or a figure the server did not report and Confab
 * cannot measure (the speed needs the server's token count). A continued reply's timings are
 * those of the request that continued it.
 */
export type ReplyStats = { 
/**
 * From sending the request to the first token (of text or reasoning), in milliseconds; the
 * server's figure is its prompt-processing time.
 */
first_token_ms: number | null, 
/**
 * From the first token to the last, in milliseconds.
 */
generation_ms: number | null, 
/**
 * Tokens generated per second.
 */
tokens_per_second: number | null, 
/**
 * Prompt tokens processed per second, when the server reports it (llama.cpp).
 */
prompt_per_second: number | null, 
/**
 * Prompt tokens the server took from its cache instead of processing them again.
 */
cached_tokens: number | null, 
/**
 * The figures the server reported; the others that are known, Confab measured.
 */
from_server: Array<StatFigure>, };

/**
 * What an attachment is.
 */
export type AttachmentKind = "text" | "image";

/**
 * An attachment of a stored message, without its bytes (those are read when shown or sent).
 */
export type Attachment = { id: number, 
/**
 * The file's name as it was attached (no folders).
 */
name: string, kind: AttachmentKind, mime: string, 
/**
 * Bytes.
 */
size: number, 
/**
 * The SHA-256 of the bytes, lower-case hex: the blob's key.
 */
sha256: string, };

/**
 * What became of a call.
 */
export type ToolDecision = "pending" | "allowed_once" | "allowed_chat" | "allowed_always" | "denied" | "invalid" | "cancelled";

/**
 * One call, as stored.
 */
export type ToolCallRecord = { id: number, message_id: MessageId, position: number, 
/**
 * The id the model gave the call (or Confab's, `confab_N`).
 */
call_id: string, 
/**
 * The name the model called (`server__tool`).
 */
function_name: string, 
/**
 * The server and tool it named, when it named one.
 */
server: string | null, tool: string | null, 
/**
 * The arguments as the model wrote them.
 */
arguments: string, decision: ToolDecision, 
/**
 * The user's reason for a denial, or why a call was invalid.
 */
reason: string | null, 
/**
 * The result's text (at most 1 MiB), once there is one.
 */
result: string | null, 
/**
 * The whole result's size.
 */
result_bytes: number | null, is_error: boolean, requested_at: string, decided_at: string | null, started_at: string | null, finished_at: string | null, };

export type Message = { id: MessageId, conversation_id: ConversationId, role: Role, content: string, status: MessageStatus, error: string | null, model: string | null, prompt_tokens: number | null, completion_tokens: number | null, created_at: string, completed_at: string | null, 
/**
 * Pinned by the user: always sent to the model, even when older than the window.
 */
pinned: boolean, 
/**
 * The first version of the reply this is a version of (itself, for that first one); `None`
 * for a message that was never regenerated. See [`Store::reply_versions`].
 */
version_of: MessageId | null, 
/**
 * A version not currently chosen: left out of the conversation everywhere it is read.
 */
hidden: boolean, 
/**
 * The model's reasoning that came with a reply (empty when none): shown, never sent back.
 */
reasoning: string, 
/**
 * Why the model stopped a finished reply, as the server said ("stop", "length", …); `None`
 * when it did not say or the reply did not finish.
 */
finish_reason: string | null, 
/**
 * How a reply ended; `None` for the user's messages and a reply still streaming.
 */
ended: Ending | null, 
/**
 * How the reply was produced (timings, speed); empty for the user's messages.
 */
stats: ReplyStats, 
/**
 * The files attached to a user message, in the order they were attached (empty for most).
 */
attachments: Array<Attachment>, 
/**
 * The tools a reply called, in order, with their results (empty for most).
 */
tool_calls: Array<ToolCallRecord>, 
/**
 * What the user wrote, when `content` also carries text files fenced after it
 * ([`crate::attachments::compose`]): the bubble shows it beside the files' chips and Edit
 * starts from it, while the model, search and exports get `content`. `None` for every other
 * message.
 */
written?: string | null, };

/**
 * One version of a reply, for a version switcher.
 */
export type ReplyVersion = { id: MessageId, status: MessageStatus, 
/**
 * Not the version currently shown.
 */
hidden: boolean, created_at: string, };

export type Summary = { id: SummaryId, conversation_id: ConversationId, content: string, 
/**
 * The newest message this summary folds in.
 */
covers_through_message_id: MessageId, token_count: number | null, model: string | null, created_at: string, edited_by_user: boolean, };

/**
 * An MCP server's id.
 */
export type ToolServerId = number;

/**
 * What the front end shows to ask about one call: everything needed to decide, the arguments
 * whole.
 */
export type ConsentRequest = { 
/**
 * The call's row ([`ToolCallRecord::id`]): what the answer names.
 */
call_id: number, conversation_id: ConversationId, server_id: ToolServerId, server: string, tool: string, 
/**
 * The tool's description as approved, hidden characters escaped.
 */
description: string, 
/**
 * The server's hints: read-only, destructive, reaching outside (open world).
 */
read_only: boolean, destructive: boolean, open_world: boolean, 
/**
 * The arguments, pretty-printed.
 */
arguments: string, 
/**
 * The definition the user is shown (an "always" answer is recorded against it).
 */
tool_hash: string, };

/**
 * One step of a reply, in order: `Started`, then deltas, then exactly one of `Done`, `Error`
 * or `Cancelled` (a turn with tool calls has several replies, each so, with the calls between). Serialised with a `type` tag for the UI.
 */
export type ChatEvent = { "type": "started", 
/**
 * The conversation as it is now (a new chat has just been named after its question).
 */
conversation: Conversation, 
/**
 * The user's message as saved, when the reply answers a new (or newly edited) one.
 * Boxed, like the conversation, so that every delta is not as large as this event.
 */
user_message: Message | null, 
/**
 * The reply, saved as `streaming`: empty, or when a reply is continued, with the text it
 * had (the deltas that follow are appended to it).
 */
reply: Message, 
/**
 * Messages this turn set aside as hidden versions (the reply a regenerate replaces, the
 * replies to an edited question): no longer part of the conversation as it reads.
 */
hidden: Array<MessageId>, } | { "type": "delta", message_id: MessageId, text: string, } | { "type": "reasoning", message_id: MessageId, text: string, } | { "type": "usage", message_id: MessageId, usage: Usage, } | { "type": "done", message: Message, finish_reason: FinishReason | null, } | { "type": "error", 
/**
 * The reply as saved: `error` (or `interrupted`, when text had arrived).
 */
message: Message, code: ErrorCode, error: string, } | { "type": "cancelled", message: Message, } | { "type": "tool_call", call: ToolCallRecord, } | { "type": "tool_consent", request: ConsentRequest, };

/**
 * A change the service made on its own, outside any turn a front end is following: the front
 * ends listen through [`ChatService::updates`](super::ChatService::updates).
 */
export type ServiceUpdate = { "type": "retitled", conversation: Conversation, } | { "type": "summary_folded", conversation_id: ConversationId, } | { "type": "recall", status: RecallStatus, } | { "type": "database_damaged", code: ErrorCode, message: string, };

/**
 * What recall can use right now, for the app and the CLI to show.
 */
export type RecallStatus = { 
/**
 * The embedding model in use (`<server root>#<model>`), or `None`: words alone.
 */
embedding_model: string | null, 
/**
 * Why recall uses words alone, when it does.
 */
words_only_reason: string | null, 
/**
 * Messages with a vector from the model, of how many.
 */
indexed: number, total: number, 
/**
 * Whether the indexer is embedding messages now.
 */
indexing: boolean, };

/**
 * Token counts the server reported.
 */
export type Usage = { prompt_tokens: number | null, completion_tokens: number | null, 
/**
 * Prompt tokens served from the server's cache (`prompt_tokens_details.cached_tokens`).
 */
cached_tokens: number | null, };

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | { "other": string };

export type ModelInfo = { id: string, 
/**
 * The context the server runs the model with, or the model's trained context, when known.
 */
context_length: number | null, };

/**
 * A server found running on a local port.
 */
export type FoundServer = { base_url: string, models: Array<string>, };

/**
 * Where a key was kept.
 */
export type KeyStorage = { "kind": "keyring" } | { "kind": "session", reason: string, };

/**
 * The app's look.
 */
export type Theme = "system" | "light" | "dark";

/**
 * App-wide preferences and the defaults every chat uses unless it sets its own.
 */
export type AppSettings = { theme: Theme, 
/**
 * The model asked for when a chat names none (else the server's default).
 */
model: string | null, 
/**
 * The system prompt of chats that have none of their own.
 */
system_prompt: string, temperature: number | null, top_p: number | null, 
/**
 * The most tokens a reply may take (else a quarter of the context).
 */
max_tokens: number | null, 
/**
 * The model's context length, overriding what the server says (a chat may still set its own).
 */
context_length: number | null, 
/**
 * Whether the model names a new chat after its first reply (else the first question does).
 */
model_titles: boolean, 
/**
 * Where recall's embeddings come from.
 */
recall: RecallSettings, };

/**
 * Where recall's embeddings come from (see [`crate::recall`]).
 */
export type RecallSettings = { 
/**
 * Find earlier messages by meaning too, with an embedding model (else by words alone).
 */
embeddings: boolean, 
/**
 * The server that makes the embeddings; `None`: the chat server.
 */
endpoint: string | null, 
/**
 * The embedding model; `None`: one the server lists as an embedding model (or its only
 * model, on a server of its own).
 */
model: string | null, };

/**
 * One chat's own options; `None` means "use the app's default".
 */
export type ChatOptions = { 
/**
 * Empty: the app's default system prompt.
 */
system_prompt: string, model: string | null, temperature: number | null, top_p: number | null, max_tokens: number | null, context_length: number | null, 
/**
 * `None`: the project's strategy, else the built-in default.
 */
memory: MemoryStrategy | null, };

/**
 * The settings dialog's model: the app's settings, the server, and whether (and where) an API
 * key is kept for it. The key itself never leaves the Rust side.
 */
export type SettingsView = { settings: AppSettings, endpoint: string, api_key: KeyStorage | null, 
/**
 * This build's version (the workspace's, in `Cargo.toml`), for the dialog's footer.
 */
version: string, 
/**
 * What recall can use now: its embedding model, or why words alone, and the index's progress.
 */
recall: RecallStatus, };

/**
 * How a conversation remembers: stored as `params.memory` (`"summary"`, `"window"`, `"full"`,
 * `"recall"`).
 */
export type MemoryStrategy = "full_history" | "sliding_window" | "summary_window" | "recall";

/**
 * Where the context length came from.
 */
export type ContextSource = "chat_setting" | "app_setting" | "server" | "model_setting" | "learned" | "default";

/**
 * One part of the request, in the order it is sent.
 */
export type ContextPart = { "kind": "system_prompt" } | { "kind": "summary", summary_id: SummaryId, covers_through: MessageId, edited_by_user: boolean, } | { "kind": "pinned", message_id: MessageId, } | { "kind": "recent", message_id: MessageId, } | { "kind": "recalled", message_id: MessageId, 
/**
 * The fused score (reciprocal rank fusion; higher is better).
 */
score: number, source: RecallSource, };

/**
 * How a recalled message was found.
 */
export type RecallSource = "words" | "vectors" | "both" | "turn";

/**
 * What the recall strategy found and chose.
 */
export type RecallReport = { 
/**
 * The embedding model that took part (`<server root>#<model>`), if any.
 */
embedding_model: string | null, 
/**
 * Why recall used words alone, when it did.
 */
words_only_reason: string | null, 
/**
 * The tokens recall may take (a quarter of the budget) and took.
 */
share: number, used: number, 
/**
 * How many earlier messages were found, before choosing.
 */
found: number, 
/**
 * Found, but there was no room for their turn, best first.
 */
left_out: Array<RecallCandidate>, };

/**
 * A message recall found.
 */
export type RecallCandidate = { message_id: MessageId, score: number, source: RecallSource, 
/**
 * Tokens its whole turn would take.
 */
tokens: number, };

/**
 * Who said a message, as the wire format names it.
 */
export type WireRole = "system" | "user" | "assistant" | "tool";

export type ContextItem = { part: ContextPart, role: WireRole, 
/**
 * Tokens of the text itself (the template's per-message overhead comes on top).
 */
tokens: number, 
/**
 * Counted by the server's tokenizer rather than estimated.
 */
exact: boolean, bytes: number, 
/**
 * Why it is there, for a person.
 */
why: string, };

/**
 * Why messages were left out of the request.
 */
export type LeftOutReason = "summarized" | "awaiting_summary" | "outside_window" | "failed" | "empty" | "pinned_did_not_fit";

/**
 * A run of consecutive messages left out for one reason.
 */
export type LeftOut = { first: MessageId, last: MessageId, 
/**
 * How many; `None` for a long run that was not counted (over a thousand messages).
 */
count: number | null, reason: LeftOutReason, };

/**
 * What a request carries and why: the context inspector's model.
 */
export type ContextReport = { conversation_id: ConversationId, strategy: MemoryStrategy, 
/**
 * The server and model whose tokenizer counted (or whose calibration estimated).
 */
tokenizer: string, context_length: number, context_source: ContextSource, 
/**
 * Tokens kept free for the reply (`max_tokens`).
 */
reply_reserve: number, 
/**
 * Tokens the chat template adds per message (measured, or a conservative default).
 */
per_message_overhead: number, 
/**
 * Tokens available for the messages: context − reply reserve − the reply's own overhead.
 */
budget: number, 
/**
 * Tokens the included parts take, overheads included.
 */
used: number, 
/**
 * Every count came from the server's tokenizer.
 */
exact: boolean, 
/**
 * The estimate's calibration when counts are estimated: UTF-8 bytes per token.
 */
bytes_per_token: number, items: Array<ContextItem>, 
/**
 * Left-out messages, oldest first.
 */
left_out: Array<LeftOut>, 
/**
 * Messages older than the window exist that the summary does not cover yet.
 */
summary_pending: boolean, 
/**
 * Anything else worth saying (e.g. the summary did not fit).
 */
notes: Array<string>, 
/**
 * What recall found and chose (the recall strategy only).
 */
recall: RecallReport | null, };

/**
 * What the next request of a conversation carries: the memory panel's model.
 */
export type ContextView = { report: ContextReport, 
/**
 * Each report item's text, in the report's order.
 */
texts: Array<string>, 
/**
 * The current summary, editable.
 */
summary: Summary | null, };

/**
 * Where an export went.
 */
export type Exported = { path: string, messages: number, };

export type ImportSource = "confab_conversation" | "confab_backup" | "chat_gpt";

/**
 * The preview a person confirms before importing.
 */
export type ImportPreview = { source: ImportSource, conversations: number, messages: number, skipped_messages: number, skipped_parts: number, };

/**
 * How far an import has come: reported as it writes, before the one commit at the end.
 */
export type ImportProgress = { conversations_done: number, conversations_total: number, messages_done: number, messages_total: number, };

/**
 * What an import file holds, waiting for the user to confirm.
 */
export type ImportChoice = { token: string, file_name: string, preview: ImportPreview, };

/**
 * An image fetched for a reply, ready for an `<img src>`.
 */
export type RemoteImage = { 
/**
 * What the bytes are, from the bytes themselves (never from the server's word).
 */
mime: string, bytes: number, 
/**
 * `data:{mime};base64,…`
 */
data_url: string, };

/**
 * A file waiting in the composer.
 */
export type PendingAttachment = { token: string, name: string, kind: AttachmentKind, size: number, 
/**
 * An image as a `data:` URL for its thumbnail; `None` for a text file.
 */
preview: string | null, };

/**
 * What files given at once came to: those attached, and why the others were not.
 */
export type Attached = { attached: Array<PendingAttachment>, refused: Array<IpcError>, };

/**
 * Files dragged over the window and dropped: the composer shows its drop state from these.
 */
export type DropEvent = { "type": "over" } | { "type": "left" } | { "type": "dropped", result: Attached, };

/**
 * A chat's draft as the page gets it back at start: its text, and its files held again under
 * new tokens, ready to send.
 */
export type SavedDraft = { conversation_id: number, text: string, files: Array<PendingAttachment>, };

/**
 * What to search for, and where.
 */
export type SearchQuery = { 
/**
 * What the person typed.
 */
text: string, 
/**
 * Only this chat.
 */
conversation_id: ConversationId | null, 
/**
 * Only this role's messages.
 */
role: Role | null, 
/**
 * Only messages written at or after this time.
 */
since: string | null, 
/**
 * Only messages written before this time.
 */
until: string | null, 
/**
 * Only pinned messages.
 */
pinned_only: boolean, 
/**
 * Hits per page (1 to 100; 0 means 20).
 */
limit: number, 
/**
 * Hits to skip: the previous pages'.
 */
offset: number, 
/**
 * Also find messages close in meaning, with recall's embedding model (the first page, through
 * the chat service: see `ChatService::search`).
 */
meaning: boolean, };

/**
 * Which index answered: see the module's notes.
 */
export type SearchMode = "words" | "substring" | "scan";

/**
 * How a hit was found.
 */
export type Matched = "words" | "meaning" | "both";

/**
 * Text around a match, and the ranges of it that matched.
 */
export type Snippet = { text: string, 
/**
 * `[start, end)` ranges in UTF-16 code units of `text`.
 */
highlights: Array<[number, number]>, };

/**
 * A message that matched.
 */
export type SearchHit = { conversation_id: ConversationId, conversation_title: string, message_id: MessageId, role: Role, created_at: string, pinned: boolean, snippet: Snippet, 
/**
 * Higher is better; comparable within one search only.
 */
score: number, matched: Matched, 
/**
 * The match is in the result of a tool the reply called (the snippet is the result's):
 * untrusted text, shown as tool output.
 */
tool_output: boolean, };

/**
 * A chat whose title matched.
 */
export type TitleHit = { conversation_id: ConversationId, title: string, updated_at: string, };

/**
 * One page of results.
 */
export type SearchResults = { hits: Array<SearchHit>, 
/**
 * Chats whose title has every word; on the first page of an all-chats search only.
 */
titles: Array<TitleHit>, 
/**
 * Whether there is another page.
 */
more: boolean, mode: SearchMode, 
/**
 * Why messages close in meaning were not looked for, when they were asked for.
 */
meaning_note: string | null, };

/**
 * Where the database and its snapshots are, and whether the file is there at all.
 */
export type DatabaseInfo = { path: string, backups: string, exists: boolean, };

/**
 * Why a copy of the database is in `backups/`.
 */
export type SnapshotKind = "before_upgrade" | "backup" | "before_restore" | "other";

/**
 * A copy of the database in `backups/`.
 */
export type SnapshotInfo = { file_name: string, path: string, kind: SnapshotKind, 
/**
 * When it was taken: from its name, else the file's modification time.
 */
taken_at: string, 
/**
 * The upgrade it was at, when it can be read.
 */
schema_version: number | null, 
/**
 * How many chats it holds; `None` when it cannot be read.
 */
chats: number | null, size_bytes: number, };

/**
 * What a restore did.
 */
export type Restored = { 
/**
 * The snapshot that is now the database.
 */
snapshot: string, 
/**
 * Where the database it replaced was kept, if there was one.
 */
set_aside: string | null, };

/**
 * What [`export_readable`] saved, and what it could not read.
 */
export type Salvaged = { conversations: number, messages: number, 
/**
 * The chats that could not be read whole, as "title (id)"; none of their messages is saved,
 * so nothing half-read passes for a whole chat.
 */
unreadable: Array<string>, 
/**
 * Set when listing the chats itself broke off: chats after that point were not reached.
 */
stopped: string | null, };

/**
 * Where `export_readable` wrote, and what.
 */
export type ReadableExport = { path: string, saved: Salvaged, };

/**
 * A project's id.
 */
export type ProjectId = number;

/**
 * A project with its chat count.
 */
export type Project = { id: ProjectId, name: string, defaults: ProjectDefaults, 
/**
 * Whether the sidebar shows it folded.
 */
collapsed: boolean, created_at: string, updated_at: string, 
/**
 * Its chats, archived ones included.
 */
chats: number, };

/**
 * What a project's chats inherit; `None` (or a blank prompt or model): the app's settings.
 */
export type ProjectDefaults = { system_prompt: string | null, model: string | null, temperature: number | null, memory: MemoryStrategy | null, };

/**
 * What happens to a project's chats when it is deleted.
 */
export type ProjectChats = "move_out" | "delete";

/**
 * What deleting a project did to its chats.
 */
export type DeletedProject = { moved_out: number, deleted: number, };

/**
 * Which layer an option's value comes from.
 */
export type OptionSource = "chat" | "project" | "app_settings" | "built_in";

/**
 * An option's value and where it comes from, and what the chat would get without its own.
 */
export type Resolved<T> = { value: T, source: OptionSource, 
/**
 * The value from the project or app settings (what clearing the chat's own gives).
 */
inherited: T, inherited_from: OptionSource, };

/**
 * The project a chat is in, by name.
 */
export type ProjectRef = { id: ProjectId, name: string, };

/**
 * A chat's inheritable options, resolved.
 */
export type ResolvedOptions = { project: ProjectRef | null, system_prompt: Resolved<string>, model: Resolved<string | null>, temperature: Resolved<number | null>, memory: Resolved<MemoryStrategy>, };

/**
 * Which chats a page of the list holds: those outside every project, or one project's.
 */
export type ProjectScope = "outside" | { "in": number };

/**
 * How Confab talks to a server.
 */
export type Transport = "stdio" | "http";

/**
 * Whether a server may run.
 */
export type ServerState = "approved" | "needs_approval" | "off";

/**
 * What kind of invisible text a description carries.
 */
export type HiddenText = "unicode_tags" | "zero_width" | "bidi_controls" | "control_characters";

/**
 * Where a tool stands.
 */
export type ToolStatus = "usable" | "changed" | "new" | "not_offered";

/**
 * One version of a tool's definition, escaped.
 */
export type SpecView = { description: string, 
/**
 * The input schema, pretty-printed.
 */
parameters: string, warnings: Array<HiddenText>, };

/**
 * A tool of a server.
 */
export type ToolView = { name: string, status: ToolStatus, 
/**
 * The server's hints about the newest definition.
 */
read_only: boolean, destructive: boolean, open_world: boolean, 
/**
 * As approved (none for a new tool).
 */
approved: SpecView | null, 
/**
 * As the server offers it now, when that differs from what was approved.
 */
pending: SpecView | null, };

/**
 * A server as Settings shows it.
 */
export type ServerView = { id: ToolServerId, name: string, transport: Transport, 
/**
 * `approved` only while the definition is still the one approved.
 */
state: ServerState, 
/**
 * The definition changed since it was approved (it waits for approval again).
 */
changed_since_approved: boolean, 
/**
 * The exact command line (each argument quoted as a shell would need it) or the URL,
 * untruncated, hidden characters escaped.
 */
command_line: string, 
/**
 * The same, a word at a time (each quoted and escaped as in `command_line`), so a window can
 * wrap it between words only.
 */
command_words: Array<string>, 
/**
 * The working folder of a stdio server (none: the home folder).
 */
cwd: string | null, 
/**
 * The names of the environment variables it is given (never their values).
 */
env_names: Array<string>, 
/**
 * The names of the headers an HTTP server is sent (the values are in the keyring).
 */
header_names: Array<string>, 
/**
 * The hash of the definition as shown: what an approval is recorded against.
 */
hash: string, timeout_secs: number, tools: Array<ToolView>, };

/**
 * Who may run a tool without being asked.
 */
export type ToolAllowance = { id: number, server_id: ToolServerId, server: string, tool: string, 
/**
 * `None`: everywhere ("Always allow").
 */
conversation_id: ConversationId | null, created_at: string, };

/**
 * Which servers' tools a chat offers: its own choice, else its project's default; `None` where
 * either is unset.
 */
export type ToolServerChoice = { own: Array<ToolServerId> | null, project: Array<ToolServerId> | null, };

/**
 * The user's answer to a call.
 */
export type Consent = { "kind": "allow_once" } | { "kind": "allow_in_chat" } | { "kind": "always_allow" } | { "kind": "deny", reason: string | null, };

/**
 * Settings → Tools: every server with its tools, and what runs without asking.
 */
export type ToolsOverview = { servers: Array<ServerView>, allowances: Array<ToolAllowance>, };

/**
 * A server the person defined in Settings → Add. Nothing runs until they confirm it natively.
 */
export type NewToolServer = { name: string, transport: Transport, 
/**
 * stdio: the program (found on `PATH`, or a path) and its arguments, each exactly as given.
 */
command: string | null, args: Array<string>, 
/**
 * stdio: the environment variables it gets beyond `PATH`, `HOME` and the locale.
 */
env: { [key in string]: string }, cwd: string | null, 
/**
 * http: the URL and the headers sent (their values go to the keyring).
 */
url: string | null, headers: { [key in string]: string }, };

/**
 * What adding a server did.
 */
export type AddedServer = { server: ServerView, 
/**
 * Why it did not start, if it did not (it is added all the same).
 */
start_error: string | null, 
/**
 * Headers whose value could not be kept in a keyring (kept for this session only).
 */
unkept_headers: Array<string>, };

/**
 * What became of an answer to a consent card.
 */
export type ConsentOutcome = "decided" | "not_waiting" | "cancelled";

/** Every code an error can have, in the order the core lists them. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "not_found",
  "invalid_input",
  "storage",
  "not_a_database",
  "database_damaged",
  "newer_database",
  "database_locked",
  "upgrade_failed",
  "busy",
  "nothing_to_regenerate",
  "nothing_to_continue",
  "not_last_reply",
  "not_last_message",
  "unreachable",
  "timeout",
  "context_overflow",
  "model_not_found",
  "unauthorized",
  "rate_limited",
  "model_loading",
  "no_embeddings",
  "server_error",
  "protocol",
  "interrupted",
  "cancelled",
  "message_too_long",
  "history_too_long",
  "context_too_small",
  "keyring",
  "image_unreachable",
  "image_unavailable",
  "too_large",
  "not_an_image",
  "unsupported_file",
  "no_vision",
  "io",
  "malformed",
  "unknown_format",
  "unsupported_version",
  "project_name_taken",
  "project_not_found",
  "internal",
];

/** The export formats, in the order the app offers them; `format` is what `export_conversation` takes. */
export const EXPORT_FORMATS = [
  { format: "md", label: "Markdown", hint: "a readable log" },
  { format: "html", label: "Web page", hint: "standalone, printable" },
  { format: "json", label: "Confab JSON", hint: "lossless, re-importable" },
  { format: "jsonl", label: "Audit log", hint: "JSON Lines, one line per message" },
] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number]["format"];
