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
}

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
}
