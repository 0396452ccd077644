// @vitest-environment jsdom
// The controller's paging against a store of 350 messages held in the test: open at a message in
// the middle, page up to the start and down to the end, then follow a reply streaming there.
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatEvent, Message } from "../../ipc";

const CHAT = 7;
const TOTAL = 350;
let store: Message[] = [];
const listMessages = vi.fn(
  async (conversationId: number, limit: number, before: number | null = null, after: number | null = null) => {
    expect(conversationId).toBe(CHAT);
    if (after !== null) return store.filter((m) => m.id > after).slice(0, limit);
    const older = before === null ? store : store.filter((m) => m.id < before);
    return older.slice(-limit);
  },
);
let onReply: ((event: ChatEvent) => void) | null = null;
const sendMessage = vi.fn(async (_id: number, _text: string, onEvent: (event: ChatEvent) => void) => {
  onReply = onEvent;
  return null;
});

vi.mock("../../ipc", () => ({
  AppError: { from: (e: unknown) => e },
  listMessages: (...args: Parameters<typeof listMessages>) => listMessages(...args),
  sendMessage: (...args: Parameters<typeof sendMessage>) => sendMessage(...args),
  editAndResend: vi.fn(),
  setMessagePinned: vi.fn(),
  stopReply: vi.fn(),
}));
// The Markdown renderer is ready: messages show at once.
vi.mock("../markdown/renderer.svelte", () => ({ renderer: { pending: false, load: () => {} } }));

const { ConversationController, MAX_LOADED, PAGE_SIZE } = await import("./conversation.svelte");
const { estimateHeight } = await import("./messageWindow.svelte");
const { live, replyHandler } = await import("./replies.svelte");

function message(id: number, status: Message["status"] = "complete", content = `message ${id}`): Message {
  return {
    id,
    conversation_id: CHAT,
    role: id % 2 ? "user" : "assistant",
    content,
    status,
    error: null,
    model: null,
    prompt_tokens: null,
    completion_tokens: null,
    created_at: "2026-11-24T10:00:00Z",
    completed_at: null,
    pinned: false,
    version_of: null,
    hidden: false,
    reasoning: "",
    finish_reason: null,
    ended: null,
    stats: { first_token_ms: null, generation_ms: null, tokens_per_second: null, prompt_per_second: null, cached_tokens: null, from_server: [] },
    attachments: [],
    tool_calls: [],
  };
}

/** Lets the answers, the effects, tick() and two animation frames run. */
async function settle() {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

/** Every message of the test is as high as the window guesses it to be: nothing is measured. */
const ROW = estimateHeight(message(1));
const VIEW = 500;

/**
 * A controller with a stand-in for the view: the list holds what the message window draws, an
 * article ROW px high per message drawn and a spacer for the rest, in a scroller VIEW px high.
 */
function setUp() {
  const scroller = document.createElement("div");
  let top = 0;
  const height = () =>
    [...scroller.children].reduce((sum, e) => sum + (e.tagName === "ARTICLE" ? ROW : Number((e as HTMLElement).dataset.height)), 0);
  Object.defineProperties(scroller, {
    scrollHeight: { get: height },
    clientHeight: { get: () => VIEW },
    scrollTop: {
      get: () => top,
      set: (value: number) => (top = Math.max(0, Math.min(value, height() - VIEW))),
    },
  });
  let chat!: InstanceType<typeof ConversationController>;
  const destroy = $effect.root(() => {
    chat = new ConversationController();
    chat.scroller = scroller;
    $effect(() => {
      scroller.replaceChildren(
        ...chat.window.slots.map((slot) => {
          if (slot.kind === "gap") {
            const gap = document.createElement("div");
            gap.dataset.height = String(slot.height);
            return gap;
          }
          const article = document.createElement("article");
          article.dataset.testid = "message";
          article.dataset.id = String(slot.message.id);
          article.dataset.messageId = String(slot.message.id);
          return article;
        }),
      );
    });
  });
  const scrollTo = (where: "top" | "bottom") => {
    scroller.scrollTop = where === "top" ? 0 : scroller.scrollHeight;
    chat.onScroll();
  };
  return { chat, scroller, scrollTo, destroy };
}

const ids = (list: Message[]) => list.map((m) => m.id);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let shown: string[] = [];
beforeEach(() => {
  store = range(1, TOTAL).map((id) => message(id));
  shown = [];
  Element.prototype.scrollIntoView = function (this: HTMLElement) {
    shown.push(this.dataset.id!);
  };
  vi.stubGlobal("requestAnimationFrame", (callback: () => void) => setTimeout(callback, 0));
  // jsdom lays nothing out: the stand-in's heights are the window's guesses, never measured.
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  );
  listMessages.mockClear();
});
afterEach(() => {
  vi.unstubAllGlobals();
  for (const key of Object.keys(live)) delete live[Number(key)];
});

describe("ConversationController", () => {
  it("opens a chat at its newest messages and follows the end", async () => {
    const { chat, scroller, destroy } = setUp();
    await chat.show(CHAT);
    await settle();
    expect(listMessages).toHaveBeenCalledWith(CHAT, PAGE_SIZE);
    expect(ids(chat.messages)).toEqual(range(TOTAL - PAGE_SIZE + 1, TOTAL));
    expect(chat.hasOlder).toBe(true);
    expect(chat.hasNewer).toBe(false);
    expect(chat.last?.id).toBe(TOTAL);
    expect(scroller.scrollTop).toBe(scroller.scrollHeight - VIEW);
    destroy();
  });

  it("opens at a message in the middle, pages up to the start and down to the end, then follows a reply", async () => {
    const { chat, scroller, scrollTo, destroy } = setUp();
    await chat.openAt(0); // no chat shown yet: nothing to read
    expect(listMessages).not.toHaveBeenCalled();

    await chat.show(CHAT, 200);
    await settle();
    expect(listMessages).toHaveBeenCalledWith(CHAT, PAGE_SIZE, 201);
    expect(listMessages).toHaveBeenCalledWith(CHAT, PAGE_SIZE, null, 200);
    expect(ids(chat.messages)).toEqual(range(101, 300));
    expect([chat.hasOlder, chat.hasNewer]).toEqual([true, true]);
    // The message is brought into view, and away from the end nothing follows it.
    expect(shown).toContain("200");
    expect(chat.following).toBe(false);
    // The turn actions and Edit act on the chat's last messages, which are not loaded.
    expect(chat.last).toBeUndefined();
    expect(chat.lastUserId).toBeNull();

    // Up: each page keeps what the reader sees in place, until the start.
    scrollTo("top");
    await settle();
    expect(ids(chat.messages)).toEqual(range(1, 300));
    expect(scroller.scrollTop).toBe(PAGE_SIZE * ROW);
    expect(chat.hasOlder).toBe(true);
    scrollTo("top");
    await settle();
    expect(chat.hasOlder).toBe(false);
    expect(chat.messages).toHaveLength(300);

    // Down to the end; past MAX_LOADED the oldest ones are let go, to be read again going up.
    scrollTo("bottom");
    await settle();
    expect(listMessages).toHaveBeenLastCalledWith(CHAT, PAGE_SIZE, null, 300);
    expect(ids(chat.messages)).toEqual(range(TOTAL - MAX_LOADED + 1, TOTAL));
    expect(chat.hasOlder).toBe(true);
    expect(chat.hasNewer).toBe(false);
    expect(chat.last?.id).toBe(TOTAL);
    expect(chat.following).toBe(false);

    // At the end, the reader at the bottom follows a reply as it streams in.
    scrollTo("bottom");
    expect(chat.following).toBe(true);
    expect(await chat.send("and then?")).toBe(true);
    const question = message(TOTAL + 1);
    const reply = message(TOTAL + 2, "streaming", "");
    onReply!({ type: "started", conversation: {} as never, user_message: question, reply, hidden: [] });
    onReply!({ type: "delta", message_id: reply.id, text: "Once" });
    await settle();
    expect(chat.streaming).toBe(true);
    expect(ids(chat.messages).slice(-3)).toEqual([TOTAL, TOTAL + 1, TOTAL + 2]);
    expect(chat.messages.at(-1)?.content).toBe("Once");
    expect(scroller.scrollTop).toBe(scroller.scrollHeight - VIEW);

    onReply!({ type: "done", message: message(TOTAL + 2, "complete", "Once upon a time"), finish_reason: "stop" });
    await settle();
    expect(chat.streaming).toBe(false);
    expect(live[CHAT]).toBeUndefined();
    // The finished turn joined the saved list, which keeps one page at the end of a long session.
    expect(ids(chat.saved)).toEqual(range(TOTAL + 2 - PAGE_SIZE + 1, TOTAL + 2));
    expect(chat.saved.at(-1)?.content).toBe("Once upon a time");
    expect(chat.hasOlder).toBe(true);
    expect(scroller.scrollTop).toBe(scroller.scrollHeight - VIEW);
    destroy();
  });

  it("keeps a reply streaming at the end out of the middle, and merges it once the end is read", async () => {
    const { chat, scrollTo, destroy } = setUp();
    await chat.show(CHAT, 100);
    await settle();
    expect(ids(chat.messages)).toEqual(range(1, 200));

    const events = replyHandler(CHAT);
    const reply = message(TOTAL + 2, "streaming", "");
    store.push(message(TOTAL + 1), reply);
    events({ type: "started", conversation: {} as never, user_message: message(TOTAL + 1), reply, hidden: [] });
    events({ type: "done", message: message(TOTAL + 2, "complete", "The end"), finish_reason: "stop" });
    await settle();
    expect(ids(chat.messages)).toEqual(range(1, 200));
    expect(live[CHAT]).toBeDefined();

    // The store still has the reply as it started; the finished one replaces it at the end.
    for (let page = 0; page < 2; page++) {
      expect(chat.hasNewer).toBe(true);
      scrollTo("bottom");
      await settle();
    }
    expect(chat.hasNewer).toBe(false);
    expect(ids(chat.messages)).toEqual(range(TOTAL + 2 - MAX_LOADED + 1, TOTAL + 2));
    expect(chat.messages.at(-1)?.content).toBe("The end");
    expect(live[CHAT]).toBeUndefined();
    destroy();
  });

  it("sends from the middle of a chat by reading its end first", async () => {
    const { chat, destroy } = setUp();
    await chat.show(CHAT, 50);
    await settle();
    expect(ids(chat.messages)).toEqual(range(1, 150));
    expect([chat.hasOlder, chat.hasNewer]).toEqual([false, true]);

    onReply = null;
    expect(await chat.send("hello")).toBe(true);
    onReply!({ type: "started", conversation: {} as never, user_message: message(TOTAL + 1), reply: message(TOTAL + 2, "streaming", ""), hidden: [] });
    await settle();
    expect(chat.hasNewer).toBe(false);
    expect(chat.following).toBe(true);
    expect(ids(chat.messages)).toEqual(range(TOTAL - PAGE_SIZE + 1, TOTAL + 2));
    destroy();
  });

  it("drops pages read for a chat no longer shown", async () => {
    const { chat, destroy } = setUp();
    const first = chat.show(CHAT, 200);
    const second = chat.show(CHAT);
    await Promise.all([first, second]);
    await settle();
    expect(ids(chat.messages)).toEqual(range(TOTAL - PAGE_SIZE + 1, TOTAL));
    expect(chat.hasNewer).toBe(false);
    expect(shown).toEqual([]);
    destroy();
  });
});
