// The UI's one door to the Rust side. Nothing outside this folder imports @tauri-apps/api:
// components call these typed functions and handle `AppError`.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  ChatEvent,
  FoundServer,
  ModelInfo,
  Conversation,
  ConversationPage,
  ConversationCursor,
  Message,
  Exported,
  ExportFormat,
  ImportChoice,
  ImportProgress,
  ContextView,
  ReplyVersion,
  Summary,
  AppSettings,
  SettingsView,
  KeyStorage,
  ChatOptions,
  ServiceUpdate,
  RemoteImage,
  DatabaseInfo,
  SnapshotInfo,
  Restored,
  ReadableExport,
  SearchQuery,
  SearchResults,
  Project,
  ProjectDefaults,
  ProjectChats,
  DeletedProject,
  ProjectScope,
  ResolvedOptions,
} from "./types";
import { AppError, noticeDamage } from "./errors";

export type * from "./types";
export { ERROR_CODES, EXPORT_FORMATS } from "./types";
export { AppError, noticeDamage, onDatabaseDamaged } from "./errors";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw noticeDamage(AppError.from(raw));
  }
}

export function listConversations(
  limit: number,
  cursor: ConversationCursor | null = null,
  filter: string | null = null,
  project: ProjectScope | null = null,
): Promise<ConversationPage> {
  return call("list_conversations", { limit, cursor, filter, project });
}

export function listProjects(): Promise<Project[]> {
  return call("list_projects");
}

export function createProject(name: string, defaults: ProjectDefaults): Promise<Project> {
  return call("create_project", { name, defaults });
}

export function renameProject(id: number, name: string): Promise<Project> {
  return call("rename_project", { id, name });
}

export function setProjectDefaults(id: number, defaults: ProjectDefaults): Promise<Project> {
  return call("set_project_defaults", { id, defaults });
}

export function setProjectCollapsed(id: number, collapsed: boolean): Promise<Project> {
  return call("set_project_collapsed", { id, collapsed });
}

export function deleteProject(id: number, chats: ProjectChats): Promise<DeletedProject> {
  return call("delete_project", { id, chats });
}

/** Moves a chat into a project, or out of every project with `null`. */
export function moveToProject(id: number, project: number | null): Promise<Conversation> {
  return call("move_to_project", { id, project });
}

/** Asks where to save, then writes the project's chats as one JSON archive; `null` if cancelled. */
export function exportProject(id: number): Promise<Exported | null> {
  return call("export_project", { id });
}

/** A chat's system prompt, model, temperature and memory, each with where it comes from. */
export function getOptionSources(id: number): Promise<ResolvedOptions> {
  return call("get_option_sources", { id });
}

export function renameConversation(id: number, title: string): Promise<Conversation> {
  return call("rename_conversation", { id, title });
}

export function setPinned(id: number, pinned: boolean): Promise<Conversation> {
  return call("set_pinned", { id, pinned });
}

/** Deletes a chat and everything in it (a reply streaming there is stopped). */
export function deleteConversation(id: number): Promise<void> {
  return call("delete_conversation", { id });
}

export function createConversation(title?: string, project?: number): Promise<Conversation> {
  return call("create_conversation", { title: title ?? null, project: project ?? null });
}

export function getConversation(id: number): Promise<Conversation> {
  return call("get_conversation", { id });
}

/**
 * A page of at most `limit` messages, oldest first: the newest, or the ones just before `before`,
 * or the ones just after `after`.
 */
export function listMessages(
  conversationId: number,
  limit: number,
  before: number | null = null,
  after: number | null = null,
): Promise<Message[]> {
  return call("list_messages", { conversationId, limit, before, after });
}

/** The channel a reply streams to; a reply that failed on damage is noticed as such. */
export function chatChannel(onEvent: (event: ChatEvent) => void): Channel<ChatEvent> {
  const ch = new Channel<ChatEvent>();
  ch.onmessage = (event) => {
    if (event.type === "error") noticeDamage(new AppError(event.code, event.error));
    onEvent(event);
  };
  return ch;
}

/**
 * Saves `text` as the user's message and starts the reply, whose events go to `onEvent` (the
 * listener is in place before the command runs). Resolves with the saved message.
 */
export function sendMessage(
  conversationId: number,
  text: string,
  onEvent: (event: ChatEvent) => void,
): Promise<Message | null> {
  return call("send_message", { conversationId, text, onEvent: chatChannel(onEvent) });
}

/** Streams a new reply to the conversation as it stands (retry, an unanswered question). */
export function respond(conversationId: number, onEvent: (event: ChatEvent) => void): Promise<void> {
  return call("respond", { conversationId, onEvent: chatChannel(onEvent) });
}

/** Sets the last reply aside as a hidden version and streams a new version of it. */
export function regenerate(conversationId: number, onEvent: (event: ChatEvent) => void): Promise<void> {
  return call("regenerate", { conversationId, onEvent: chatChannel(onEvent) });
}

/** Streams more text into the last reply (cut short or failed part-way): the same message grows. */
export function continueReply(
  conversationId: number,
  onEvent: (event: ChatEvent) => void,
): Promise<void> {
  return call("continue_reply", { conversationId, onEvent: chatChannel(onEvent) });
}

/** Replaces the last user message's text and streams a new reply; the old replies stay as versions. */
export function editAndResend(
  messageId: number,
  text: string,
  onEvent: (event: ChatEvent) => void,
): Promise<void> {
  return call("edit_and_resend", { messageId, text, onEvent: chatChannel(onEvent) });
}

/** Shows another version of the last reply; resolves with it. */
export function selectVersion(messageId: number): Promise<Message> {
  return call("select_version", { messageId });
}

/** The versions of the reply `messageId` belongs to, oldest first. */
export function listVersions(messageId: number): Promise<ReplyVersion[]> {
  return call("list_versions", { messageId });
}

/** Stops the conversation's streaming reply; resolves false when there was none. */
export function stopReply(conversationId: number): Promise<boolean> {
  return call("stop_reply", { conversationId });
}

/** Ids of the conversations with a reply streaming now. */
export function streamingConversations(): Promise<number[]> {
  return call("streaming_conversations");
}

/** Opens an http(s) or mailto link in the system browser or mail client. */
export function openLink(url: string): Promise<void> {
  return call("open_link", { url });
}

/** Fetches an image from a reply that the user asked to see; resolves with a `data:` URL. */
export function loadImage(url: string): Promise<RemoteImage> {
  return call("load_image", { url });
}

/** The server replies come from, e.g. `http://localhost:1234/v1`. */
export function getEndpoint(): Promise<string> {
  return call("get_endpoint");
}

/** Saves the server URL; resolves with it normalised. */
export function setEndpoint(url: string): Promise<string> {
  return call("set_endpoint", { url });
}

/** The models the server at `url` offers (fails with a helpful error when none answers). */
export function listModels(url: string): Promise<ModelInfo[]> {
  return call("list_models", { url });
}

/** The app's settings, the server, and whether an API key is kept for it (never the key). */
export function getSettings(): Promise<SettingsView> {
  return call("get_settings");
}

/** Checks and saves the app's settings; resolves with them as saved. */
export function saveSettings(settings: AppSettings): Promise<AppSettings> {
  return call("save_settings", { settings });
}

/** Keeps the current server's API key (empty removes it); says where it is kept. */
export function setApiKey(key: string): Promise<KeyStorage | null> {
  return call("set_api_key", { key });
}

export function getChatOptions(id: number): Promise<ChatOptions> {
  return call("get_chat_options", { id });
}

/** Saves a chat's own options; resolves with the updated chat. */
export function saveChatOptions(id: number, options: ChatOptions): Promise<Conversation> {
  return call("save_chat_options", { id, options });
}

/** Servers answering on the usual local ports. */
export function findServers(): Promise<FoundServer[]> {
  return call("find_servers");
}

/** Asks where to save the conversation (a native dialog) and exports it; null if cancelled. */
export function exportConversation(id: number, format: ExportFormat): Promise<Exported | null> {
  return call("export_conversation", { id, format });
}

/** Asks for a file to import (a native dialog) and previews it; null if cancelled. */
export function chooseImport(): Promise<ImportChoice | null> {
  return call("choose_import");
}

/** Imports the previewed file, reporting progress as it writes; returns the new conversations' ids. */
export function confirmImport(
  token: string,
  onProgress: (progress: ImportProgress) => void,
): Promise<number[]> {
  const ch = new Channel<ImportProgress>();
  ch.onmessage = onProgress;
  return call("confirm_import", { token, onProgress: ch });
}

/**
 * Hands the app's own changes (a chat the model has just named) to `onUpdate` from now on; a
 * second call replaces the first.
 */
export function watchUpdates(onUpdate: (update: ServiceUpdate) => void): Promise<void> {
  const ch = new Channel<ServiceUpdate>();
  ch.onmessage = (update) => {
    if (update.type === "database_damaged") noticeDamage(new AppError(update.code, update.message));
    onUpdate(update);
  };
  return call("watch_updates", { onUpdate: ch });
}

/** Forgets a previewed import. */
export function cancelImport(token: string): Promise<void> {
  return call("cancel_import", { token });
}

/** Pins a message (always sent to the model, however old) or unpins it. */
export function setMessagePinned(id: number, pinned: boolean): Promise<Message> {
  return call("set_message_pinned", { id, pinned });
}

/** What the next request of a conversation would carry (the memory panel). */
export function getContext(id: number): Promise<ContextView> {
  return call("get_context", { id });
}

/** Saves the user's edit of a conversation's summary. */
export function editSummary(id: number, content: string): Promise<Summary> {
  return call("edit_summary", { id, content });
}

// Start-up and the recovery screen: these run even when the database did not open.

/** Resolves once Confab has started; rejects with why it could not (the recovery screen's cue). */
export function startupStatus(): Promise<void> {
  return call("startup_status");
}

export function databaseInfo(): Promise<DatabaseInfo> {
  return call("database_info");
}

export function listSnapshots(): Promise<SnapshotInfo[]> {
  return call("list_snapshots");
}

/** Restores a snapshot (by file name) and starts again on it. */
export function restoreSnapshot(fileName: string): Promise<Restored> {
  return call("restore_snapshot", { fileName });
}

/** Asks where to save, then writes every chat that can still be read; `null` if cancelled. */
export function exportReadable(): Promise<ReadableExport | null> {
  return call("export_readable");
}

export function retryStart(): Promise<void> {
  return call("retry_start");
}

export function quitApp(): Promise<void> {
  return call("quit_app");
}

/** One page of the messages (and chat titles) matching `query`, best first. */
export function search(query: SearchQuery): Promise<SearchResults> {
  return call("search", { query });
}

export {
  chooseAttachments,
  attachPasted,
  discardAttachment,
  watchDrops,
  sendWithAttachments,
  attachmentImage,
  attachmentText,
  listDrafts,
  saveDraft,
  setModelVision,
} from "./attachments";

export {
  listToolServers,
  addToolServer,
  approveToolServer,
  setToolServerOn,
  removeToolServer,
  revokeToolAllowance,
  openToolLog,
  decideToolCall,
  getChatToolServers,
  setChatToolServers,
  getProjectToolServers,
  setProjectToolServers,
} from "./tools";
