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

  it("names how a reply ended", () => {
    expect(finishedAs(reply({ finish_reason: "length" }))).toBe("length limit");
    expect(finishedAs(reply({ finish_reason: "eos_token" }))).toBe("eos_token");
    expect(finishedAs(reply({ finish_reason: null }))).toBeNull();
    expect(finishedAs(reply({ status: "interrupted", error: "stopped by you", finish_reason: null }))).toBe("stopped");
    expect(
      finishedAs(reply({ status: "interrupted", error: "the server closed the stream", finish_reason: null })),
    ).toBe("interrupted");
    expect(finishedAs(reply({ status: "error", error: "boom", finish_reason: null }))).toBe("failed");
  });
});

describe("the description", () => {
  it("says which figures the server reported", () => {
    const text = statsDescription(reply({}, LLAMA));
    expect(text).toContain("First token after 0.08 s (reported by the server as its prompt processing time).");
    expect(text).toContain("Generated in 1.10 s (reported by the server).");
    expect(text).toContain("Speed: 38.1 tok/s (reported by the server).");
    expect(text).toContain("Prompt processed at 294 tok/s");
    expect(text).toContain("96 tokens of the prompt came from the server's cache.");
    expect(text).toMatch(/Finished: stop\.$/);
    expect(text).not.toContain("measured");
  });

  it("says which figures Confab measured", () => {
    const text = statsDescription(
      reply({}, { first_token_ms: 420, generation_ms: 2000, tokens_per_second: 20.5 }),
    );
    expect(text).toContain("First token after 0.42 s (measured by Confab from sending the request).");
    expect(text).toContain("Generated in 2.00 s (measured by Confab).");
    expect(text).toContain("Speed: 20.5 tok/s (measured by Confab).");
    expect(text).toContain("42 tokens generated (reported by the server).");
    expect(text).not.toContain("Prompt processed");
  });
});
