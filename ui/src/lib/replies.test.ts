import { describe, expect, it } from "vitest";
import type { Message } from "../ipc";
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
});

describe("withLive", () => {
  const entry = (reply: Message, user: Message | null): LiveReply => ({
    conversationId: 1,
    userMessage: user,
    reply,
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

  it("leaves the list alone without a live reply", () => {
    const saved = [msg(1, "hi")];
    expect(withLive(saved, undefined)).toBe(saved);
  });
});
