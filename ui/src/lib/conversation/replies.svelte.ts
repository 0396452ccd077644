// Replies streaming (or just finished) in any conversation, kept outside the views so a reply
// keeps updating while its chat is not on screen, and shows live again when it is.
import type { ChatEvent, Conversation, Message } from "../../ipc";
import { announce } from "../shared/announcer.svelte";
import { replyAnnouncement } from "./announcements";

export interface LiveReply {
  conversationId: number;
  userMessage: Message | null;
  reply: Message;
  /** Messages the turn set aside as hidden versions (a regenerated reply, an edited question's
   * replies): no longer part of the conversation. */
  hidden: number[];
  reasoning: string;
  streaming: boolean;
}

export const live: Record<number, LiveReply> = $state({});

/** Listeners for conversations whose title or activity changed (the sidebar refreshes). */
const changeListeners = new Set<(conversation: Conversation | null) => void>();

export function onConversationChanged(listener: (c: Conversation | null) => void): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

// Deltas are merged per animation frame on their way to the DOM.
const pending = new Map<number, { text: string; reasoning: string }>();
let frameRequested = false;

function flush() {
  frameRequested = false;
  for (const [conversationId, add] of pending) {
    const entry = live[conversationId];
    if (!entry) continue;
    entry.reply.content += add.text;
    entry.reasoning += add.reasoning;
  }
  pending.clear();
}

function queue(conversationId: number, text: string, reasoning: string) {
  const slot = pending.get(conversationId) ?? { text: "", reasoning: "" };
  slot.text += text;
  slot.reasoning += reasoning;
  pending.set(conversationId, slot);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(flush);
  }
}

/** The chat on screen: a reply that ends elsewhere is announced with its chat's title. */
let chatOnScreen: number | null = null;

export function setChatOnScreen(conversationId: number | null): void {
  chatOnScreen = conversationId;
}

/** Returns the handler for one reply's events in `conversationId`. */
export function replyHandler(conversationId: number): (event: ChatEvent) => void {
  let title: string | null = null;
  return (event) => {
    switch (event.type) {
      case "started":
        title = event.conversation.title;
        live[conversationId] = {
          conversationId,
          userMessage: event.user_message,
          // A continued reply starts with the text it had; the deltas are appended to it.
          reply: event.reply,
          hidden: event.hidden,
          reasoning: "",
          streaming: true,
        };
        changeListeners.forEach((l) => l(event.conversation));
        break;
      case "delta":
        queue(conversationId, event.text, "");
        break;
      case "reasoning":
        queue(conversationId, "", event.text);
        break;
      case "usage":
        break;
      case "done":
      case "error":
      case "cancelled": {
        flush();
        const entry = live[conversationId];
        if (entry) {
          entry.reply = event.message;
          entry.streaming = false;
        }
        changeListeners.forEach((l) => l(null));
        // Said once as the reply ends; the tokens before were not (the list is no live region).
        announce(replyAnnouncement(event, conversationId === chatOnScreen ? null : (title ?? `chat ${conversationId}`)));
        break;
      }
    }
  };
}

/**
 * The saved messages with the live reply (and its question) merged in, by id, and the messages
 * its turn set aside left out.
 */
export function withLive(messages: Message[], entry: LiveReply | undefined): Message[] {
  if (!entry) return messages;
  const out = entry.hidden.length ? messages.filter((m) => !entry.hidden.includes(m.id)) : [...messages];
  for (const m of [entry.userMessage, entry.reply]) {
    if (!m) continue;
    const at = out.findIndex((x) => x.id === m.id);
    if (at >= 0) out[at] = m;
    else if (out.length === 0 || out[out.length - 1]!.id < m.id) out.push(m);
  }
  return out;
}

/**
 * Forgets a finished reply of `conversationId` once the view's own list has taken it in (after a
 * version switch, the saved list is the truth again).
 */
export function forgetFinished(conversationId: number): void {
  if (live[conversationId] && !live[conversationId].streaming) delete live[conversationId];
}

export function isStreaming(conversationId: number): boolean {
  return live[conversationId]?.streaming ?? false;
}
