// @vitest-environment jsdom
// The statistics line mounted: its figures as pieces that never break inside, the description
// for a screen reader, and nothing at all for a reply still streaming.
import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../ipc";
import ReplyStats from "./ReplyStats.svelte";

function reply(status: Message["status"]): Message {
  return {
    id: 2,
    conversation_id: 1,
    role: "assistant",
    content: "Bonjour !",
    status,
    error: null,
    model: "qwen2.5-0.5b",
    prompt_tokens: 120,
    completion_tokens: 42,
    created_at: "2026-01-01T00:00:00Z",
    completed_at: null,
    pinned: false,
    version_of: null,
    hidden: false,
    reasoning: "",
    finish_reason: status === "complete" ? "length" : null,
    ended: status === "complete" ? "length" : null,
    attachments: [],
    tool_calls: [],
    stats: {
      first_token_ms: 420,
      generation_ms: 2000,
      tokens_per_second: 20.5,
      prompt_per_second: null,
      cached_tokens: null,
      from_server: ["speed"],
    },
  };
}

function show(message: Message) {
  const props = $state({ message });
  const target = document.createElement("div");
  document.body.append(target);
  const component = mount(ReplyStats, { target, props });
  flushSync();
  return { props, target, close: () => unmount(component) };
}

afterEach(() => document.body.replaceChildren());

describe("ReplyStats", () => {
  it("shows the figures, and says where each came from for a screen reader", () => {
    const { target, close } = show(reply("complete"));
    const line = target.querySelector<HTMLElement>("[data-testid=reply-stats]")!;
    const parts = [...line.querySelectorAll<HTMLElement>("[data-stat]")].map((p) => [p.dataset.stat, p.textContent]);
    expect(parts).toEqual([
      ["model", "qwen2.5-0.5b"],
      ["tokens", "42 tokens"],
      ["first-token", "first token 0.42 s"],
      ["speed", "20.5 tok/s"],
      ["finished", "finished: length limit"],
    ]);
    // Spaced, so that a narrow window can break the line between two figures.
    expect(line.querySelector("[aria-hidden=true]")!.textContent!.trim()).toBe(
      "qwen2.5-0.5b · 42 tokens · first token 0.42 s · 20.5 tok/s · finished: length limit",
    );
    const spoken = line.querySelector(".visually-hidden")!.textContent!;
    expect(spoken).toContain("First token after 0.42 s (measured by Confab");
    expect(spoken).toContain("Speed: 20.5 tok/s (reported by the server)");
    expect(line.title).toBe(spoken);
    // The visible pieces are not read out a second time.
    expect(line.querySelector("[aria-hidden=true]")!.contains(line.querySelector("[data-stat=model]"))).toBe(true);
    close();
  });

  it("shows nothing while the reply streams, and appears once it is done", () => {
    const { props, target, close } = show(reply("streaming"));
    expect(target.querySelector("[data-testid=reply-stats]")).toBeNull();
    props.message = reply("complete");
    flushSync();
    expect(target.querySelector("[data-testid=reply-stats]")).not.toBeNull();
    close();
  });
});
