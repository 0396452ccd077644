// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { pieceHtml, renderMarkdown, StreamingMarkdown, type Piece } from "./markdown";

/** HTML as the page would hold it (the sanitiser hands back text without markup untouched, so
 * equal HTML can be spelled differently: `'` or `&#39;`). */
function normal(html: string): string {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div.innerHTML;
}

/** The HTML of an update's pieces, joined. */
function joined(blocks: Piece[], tail: Piece): string {
  return [...blocks, tail].map(pieceHtml).join("");
}

/** Feeds `text` in chunks of the given sizes (cycled), checking every step against a whole render. */
function stream(text: string, sizes: number[]): StreamingMarkdown {
  const md = new StreamingMarkdown();
  let at = 0;
  let step = 0;
  while (at < text.length) {
    at = Math.min(text.length, at + sizes[step++ % sizes.length]!);
    const prefix = text.slice(0, at);
    const { blocks, tail } = md.update(prefix);
    expect(normal(joined(blocks, tail)), `after ${at} characters`).toBe(normal(renderMarkdown(prefix)));
  }
  return md;
}

const FENCE = [
  "Here is the program:",
  "",
  "```rust",
  "fn main() {",
  "    let v = vec![1, 2, 3];",
  "",
  "    // a blank line above, and a fence-like line below that does not close:",
  "    ``` not a close",
  "    for x in &v { println!(\"{x}\"); }",
  "}",
  "```",
  "",
  "And that is all.",
].join("\n");

const LISTS = [
  "1. first",
  "2. second",
  "",
  "   still the second item, after a blank line",
  "3. third",
  "   - nested *a*",
  "   - nested **b**",
  "",
  "A paragraph between.",
  "",
  "- [ ] task",
  "- [x] done",
  "",
  "> a quote",
  "lazily continued",
  "",
  "Last words.",
].join("\n");

const TABLE = [
  "| name | value |",
  "|:-----|------:|",
  "| a | 1 |",
  "| b | 2 |",
  "| `c` | **3** |",
  "",
  "Heading",
  "=======",
  "",
  "Text under it.",
  "",
  "---",
  "",
  "    indented code",
  "    more",
  "",
  "End.",
].join("\n");

const HOSTILE = [
  "Fine text.",
  "",
  "<script>window.__TAURI_INTERNALS__.invoke('delete_conversation')</script>",
  "",
  '<img src=x onerror="alert(1)">',
  "",
  "[click](javascript:alert(1))",
  "",
  "```html",
  "<script>alert(1)</script>",
  "```",
  "",
  "<details open ontoggle=alert(1)>x</details>",
].join("\n");

describe("StreamingMarkdown", { timeout: 120_000 }, () => {
  for (const [name, text] of [
    ["a code fence spanning many chunks", FENCE],
    ["lists, tasks and quotes", LISTS],
    ["tables, setext headings, rules and indented code", TABLE],
    ["hostile HTML and links", HOSTILE],
  ] as const) {
    for (const sizes of [[1], [3, 7, 2], [17], [64]]) {
      it(`matches a whole render at every step: ${name}, chunks of ${sizes.join("/")}`, () => {
        stream(text, sizes);
      });
    }
  }

  it("keeps finished blocks and renders only the growing one", () => {
    const md = new StreamingMarkdown();
    const first = md.update("# Title\n\nOne paragraph.\n\nAnother");
    expect(first.blocks.join("")).toBe(renderMarkdown("# Title\n\nOne paragraph.\n\n"));
    expect(first.tail).toBe("<p>Another</p>\n");
    const second = md.update("# Title\n\nOne paragraph.\n\nAnother one");
    // The same strings: nothing before the last block was rendered again.
    expect(second.blocks).toEqual(first.blocks);
    expect(second.tail).toBe("<p>Another one</p>\n");
  });

  it("keeps an unclosed code fence open however many blank lines it holds", () => {
    const md = new StreamingMarkdown();
    const { blocks, tail } = md.update("Before\n\n```js\nlet a = 1;\n\n\n\nlet b = 2;\n");
    expect(blocks.join("")).toBe("<p>Before</p>\n");
    const root = document.createElement("div");
    root.innerHTML = pieceHtml(tail);
    expect(root.querySelectorAll("pre")).toHaveLength(1);
    expect(root.querySelector("code")?.textContent).toBe("let a = 1;\n\n\n\nlet b = 2;");
  });

  it("sanitises every piece it returns", () => {
    const md = stream(HOSTILE, [5]);
    const { blocks, tail } = md.update(HOSTILE);
    expect(blocks.length).toBeGreaterThan(3);
    for (const html of [...blocks, tail].map(pieceHtml)) {
      const root = document.createElement("div");
      root.innerHTML = html;
      expect(root.querySelector("script, img, details, [onerror], [ontoggle]")).toBeNull();
      for (const a of root.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/javascript/i);
    }
  });

  it("renders a reply with a link definition whole, so references before it resolve", () => {
    const text = "See [the docs][d].\n\nMore text.\n\n[d]: https://example.com/docs\n";
    const md = new StreamingMarkdown();
    md.update("See [the docs][d].\n\nMore");
    const { blocks, tail } = md.update(text);
    expect(blocks).toEqual([]);
    expect(normal(pieceHtml(tail))).toBe(normal(renderMarkdown(text)));
    expect(pieceHtml(tail)).toContain('href="https://example.com/docs"');
  });

  it("starts again when the text is replaced rather than extended", () => {
    const md = new StreamingMarkdown();
    md.update("First reply.\n\nWith two paragraphs.");
    const { blocks, tail } = md.update("A different reply.\n\n- a list");
    expect(normal(joined(blocks, tail))).toBe(normal(renderMarkdown("A different reply.\n\n- a list")));
    expect(blocks.join("")).not.toContain("First reply");
  });

  it("holds back a $ at the end while the text grows, and not once it is complete", () => {
    const md = new StreamingMarkdown();
    const text = "It costs $5 and the tip is 2$";
    const growing = md.update(text);
    expect(normal(joined(growing.blocks, growing.tail))).toBe(normal(renderMarkdown(text.slice(0, -1))));
    const complete = md.update(text, true);
    expect(normal(joined(complete.blocks, complete.tail))).toBe(normal(renderMarkdown(text)));
  });
});
