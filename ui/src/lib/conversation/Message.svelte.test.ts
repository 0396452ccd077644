// @vitest-environment jsdom
// A reply with math, mounted: its math shows as written until KaTeX has loaded (which the first
// math asks for) and then is typeset, while it streams too; and Copy gives the text as written.
import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Message as MessageData, MessageStatus } from "../../ipc";
import { renderer } from "../markdown/renderer.svelte";
import Message from "./Message.svelte";

function reply(content: string, status: MessageStatus): MessageData {
  return {
    id: 1,
    conversation_id: 1,
    role: "assistant",
    content,
    status,
    error: null,
    model: null,
    prompt_tokens: null,
    completion_tokens: null,
    created_at: "2026-01-01T00:00:00Z",
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

function show(message: MessageData) {
  const props = $state({
    message,
    reasoning: "",
    editable: false,
    editing: false,
    onEdit() {},
    onSaveEdit(_text: string) {},
    onCancelEdit() {},
    onTogglePin() {},
    onOpenLink() {},
    position: 1,
    count: 1,
    measure: () => {},
    onOpenFile() {},
  });
  const target = document.createElement("div");
  document.body.append(target);
  const component = mount(Message, { target, props });
  flushSync();
  const content = () => target.querySelector<HTMLElement>("[data-testid=message-content]")!;
  return { props, target, content, close: () => unmount(component) };
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

const ANSWER = [
  "The area of a circle is $A = \\pi r^2$, so for $r = 2$:",
  "",
  "$$",
  "A = 4\\pi \\approx 12.57",
  "$$",
  "",
  "It costs $5 and $10 to print *this*.",
].join("\n");

describe("Message with math", () => {
  // First: KaTeX loads in this test, and stays loaded for the ones after.
  it("shows a streaming reply's math as written until KaTeX is in, then typesets all of it", async () => {
    renderer.load();
    await vi.waitFor(() => expect(renderer.module).not.toBeNull());
    expect(renderer.mathLoaded).toBe(false);

    const { props, content } = show(reply(ANSWER.slice(0, 60), "streaming"));
    // The first paragraph is finished (another has begun: the math block, open so far, is text)
    // and kept as rendered before KaTeX.
    props.message = reply(ANSWER.slice(0, 70), "streaming");
    flushSync();
    expect(content().querySelector("math")).toBeNull();
    expect(Array.from(content().querySelectorAll(".math-source"), (s) => s.textContent)).toEqual([
      "$A = \\pi r^2$",
      "$r = 2$",
    ]);

    await vi.waitFor(() => expect(renderer.mathLoaded).toBe(true));
    flushSync();
    expect(content().querySelector(".math-source")).toBeNull();
    expect(Array.from(content().querySelectorAll("annotation"), (a) => a.textContent)).toEqual(["A = \\pi r^2", "r = 2"]);

    props.message = reply(ANSWER, "complete");
    flushSync();
    expect(content().querySelectorAll(".math")).toHaveLength(3);
    expect(content().querySelector(".math-block math[display=block]")).not.toBeNull();
    expect(content().textContent).toContain("It costs $5 and $10 to print this.");
  });

  it("copies the reply as written, not as rendered", async () => {
    await vi.waitFor(() => expect(renderer.mathLoaded).toBe(true));
    const writeText = vi.fn(async (_: string) => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { target, content } = show(reply(ANSWER, "complete"));
    expect(content().querySelector("math")).not.toBeNull();
    target.querySelector<HTMLButtonElement>("[data-testid=copy-message]")!.click();
    await vi.waitFor(() => expect(writeText).toHaveBeenCalledWith(ANSWER));
  });

  it("shows block math that has not closed yet as text while it streams", async () => {
    await vi.waitFor(() => expect(renderer.mathLoaded).toBe(true));
    const { props, content } = show(reply("Sum:\n\n$$\n\\sum_{i=1}^{n} i\n", "streaming"));
    expect(content().querySelector("math")).toBeNull();
    expect(content().textContent).toContain("\\sum_{i=1}^{n} i");
    props.message = reply("Sum:\n\n$$\n\\sum_{i=1}^{n} i\n$$\n", "streaming");
    flushSync();
    expect(content().querySelector(".math-block math")).not.toBeNull();
  });
});

function question(over: Partial<MessageData>): MessageData {
  return { ...reply("", "complete"), id: 2, role: "user", ...over };
}

const NOTES = { id: 7, name: "notes.txt", kind: "text" as const, mime: "text/plain", size: 13, sha256: "0".repeat(64) };
const DOT = { id: 8, name: "dot.png", kind: "image" as const, mime: "image/png", size: 70, sha256: "1".repeat(64) };

describe("A question with files", () => {
  it("shows a text file as its chip, not its text under it", () => {
    const { target, content } = show(
      question({
        content: "What does this say?\n\nFile: notes.txt\n```\nseen at noon\n```",
        written: "What does this say?",
        attachments: [NOTES],
      }),
    );
    expect(content().textContent).toBe("What does this say?");
    expect(target.textContent).not.toContain("seen at noon");
    const chip = target.querySelector<HTMLButtonElement>("[data-testid=text-file-chip]")!;
    expect(chip.textContent).toContain("notes.txt");
  });

  it("with only an image can be edited and resent, with or without words", () => {
    const saved: string[] = [];
    const { props, target } = show(question({ content: "", attachments: [DOT] }));
    expect(target.querySelector("[data-testid=message-content]")).toBeNull();
    props.editable = true;
    props.editing = true;
    props.onSaveEdit = (text: string) => saved.push(text);
    flushSync();
    const save = target.querySelector<HTMLButtonElement>("[data-testid=save-edit]")!;
    expect(save.disabled).toBe(false);
    save.click();
    expect(saved).toEqual([""]);
  });

  it("without files needs words", () => {
    const { props, target } = show(question({ content: "Hello" }));
    props.editing = true;
    flushSync();
    const field = target.querySelector<HTMLTextAreaElement>("[data-testid=edit-text]")!;
    field.value = "   ";
    field.dispatchEvent(new Event("input"));
    flushSync();
    expect(target.querySelector<HTMLButtonElement>("[data-testid=save-edit]")!.disabled).toBe(true);
  });
});
