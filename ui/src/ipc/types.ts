// The wire types. Every type the Rust side sends or takes is generated from its Rust definition
// into ./bindings.ts (`make bindings`, see src-tauri/src/bindings.rs): never write one here by
// hand. This file re-exports them and adds the few names only the UI uses.
import type { Conversation, ConversationCursor, Page } from "./bindings";

export type * from "./bindings";
export { ERROR_CODES, EXPORT_FORMATS } from "./bindings";

/** A page of the chat list; hand `next` back for the following page. */
export type ConversationPage = Page<Conversation, ConversationCursor>;
