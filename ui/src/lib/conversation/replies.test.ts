import { describe, expect, it } from "vitest";
import type { Message } from "../../ipc";
import { live, replyHandler, withLive, type LiveReply } from "./replies.svelte";
import { consents } from "../tools/consents.svelte";

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
  tool_calls: [],
});

describe("withLive", () => {
  const entry = (reply: Message, user: Message | null, hidden: number[] = []): LiveReply => ({
    conversationId: 1,
    userMessage: user,
    reply,
    hidden,
    reasoning: "",
    rounds: [],
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

describe("a turn with tool calls", () => {
  const conversation = { id: 7, title: "Tools" } as unknown as import("../../ipc").Conversation;
  const call = (decision: import("../../ipc").ToolDecision, result: string | null = null) =>
    ({ id: 31, message_id: 2, position: 0, call_id: "c1", function_name: "t__echo", server: "t", tool: "echo", arguments: "{}", decision, reason: null, result, result_bytes: null, is_error: false, requested_at: "", decided_at: null, started_at: null, finished_at: null }) as import("../../ipc").ToolCallRecord;
  const request = { call_id: 31, conversation_id: 7, server_id: 1, server: "t", tool: "echo", description: "", read_only: true, destructive: false, open_world: false, arguments: "{}", tool_hash: "h" };

  it("keeps each round's reply on screen, asks, and ends only when the model answers", () => {
    const on = replyHandler(7);
    const first = { ...msg(2, ""), conversation_id: 7 };
    on({ type: "started", conversation, user_message: { ...msg(1, "q"), conversation_id: 7 }, reply: { ...first, status: "streaming" }, hidden: [] });
    on({ type: "done", message: { ...first, finish_reason: "tool_calls", tool_calls: [call("pending")] }, finish_reason: "tool_calls" });
    expect(live[7]!.streaming).toBe(true);
    on({ type: "tool_consent", request });
    expect(consents[7]?.map((r) => r.call_id)).toEqual([31]);
    on({ type: "tool_call", call: call("allowed_once") });
    expect(consents[7]).toBeUndefined();
    on({ type: "tool_call", call: call("allowed_once", "hi") });
    expect(live[7]!.reply.tool_calls[0]!.result).toBe("hi");

    const second = { ...msg(4, ""), conversation_id: 7 };
    on({ type: "started", conversation, user_message: null, reply: { ...second, status: "streaming" }, hidden: [] });
    expect(live[7]!.rounds.map((m) => m.id)).toEqual([2]);
    on({ type: "done", message: { ...second, content: "It said hi." }, finish_reason: "stop" });
    expect(live[7]!.streaming).toBe(false);
    expect(withLive([], live[7]).map((m) => m.id)).toEqual([1, 2, 4]);
  });

  it("ends when a call is stopped", () => {
    const on = replyHandler(8);
    const first = { ...msg(2, ""), conversation_id: 8 };
    on({ type: "started", conversation: { ...conversation, id: 8 }, user_message: null, reply: { ...first, status: "streaming" }, hidden: [] });
    on({ type: "done", message: { ...first, finish_reason: "tool_calls", tool_calls: [call("pending")] }, finish_reason: "tool_calls" });
    on({ type: "tool_consent", request: { ...request, conversation_id: 8 } });
    on({ type: "tool_call", call: call("cancelled") });
    expect(live[8]!.streaming).toBe(false);
    expect(consents[8]).toBeUndefined();
  });
});
