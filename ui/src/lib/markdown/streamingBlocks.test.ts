// @vitest-environment jsdom
// Long growing blocks (code fences, lists, tables) streamed: at every step the pieces, and the page
// they are put into, equal a whole render; finished lines, items and rows are rendered once.
import { describe, expect, it } from "vitest";
import { PIECE_LINES } from "./highlight";
import { pieceHtml, renderMarkdown, StreamingMarkdown, type Container, type Piece } from "./markdown";
import { StreamedHtml } from "./streamedDom";

function normal(html: string): string {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div.innerHTML;
}

/** Feeds `text` in chunks of the given sizes (cycled), checking the pieces and the page they are
 * put into against a whole render at every step. */
function stream(text: string, sizes: number[]): { md: StreamingMarkdown; page: HTMLElement; containers: number } {
  const md = new StreamingMarkdown();
  const page = document.createElement("div");
  const view = new StreamedHtml(page);
  let containers = 0;
  for (let at = 0, step = 0; at < text.length; ) {
    at = Math.min(text.length, at + sizes[step++ % sizes.length]!);
    const prefix = text.slice(0, at);
    const update = md.update(prefix);
    const whole = normal(renderMarkdown(prefix));
    expect(normal([...update.blocks, update.tail].map(pieceHtml).join("")), `after ${at} characters`).toBe(whole);
    view.render(update);
    expect(page.innerHTML, `the page after ${at} characters`).toBe(whole);
    if (typeof update.tail !== "string") containers++;
  }
  return { md, page, containers };
}

const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i));

const LONG_RUST = [
  "Before the code.",
  "",
  "```rust",
  ...lines(60, (i) =>
    i % 17 === 3
      ? `/* a comment that runs\n   over ${i} lines,\n\n   a blank one too */`
      : i % 11 === 5
        ? `let s${i} = "a string with <b>tags</b> & \\"quotes\\"\n still the string";`
        : i % 13 === 7
          ? "    ``` not a closing fence"
          : i % 7 === 0
            ? ""
            : `fn f${i}(x: u32) -> u32 { x * ${i} } // <script>alert(${i})</script>`,
  ),
  "```",
  "",
  "After the code.",
].join("\n");

const TILDES = [
  "~~~python",
  ...lines(70, (i) => (i % 9 === 0 ? '"""a docstring\n' + "over lines\n" + '"""' : `x_${i} = [${i}, "~~~", '\`\`\`']`)),
  "~~~~",
  "",
  "````",
  ...lines(40, (i) => (i % 8 === 0 ? "```" : `plain ${i} <img src=x onerror=alert(${i})>`)),
].join("\n");

const UNCLOSED = ["Intro", "", "   ```js", ...lines(60, (i) => `${" ".repeat(i % 5)}const a${i} = ${i}; // indented ${i % 5}`)].join("\n");

const LISTS = [
  ...lines(20, (i) => `- item ${i} with *emphasis* and \`code\``),
  "  - nested under 19",
  "  - and another, <img src=x onerror=alert(1)>",
  "- back at the top",
  "",
  "- after a blank line: the whole list is loose now",
  ...lines(10, (i) => `- loose ${i}`),
  "",
  "Between the lists.",
  "",
  ...lines(12, (i) => `${i + 3}. ordered ${i} [link](javascript:alert(${i}))`),
  "",
  ...lines(8, (i) => `- [${i % 2 ? "x" : " "}] task ${i}`),
].join("\n");

const TABLES = [
  "| name | value | note |",
  "|:-----|------:|:----:|",
  ...lines(25, (i) => `| row ${i} | **${i}** | <script>alert(${i})</script> \`c\` |`),
  "| short |",
  "| a | b | c | d |",
  "",
  "After the table.",
  "",
  "| x |",
  "|---|",
  ...lines(12, (i) => `| ${i} [x](javascript:alert(1)) |`),
].join("\n");

describe("StreamingMarkdown, long growing blocks", { timeout: 120_000 }, () => {
  for (const [name, text] of [
    ["a long highlighted fence with comments, strings, blank and fence-like lines", LONG_RUST],
    ["~~~ and ```` fences holding the other kind", TILDES],
    ["an indented fence left open", UNCLOSED],
    ["long lists: nested, tight then loose, ordered, tasks", LISTS],
    ["long tables, short and long rows, hostile cells", TABLES],
  ] as const) {
    for (const sizes of [[19], [64, 7]]) {
      it(`matches a whole render at every step: ${name}, chunks of ${sizes.join("/")}`, () => {
        const { containers } = stream(text, sizes);
        // The growing block was followed, not rendered whole each time.
        expect(containers).toBeGreaterThan(0);
      });
    }
  }

  it("renders a growing fence's finished pieces once and keeps them", () => {
    const md = new StreamingMarkdown();
    let text = "```rust\n";
    let previous: Container | null = null;
    for (let i = 0; i < PIECE_LINES * 6; i++) {
      text += `let v${i} = ${i}; // line ${i}\n`;
      const { tail } = md.update(text);
      expect(typeof tail).not.toBe("string");
      const block = tail as Container;
      if (previous) {
        // The same array, only ever appended to: what was finished stays as it was.
        expect(block.parts).toBe(previous.parts);
        expect(block.rest.split("\n").length).toBeLessThanOrEqual(PIECE_LINES + 2);
      }
      previous = { ...block, parts: block.parts };
    }
    expect(previous!.parts.length).toBeGreaterThanOrEqual(4);
  });

  it("keeps the page's nodes for what is finished, from the first line to the end of the block", () => {
    const md = new StreamingMarkdown();
    const page = document.createElement("div");
    const view = new StreamedHtml(page);
    let text = "Intro\n\n```rust\n";
    view.render(md.update(text));
    const intro = page.firstChild;
    for (let i = 0; i < 200; i++) {
      text += `fn f${i}() {}\n`;
      view.render(md.update(text));
    }
    const code = page.querySelector("pre > code")!;
    const first = code.firstChild;
    for (let i = 200; i < 260; i++) {
      text += `fn f${i}() {}\n`;
      view.render(md.update(text));
    }
    text += "```\n\nThe end.";
    view.render(md.update(text));
    expect(page.firstChild).toBe(intro);
    expect(page.querySelector("pre > code")).toBe(code);
    expect(code.firstChild).toBe(first);
    expect(page.innerHTML).toBe(normal(renderMarkdown(text)));
  });

  it("sanitises every piece and every child of a growing block", () => {
    const hostile = ["```html", ...lines(30, (i) => `<script>alert(${i})</script><img src=x onerror=alert(1)>`)].join("\n");
    const table = ["| a |", "|---|", ...lines(20, () => "| <img src=x onerror=alert(1)> [x](javascript:alert(1)) |")].join("\n");
    const list = lines(20, () => "- <details open ontoggle=alert(1)>x</details> ![p](https://t.example/p.gif)").join("\n");
    for (const text of [hostile, table, list]) {
      const md = new StreamingMarkdown();
      let last: Piece = "";
      for (let at = 7; at < text.length + 7; at += 7) last = md.update(text.slice(0, at)).tail;
      expect(typeof last).not.toBe("string");
      const block = last as Container;
      for (const html of [block.head + block.foot, ...block.parts, block.rest]) {
        const template = document.createElement("template");
        template.innerHTML = html;
        expect(template.content.querySelector("script, img, details, [onerror], [ontoggle]")).toBeNull();
        for (const a of template.content.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/javascript/i);
      }
    }
  });
});
