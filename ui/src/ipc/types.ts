// Mirrors of the JSON the shell sends (serde's shapes of confab-core's types).

/** RFC 3339 UTC timestamp. */
export type Timestamp = string;

export interface Conversation {
  id: number;
  title: string;
  system_prompt: string;
  model: string | null;
  params: Record<string, unknown>;
  created_at: Timestamp;
  updated_at: Timestamp;
  pinned: boolean;
  archived: boolean;
  /** Who named the chat: nobody yet, its first question, the model, or the user (or an import). */
  title_source: "default" | "first_message" | "model" | "user";
}

/** Something the app changed on its own, outside a reply the page follows. */
export type ServiceUpdate =
  | { type: "retitled"; conversation: Conversation }
  | { type: "summary_folded"; conversation_id: number };

/** Opaque keyset cursor: hand it back to get the next page. */
export type ConversationCursor = unknown;

export interface ConversationPage {
  items: Conversation[];
  next: ConversationCursor | null;
}

export type Role = "system" | "user" | "assistant";
export type MessageStatus = "complete" | "streaming" | "interrupted" | "error";

export interface Message {
  id: number;
  conversation_id: number;
  role: Role;
  content: string;
  status: MessageStatus;
  error: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
  pinned: boolean;
  /** The first version of the reply this is a version of (itself, for that one); null when the
   * reply was never regenerated. */
  version_of: number | null;
  /** A version not currently shown. */
  hidden: boolean;
  /** The model's reasoning that came with a reply ("" when none); never sent back to it. */
  reasoning: string;
  /** Why the model stopped a finished reply ("stop", "length", …); null when it did not say. */
  finish_reason: string | null;
}

/** One version of a reply, for the version switcher. */
export interface ReplyVersion {
  id: number;
  status: MessageStatus;
  hidden: boolean;
  created_at: Timestamp;
}

export interface Usage {
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
}

/** A reply's events, in order: started, deltas, then one of done / error / cancelled. */
export type ChatEvent =
  | {
      type: "started";
      conversation: Conversation;
      /** The question, when the reply answers a new or edited one. */
      user_message: Message | null;
      /** Streaming: empty, or the text so far when a reply is continued. */
      reply: Message;
      /** Messages this turn set aside as hidden versions: drop them from the view. */
      hidden: number[];
    }
  | { type: "delta"; message_id: number; text: string }
  | { type: "reasoning"; message_id: number; text: string }
  | { type: "usage"; message_id: number; usage: Usage }
  | { type: "done"; message: Message; finish_reason: unknown }
  | { type: "error"; message: Message; code: string; error: string }
  | { type: "cancelled"; message: Message };

export interface ModelInfo {
  id: string;
  context_length: number | null;
}

export interface FoundServer {
  base_url: string;
  models: string[];
}

/** Where an export went. */
export interface Exported {
  path: string;
  messages: number;
}

export type ExportFormat = "md" | "json" | "html" | "jsonl";

/** What an import file holds. */
export interface ImportPreview {
  source: "confab_conversation" | "confab_backup" | "chat_gpt";
  conversations: number;
  messages: number;
  skipped_messages: number;
  skipped_parts: number;
}

/** How far an import has come (the commit follows the last report). */
export interface ImportProgress {
  conversations_done: number;
  conversations_total: number;
  messages_done: number;
  messages_total: number;
}

/** A file read for import, waiting for the user's confirmation. */
export interface ImportChoice {
  token: string;
  file_name: string;
  preview: ImportPreview;
}

export type ContextPart =
  | { kind: "system_prompt" }
  | { kind: "summary"; summary_id: number; covers_through: number; edited_by_user: boolean }
  | { kind: "pinned"; message_id: number }
  | { kind: "recent"; message_id: number };

export interface ContextItem {
  part: ContextPart;
  role: "system" | "user" | "assistant";
  tokens: number;
  exact: boolean;
  bytes: number;
  why: string;
}

export type LeftOutReason =
  | "summarized"
  | "awaiting_summary"
  | "outside_window"
  | "failed"
  | "empty"
  | "pinned_did_not_fit";

export interface LeftOut {
  first: number;
  last: number;
  count: number | null;
  reason: LeftOutReason;
}

/** What the next request carries and why (confab-core's ContextReport). */
export interface ContextReport {
  conversation_id: number;
  strategy: "full_history" | "sliding_window" | "summary_window";
  tokenizer: string;
  context_length: number;
  context_source: "chat_setting" | "app_setting" | "server" | "model_setting" | "learned" | "default";
  reply_reserve: number;
  per_message_overhead: number;
  budget: number;
  used: number;
  exact: boolean;
  bytes_per_token: number;
  items: ContextItem[];
  left_out: LeftOut[];
  summary_pending: boolean;
  notes: string[];
}

export interface Summary {
  id: number;
  conversation_id: number;
  content: string;
  covers_through_message_id: number;
  token_count: number | null;
  model: string | null;
  created_at: string;
  edited_by_user: boolean;
}

export interface ContextView {
  report: ContextReport;
  texts: string[];
  summary: Summary | null;
}

export type Theme = "system" | "light" | "dark";

/** App-wide preferences and the defaults chats use unless they set their own. */
export interface AppSettings {
  theme: Theme;
  model: string | null;
  system_prompt: string;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
  context_length: number | null;
  /** Whether the model names a new chat after its first reply (else its first question does). */
  model_titles: boolean;
}

/** Where an API key is kept: the OS keyring, or only this session (with why). */
export type KeyStorage = { kind: "keyring" } | { kind: "session"; reason: string };

export interface SettingsView {
  settings: AppSettings;
  endpoint: string;
  api_key: KeyStorage | null;
}

export type MemoryStrategy = "summary_window" | "sliding_window" | "full_history";

/** One chat's own options; null means the app's default. */
export interface ChatOptions {
  system_prompt: string;
  model: string | null;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
  context_length: number | null;
  memory: MemoryStrategy;
}

/** An image fetched for a reply on the user's request. */
export interface RemoteImage {
  mime: string;
  bytes: number;
  data_url: string;
}
