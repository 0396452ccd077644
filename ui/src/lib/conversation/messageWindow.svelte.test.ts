// @vitest-environment jsdom
// Which messages the conversation draws: those near the viewport, those it must keep (the one
// being edited, the one with the focus), and spacers as tall as the rest.
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../../ipc";
import { estimateHeight, MessageWindow, messageIdOf, slotsOf, type Slot } from "./messageWindow.svelte";

function message(id: number, content = `message ${id}`): Message {
  return {
    id,
    conversation_id: 1,
    role: id % 2 ? "user" : "assistant",
    content,
    status: "complete",
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
    stats: { first_token_ms: null, generation_ms: null, tokens_per_second: null, prompt_per_second: null, cached_tokens: null, from_server: [] },
    attachments: [],
    ended: null,
    tool_calls: [],
  };
}

const drawn = (slots: Slot[]) => slots.flatMap((s) => (s.kind === "message" ? [s.message.id] : []));
const gaps = (slots: Slot[]) => slots.flatMap((s) => (s.kind === "gap" ? [s.height] : []));

beforeEach(() => {
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  );
});
afterEach(() => vi.unstubAllGlobals());

describe("estimateHeight", () => {
  it("grows with the lines a message wraps into", () => {
    const short = estimateHeight(message(1, "hi"));
    expect(estimateHeight(message(1, "a\nb\nc"))).toBeGreaterThan(short);
    expect(estimateHeight(message(1, "x".repeat(900)))).toBeGreaterThan(estimateHeight(message(1, "x".repeat(90))));
  });
});

describe("slotsOf", () => {
  it("stands a gap as tall as the messages between the drawn ones", () => {
    const messages = [1, 2, 3, 4, 5, 6].map((id) => message(id));
    const offsets = [0, 10, 30, 60, 100, 150, 210];
    const slots = slotsOf(messages, [2, 3, 5], offsets);
    expect(drawn(slots)).toEqual([3, 4, 6]);
    // Before message 3 (messages 1 and 2), and between 4 and 6 (message 5).
    expect(gaps(slots)).toEqual([30, 50]);
    expect(slotsOf(messages, [], offsets)).toEqual([{ kind: "gap", key: "gap-above", height: 210 }]);
  });
});

describe("MessageWindow", () => {
  function setUp(count: number, keep: number | null = null) {
    const messages = Array.from({ length: count }, (_, i) => message(i + 1));
    let window!: MessageWindow;
    const destroy = $effect.root(() => {
      window = new MessageWindow(
        () => messages,
        () => keep,
        () => null,
      );
    });
    return { window, messages, destroy };
  }

  it("draws the end while following it, and a band around the viewport once scrolled", () => {
    const { window, destroy } = setUp(500);
    window.height = 600;
    flushSync();
    const atEnd = drawn(window.slots);
    expect(atEnd.at(-1)).toBe(500);
    expect(atEnd.length).toBeLessThan(60);

    window.atEnd = false;
    window.top = 10_000;
    flushSync();
    const middle = drawn(window.slots);
    expect(middle.length).toBeLessThan(60);
    expect(middle[0]).toBeGreaterThan(1);
    expect(middle.at(-1)).toBeLessThan(500);
    // The spacers and the drawn messages add up to the whole list's height.
    const row = estimateHeight(message(1));
    const total = gaps(window.slots).reduce((a, b) => a + b, 0) + middle.length * row;
    expect(total).toBe(500 * row);
    destroy();
  });

  it("keeps the message being edited and the one with the focus, wherever they are", () => {
    const { window, destroy } = setUp(500, 3);
    window.height = 600;
    window.focused = 250;
    flushSync();
    const ids = drawn(window.slots);
    expect(ids).toContain(3);
    expect(ids).toContain(250);
    expect(ids.at(-1)).toBe(500);
    // Drawn in order, each once.
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    destroy();
  });
});

describe("messageIdOf", () => {
  it("names the message an element is in", () => {
    const article = document.createElement("article");
    article.dataset.messageId = "42";
    const button = document.createElement("button");
    article.append(button);
    expect(messageIdOf(button)).toBe(42);
    expect(messageIdOf(document.body)).toBeNull();
    expect(messageIdOf(null)).toBeNull();
  });
});
