// @vitest-environment jsdom
// What a screen reader hears of a reply: one announcement when it ends, none while it streams.
import { describe, expect, it, vi } from "vitest";
import type { ChatEvent, Conversation, Message } from "../../ipc";
import { announcement } from "../shared/announcer.svelte";
import { replyAnnouncement, spokenText, SPOKEN_CHARS } from "./announcements";
import { replyHandler, setChatOnScreen } from "./replies.svelte";

const reply = (content: string, status: Message["status"] = "complete"): Message => ({
  id: 2,
  conversation_id: 1,
  role: "assistant",
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
});
const chat = { id: 1, title: "Capitals" } as Conversation;

describe("replyAnnouncement", () => {
  it("says a reply finished, with its opening words", () => {
    const done = { type: "done", message: reply("Paris is the capital."), finish_reason: "stop" } as const;
    expect(replyAnnouncement(done)).toBe("Reply finished: Paris is the capital.");
    expect(replyAnnouncement(done, "Capitals")).toBe("Reply finished in “Capitals”: Paris is the capital.");
    expect(replyAnnouncement({ ...done, message: { ...reply("Paris is the capital."), ended: "length" } })).toBe(
      "Reply cut short at its length limit: Paris is the capital.",
    );
    expect(replyAnnouncement({ ...done, message: reply("") })).toBe("Reply finished.");
  });

  it("says a reply stopped or failed, and why", () => {
    expect(replyAnnouncement({ type: "cancelled", message: reply("Par", "interrupted") })).toBe("Reply stopped.");
    expect(
      replyAnnouncement({ type: "error", message: reply("", "error"), code: "unreachable", error: "no server at http://localhost:8080" }),
    ).toBe("Reply failed: no server at http://localhost:8080");
  });
});

describe("spokenText", () => {
  it("reads Markdown as words: no marks, link targets or code", () => {
    const md = "# Answer\n\nUse **`Vec::new()`** — see [the docs](https://doc.rust-lang.org).\n\n```rust\nlet v = Vec::new();\n```\n\n- one\n- two";
    expect(spokenText(md)).toBe("Answer Use Vec::new() — see the docs. (code) one two");
    expect(spokenText("a snake_case name")).toBe("a snake_case name");
  });

  it("cuts a long reply at a word", () => {
    const long = "word ".repeat(100);
    const spoken = spokenText(long);
    expect(spoken.length).toBeLessThanOrEqual(SPOKEN_CHARS + 1);
    expect(spoken).toMatch(/word…$/);
  });
});

describe("announcing replies", () => {
  it("announces a streamed reply once, when it finishes, not per token", () => {
    vi.useFakeTimers();
    setChatOnScreen(1);
    const before = announcement.seq;
    const onEvent = replyHandler(1);
    onEvent({ type: "started", conversation: chat, user_message: null, reply: reply("", "streaming"), hidden: [] });
    for (const word of "Paris is the capital of France.".split(/(?= )/)) {
      onEvent({ type: "delta", message_id: 2, text: word } satisfies ChatEvent);
      vi.advanceTimersByTime(20);
    }
    expect(announcement.seq).toBe(before);
    onEvent({ type: "done", message: reply("Paris is the capital of France."), finish_reason: "stop" });
    expect(announcement.seq).toBe(before + 1);
    expect(announcement.text).toBe("Reply finished: Paris is the capital of France.");
    vi.useRealTimers();
  });

  it("names the chat of a reply that ends while another is on screen", () => {
    setChatOnScreen(9);
    const onEvent = replyHandler(1);
    onEvent({ type: "started", conversation: chat, user_message: null, reply: reply("", "streaming"), hidden: [] });
    onEvent({ type: "cancelled", message: reply("Par", "interrupted") });
    expect(announcement.text).toBe("Reply stopped in “Capitals”.");
  });
});
