// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { codeBlockControls } from "./codeBlocks";
import { renderMarkdown } from "./markdown";

const REPLY = "Two blocks:\n\n```rust\nfn main() {\n    println!(\"<hi>\");\n}\n```\n\nand\n\n```\nplain & simple\n```\n";

/** Lets the MutationObserver run, as it does before the webview paints. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function mount(markdown: string) {
  const container = document.createElement("div");
  document.body.append(container);
  container.innerHTML = renderMarkdown(markdown);
  const detach = codeBlockControls(container) as () => void;
  return { container, detach };
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe("codeBlockControls", () => {
  it("puts a header with the language and a Copy button on every block", () => {
    const { container } = mount(REPLY);
    const heads = Array.from(container.querySelectorAll("pre > .code-head"));
    expect(heads).toHaveLength(2);
    expect(heads.map((h) => h.querySelector(".code-lang")?.textContent)).toEqual(["rust", "text"]);
    expect(heads.map((h) => h.querySelector("button")?.textContent)).toEqual(["Copy", "Copy"]);
    // The header sits above the code, not inside it.
    expect(container.querySelector("pre code")?.textContent).toBe('fn main() {\n    println!("<hi>");\n}');
  });

  it("keeps the same header through re-renders while a reply streams", async () => {
    let text = "```python\nprint(1)";
    const { container } = mount(text);
    const head = container.querySelector(".code-head");
    for (const delta of ["\nprint(2)", "\nprint(3)\n```\n\nthen\n\n```js\nlet a"]) {
      text += delta;
      container.innerHTML = renderMarkdown(text);
      await settle();
    }
    const heads = container.querySelectorAll(".code-head");
    expect(heads).toHaveLength(2);
    expect(heads[0]).toBe(head);
    expect(heads[1]!.querySelector(".code-lang")?.textContent).toBe("js");
  });

  it("copies the block's exact text and says so", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const { container } = mount(REPLY);
    const buttons = container.querySelectorAll<HTMLButtonElement>(".code-copy");
    buttons[1]!.click();
    await settle();
    expect(writeText).toHaveBeenCalledWith("plain & simple");
    expect(buttons[1]!.textContent).toBe("Copied");
    buttons[0]!.click();
    await settle();
    expect(writeText).toHaveBeenLastCalledWith('fn main() {\n    println!("<hi>");\n}');
    vi.unstubAllGlobals();
  });

  it("copies once per press of the mouse, and on a keyboard's click", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const { container } = mount(REPLY);
    const button = container.querySelector<HTMLButtonElement>(".code-copy")!;
    // The press copies, even when the block re-renders before the release.
    button.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, button: 0 }));
    container.innerHTML = renderMarkdown(REPLY);
    await settle();
    button.dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 1 }));
    button.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, button: 2 }));
    expect(writeText).toHaveBeenCalledTimes(1);
    // Enter or Space on the focused button: a click with no press before it.
    button.dispatchEvent(new MouseEvent("click", { bubbles: true, detail: 0 }));
    expect(writeText).toHaveBeenCalledTimes(2);
    vi.unstubAllGlobals();
  });

  it("says when the webview refuses to copy", async () => {
    vi.stubGlobal("navigator", { clipboard: { writeText: vi.fn().mockRejectedValue(new Error("denied")) } });
    document.execCommand = vi.fn().mockReturnValue(false);
    const { container } = mount(REPLY);
    const button = container.querySelector<HTMLButtonElement>(".code-copy")!;
    button.click();
    await settle();
    expect(button.textContent).toBe("Copy failed");
    vi.unstubAllGlobals();
  });

  it("stops watching once detached", async () => {
    const { container, detach } = mount(REPLY);
    detach();
    container.innerHTML = renderMarkdown(REPLY);
    await settle();
    expect(container.querySelectorAll(".code-head")).toHaveLength(0);
  });
});
