import { describe, expect, it } from "vitest";
import type { Message } from "../../ipc";
import { withLive, type LiveReply } from "./replies.svelte";

const msg = (id: number, content: string, status: Message["status"] = "complete"): Message => ({
  id,
  conversation_id: 1,
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
});

describe("withLive", () => {
  const entry = (reply: Message, user: Message | null, hidden: number[] = []): LiveReply => ({
    conversationId: 1,
    userMessage: user,
    reply,
    hidden,
    reasoning: "",
    streaming: true,
  });

  it("appends a live question and reply the saved page does not have yet", () => {
    const out = withLive([msg(1, "hi"), msg(2, "hello")], entry(msg(4, "Par", "streaming"), msg(3, "capital?")));
    expect(out.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  it("replaces a saved copy of the reply with the live one", () => {
    const out = withLive([msg(3, "capital?"), msg(4, "P", "streaming")], entry(msg(4, "Paris", "streaming"), msg(3, "capital?")));
    expect(out.map((m) => m.content)).toEqual(["capital?", "Paris"]);
  });

  it("puts a regenerated reply in the place of the version it set aside", () => {
    const out = withLive([msg(1, "q"), msg(2, "first")], entry(msg(4, "sec", "streaming"), null, [2]));
    expect(out.map((m) => m.content)).toEqual(["q", "sec"]);
  });

  it("grows a continued reply in place", () => {
    const out = withLive(
      [msg(1, "q"), msg(2, "One, two,", "interrupted"), msg(3, "later")],
      entry(msg(2, "One, two, three", "streaming"), null),
    );
    expect(out.map((m) => m.content)).toEqual(["q", "One, two, three", "later"]);
  });

  it("shows an edited question in place and its old replies no more", () => {
    const out = withLive(
      [msg(1, "q"), msg(2, "a"), msg(3, "typo"), msg(4, "cut"), msg(6, "again")],
      entry(msg(8, "", "streaming"), msg(3, "fixed"), [4, 6]),
    );
    expect(out.map((m) => [m.id, m.content])).toEqual([
      [1, "q"],
      [2, "a"],
      [3, "fixed"],
      [8, ""],
    ]);
  });

  it("leaves the list alone without a live reply", () => {
    const saved = [msg(1, "hi")];
    expect(withLive(saved, undefined)).toBe(saved);
  });
});
