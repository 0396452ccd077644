// Attachments through the one door to Rust: the files are read in Rust (after its native dialog,
// a drop on the window, or a paste whose bytes are sent here); the page holds tokens, names,
// sizes and image previews, never a path.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Attached, ChatEvent, DropEvent, Message, PendingAttachment, SavedDraft } from "./types";
import { AppError, chatChannel, noticeDamage } from "./index";

async function call<T>(command: string, args?: Record<string, unknown> | Uint8Array, headers?: Record<string, string>): Promise<T> {
  try {
    return await invoke<T>(command, args, headers ? { headers } : undefined);
  } catch (raw) {
    throw noticeDamage(AppError.from(raw));
  }
}

/** Opens the native open dialog; the files chosen are read and checked in Rust. */
export function chooseAttachments(): Promise<Attached> {
  return call("choose_attachments");
}

/** Sends a pasted file's bytes (raw, not JSON) to be checked and held. */
export async function attachPasted(name: string, bytes: Uint8Array): Promise<PendingAttachment> {
  // Header values must be ASCII: the name is percent-encoded, and decoded… not at all in Rust,
  // so keep it readable by falling back to a plain name when it is not ASCII.
  const safe = /^[\x20-\x7e]*$/.test(name) ? name : "pasted image";
  return call("attach_pasted", bytes, { "x-file-name": safe });
}

export function discardAttachment(token: string): Promise<void> {
  return call("discard_attachment", { token });
}

/** Where drags over the window and drops are reported (one listener for the app). */
export function watchDrops(onEvent: (event: DropEvent) => void): Promise<void> {
  const ch = new Channel<DropEvent>();
  ch.onmessage = onEvent;
  return call("watch_drops", { onEvent: ch });
}

/** Saves the message with the files held under `tokens` and starts the reply (like sendMessage). */
export function sendWithAttachments(
  conversationId: number,
  text: string,
  tokens: string[],
  onEvent: (event: ChatEvent) => void,
): Promise<Message | null> {
  return call("send_with_attachments", { conversationId, text, tokens, onEvent: chatChannel(onEvent) });
}

/** A stored image of a message, as a `data:` URL. */
export function attachmentImage(id: number): Promise<string> {
  return call("attachment_image", { id });
}

/** A stored text file's text, for its chip in the chat. */
export function attachmentText(id: number): Promise<string> {
  return call("attachment_text", { id });
}

/** Every chat's unsent draft, its files held again under new tokens (the page's old ones go). */
export function listDrafts(): Promise<SavedDraft[]> {
  return call("list_drafts");
}

/**
 * Keeps chat `conversationId`'s unsent text, and with `tokens`, the files held under them in
 * place of those kept before; `null` leaves its files as they are.
 */
export function saveDraft(conversationId: number, text: string, tokens: string[] | null): Promise<void> {
  return call("save_draft", { conversationId, text, tokens });
}

/** Tells Confab that the chat's model takes images (for servers that do not say). */
export function setModelVision(conversationId: number, takesImages: boolean | null): Promise<void> {
  return call("set_model_vision", { conversationId, takesImages });
}
