// Replies streaming (or just finished) in any conversation, kept outside the views so a reply
// keeps updating while its chat is not on screen, and shows live again when it is.
import type { ChatEvent, Conversation, Message } from "../../ipc";
import { announce } from "../shared/announcer.svelte";
import { replyAnnouncement } from "./announcements";
import { ask, settle, settleAll, withCall } from "../tools/consents.svelte";

export interface LiveReply {
  conversationId: number;
  userMessage: Message | null;
  reply: Message;
  /** Messages the turn set aside as hidden versions (a regenerated reply, an edited question's
   * replies): no longer part of the conversation. */
  hidden: number[];
  reasoning: string;
  /** Earlier replies of this turn that called tools, with their calls (the turn goes on in
   * `reply` once their results are in). */
  rounds: Message[];
  /** True from the turn's start to its end, also while its tool calls wait or run. */
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

/** Returns the handler for one turn's events in `conversationId` (a turn with tool calls has
 * several replies, each with its own `started`). */
export function replyHandler(conversationId: number): (event: ChatEvent) => void {
  let title: string | null = null;
  const ended = () => {
    settleAll(conversationId);
    changeListeners.forEach((l) => l(null));
  };
  return (event) => {
    switch (event.type) {
      case "started": {
        title = event.conversation.title;
        const earlier = live[conversationId];
        if (earlier?.streaming && event.user_message === null && earlier.reply.finish_reason === "tool_calls") {
          // The next round of the same turn: the reply that called tools stays on screen above.
          earlier.rounds.push(earlier.reply);
          earlier.reply = event.reply;
          earlier.reasoning = "";
          break;
        }
        live[conversationId] = {
          conversationId,
          userMessage: event.user_message,
          // A continued reply starts with the text it had; the deltas are appended to it.
          reply: event.reply,
          hidden: event.hidden,
          reasoning: "",
          rounds: [],
          streaming: true,
        };
        changeListeners.forEach((l) => l(event.conversation));
        break;
      }
      case "delta":
        queue(conversationId, event.text, "");
        break;
      case "reasoning":
        queue(conversationId, "", event.text);
        break;
      case "usage":
        break;
      case "tool_consent":
        ask(conversationId, event.request);
        announce(`The model asks to use the tool ${event.request.tool} of ${event.request.server}${conversationId === chatOnScreen ? "" : ` in ${title ?? `chat ${conversationId}`}`}.`);
        break;
      case "tool_call": {
        const entry = live[conversationId];
        const call = event.call;
        if (call.decision !== "pending") settle(conversationId, call.id);
        if (!entry) break;
        for (const m of [...entry.rounds, entry.reply]) {
          if (m.id === call.message_id) m.tool_calls = withCall(m.tool_calls, call);
        }
        // A call is cancelled only when the turn was stopped: nothing follows.
        if (call.decision === "cancelled" && entry.streaming) {
          entry.streaming = false;
          ended();
        }
        break;
      }
      case "done":
      case "error":
      case "cancelled": {
        flush();
        const entry = live[conversationId];
        const more = event.type === "done" && event.finish_reason === "tool_calls";
        if (entry) {
          entry.reply = event.message;
          // A reply that called tools: the turn goes on once they are decided and run.
          entry.streaming = more;
        }
        if (more) break;
        ended();
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
  for (const m of [entry.userMessage, ...entry.rounds, entry.reply]) {
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
