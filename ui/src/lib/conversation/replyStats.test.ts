import { describe, expect, it } from "vitest";
import type { Message, ReplyStats } from "../../ipc";
import { finishedAs, seconds, speed, statsDescription, statsParts, tokens } from "./replyStats";

const NO_STATS: ReplyStats = {
  first_token_ms: null,
  generation_ms: null,
  tokens_per_second: null,
  prompt_per_second: null,
  cached_tokens: null,
  from_server: [],
};

function reply(over: Partial<Message> = {}, stats: Partial<ReplyStats> = {}): Message {
  return {
    id: 2,
    conversation_id: 1,
    role: "assistant",
    content: "Bonjour !",
    status: "complete",
    error: null,
    model: "qwen2.5-0.5b",
    prompt_tokens: 120,
    completion_tokens: 42,
    created_at: "2026-01-01T00:00:00Z",
    completed_at: "2026-01-01T00:00:02Z",
    pinned: false,
    version_of: null,
    hidden: false,
    reasoning: "",
    finish_reason: "stop",
    ended: "stop",
    attachments: [],
    tool_calls: [],
    ...over,
    stats: { ...NO_STATS, ...stats },
  };
}

const LLAMA: Partial<ReplyStats> = {
  first_token_ms: 82,
  generation_ms: 1102,
  tokens_per_second: 38.1,
  prompt_per_second: 294.1,
  cached_tokens: 96,
  from_server: ["first_token", "generation", "speed"],
};

describe("figures", () => {
  it("reads seconds at the precision that matters", () => {
    expect(seconds(420)).toBe("0.42 s");
    expect(seconds(0)).toBe("0.00 s");
    expect(seconds(9_994)).toBe("9.99 s");
    expect(seconds(12_340)).toBe("12.3 s");
    expect(seconds(125_000)).toBe("2 min 5 s");
  });

  it("reads speeds and token counts", () => {
    expect(speed(38.14)).toBe("38.1 tok/s");
    expect(speed(7)).toBe("7.0 tok/s");
    expect(speed(1234.6)).toBe("1235 tok/s");
    expect(tokens(1)).toBe("1 token");
    expect(tokens(1234)).toBe("1,234 tokens");
  });
});

describe("the compact line", () => {
  it("has the model, tokens, first token, speed and how it finished", () => {
    expect(statsParts(reply({}, LLAMA)).map((p) => p.text)).toEqual([
      "qwen2.5-0.5b",
      "42 tokens",
      "first token 0.08 s",
      "38.1 tok/s",
      "finished: stop",
    ]);
  });

  it("leaves out what is unknown, and says nothing for an old reply that knows nothing", () => {
    const measured = reply({ completion_tokens: null, model: null }, { first_token_ms: 1830 });
    expect(statsParts(measured).map((p) => p.key)).toEqual(["first-token", "finished"]);
    expect(statsParts(reply({ model: null, completion_tokens: null }))).toEqual([]);
    expect(statsDescription(reply({ model: null, completion_tokens: null }))).toBe("");
  });

  it("shows nothing for questions and for replies still streaming", () => {
    expect(statsParts(reply({ role: "user" }, LLAMA))).toEqual([]);
    expect(statsParts(reply({ status: "streaming" }, LLAMA))).toEqual([]);
    expect(statsDescription(reply({ status: "streaming" }, LLAMA))).toBe("");
  });

  it("names how a reply ended from the ending stored with it, never from the error's text", () => {
    expect(finishedAs(reply({ finish_reason: "length", ended: "length" }))).toBe("length limit");
    expect(finishedAs(reply({ finish_reason: "eos_token", ended: "complete" }))).toBe("eos_token");
    expect(finishedAs(reply({ finish_reason: null, ended: "complete" }))).toBeNull();
    expect(finishedAs(reply({ status: "interrupted", error: "anything at all", finish_reason: null, ended: "stopped" }))).toBe(
      "stopped",
    );
    // The words of the error do not matter: a lost connection whose text starts with "stopped".
    expect(
      finishedAs(reply({ status: "interrupted", error: "stopped by you", finish_reason: null, ended: "interrupted" })),
    ).toBe("interrupted");
    expect(finishedAs(reply({ status: "interrupted", error: "x", finish_reason: null, ended: "exited" }))).toBe(
      "Confab quit",
    );
    expect(finishedAs(reply({ status: "error", error: "boom", finish_reason: null, ended: "failed" }))).toBe("failed");
    expect(finishedAs(reply({ status: "streaming", ended: null }))).toBeNull();
  });
});
