// @vitest-environment jsdom
// Math in replies: a corpus of tricky text, each with the math it must (and must not) hold, rendered
// whole and streamed a character at a time.
import fc from "fast-check";
import { Marked } from "marked";
import { beforeAll, describe, expect, it } from "vitest";
import { pieceHtml, renderMarkdown, StreamingMarkdown } from "./markdown";
import { BLANK, Delimiters, loadMath, mathExtension, MAX_TEX_CHARS, settledText } from "./math";

/** One piece of math found: its TeX, and "display" or "inline". */
type Found = [tex: string, kind: "inline" | "display"];

interface Case {
  name: string;
  text: string;
  /** The math rendered, in order. */
  math: Found[];
  /** The words the reader sees (whitespace collapsed), where it matters. */
  shows?: string;
  /** Extra checks on the rendered HTML. */
  check?: (root: HTMLElement) => void;
  /** Math may show for a moment while it streams, though there is none once it has: an unclosed
   * code span is no code span yet. (Text without math otherwise never shows any.) */
  mathWhileStreaming?: boolean;
}

const CORPUS: Case[] = [
  // Money.
  { name: "two prices", text: "It costs $5 and $10.", math: [], shows: "It costs $5 and $10." },
  { name: "a price range with an en dash", text: "Plans cost $5–$10 a month.", math: [] },
  { name: "a price range with a hyphen", text: "from $5-$10", math: [] },
  { name: "prices with cents", text: "Price: $5.00 (was $7.50); or $1.50/$2.00.", math: [] },
  { name: "dollars after the number", text: "5$, 10$ or 20$", math: [], shows: "5$, 10$ or 20$" },
  { name: "US dollars", text: "US$5 and US$10", math: [] },
  { name: "a run of dollars", text: "Make $$$ fast, with $$ signs", math: [], shows: "Make $$$ fast, with $$ signs" },
  { name: "a price, then math", text: "It costs $5, so $x = 5$.", math: [["x = 5", "inline"]] },
  // Shell.
  { name: "shell variables", text: "Set $PATH and $HOME first.", math: [], shows: "Set $PATH and $HOME first." },
  { name: "a shell path", text: "Copy it to $HOME/$USER/bin", math: [] },
  { name: "shell variables side by side", text: "echo $FOO$BAR", math: [] },
  { name: "shell variables in braces", text: "${HOME}/${USER}", math: [] },
  { name: "a PATH line", text: "PATH=$HOME/bin:$PATH", math: [] },
  { name: "positional and special parameters", text: "$1 and $2, $? and $#, $@", math: [] },
  { name: "an upper-case formula is still math", text: "Triangle $ABC$ has $N = 3$ sides.", math: [["ABC", "inline"], ["N = 3", "inline"]] },
  // Escapes and code.
  {
    name: "escaped dollars",
    text: "\\$5 and \\$x\\$ stay dollars",
    math: [],
    shows: "$5 and $x$ stay dollars",
  },
  { name: "an escaped dollar inside math", text: "$\\$5 + x$", math: [["\\$5 + x", "inline"]] },
  { name: "escaped parentheses and brackets", text: "\\\\(x\\\\) and \\\\[y\\\\]", math: [], shows: "\\(x\\) and \\[y\\]" },
  { name: "brackets escaped in Markdown", text: "See \\[1\\] and \\[citation needed\\].", math: [], shows: "See [1] and [citation needed]." },
  {
    name: "dollars in code spans",
    text: "Run `echo $x$` or `$$y$$`.",
    math: [],
    mathWhileStreaming: true,
    check: (root) => expect(Array.from(root.querySelectorAll("code"), (c) => c.textContent)).toEqual(["echo $x$", "$$y$$"]),
  },
  {
    name: "dollars in a code block",
    text: "```tex\n$$\n\\frac{a}{b}\n$$\n```\n\n```bash\necho \"$HOME\" $x$\n```",
    math: [],
    check: (root) => expect(root.querySelector("pre code")?.textContent).toBe("$$\n\\frac{a}{b}\n$$"),
  },
  { name: "dollars in indented code", text: "    $x$ and $$y$$", math: [] },
  { name: "math in a link, dollars in its URL", text: "[$x$](https://example.com/$a$)", math: [["x", "inline"]] },
  // Inline math.
  { name: "inline math", text: "Euler: $e^{i\\pi} + 1 = 0$.", math: [["e^{i\\pi} + 1 = 0", "inline"]] },
  {
    name: "math next to punctuation",
    text: "($x$), $y$; $z$: $w$! \"$v$\" the $n$-th, $f$'s",
    math: [["x", "inline"], ["y", "inline"], ["z", "inline"], ["w", "inline"], ["v", "inline"], ["n", "inline"], ["f", "inline"]],
  },
  { name: "inline parentheses", text: "Then \\(a^2 + b^2 = c^2\\) holds.", math: [["a^2 + b^2 = c^2", "inline"]] },
  { name: "nested braces", text: "$\\frac{a}{\\sqrt{b^{2}}}$ and $\\{x \\mid x > 0\\}$", math: [["\\frac{a}{\\sqrt{b^{2}}}", "inline"], ["\\{x \\mid x > 0\\}", "inline"]] },
  {
    name: "emphasis characters inside math",
    text: "$a_1 * b_2$ and $c_1 * d_2$, $x_i$ and $y_i$",
    math: [["a_1 * b_2", "inline"], ["c_1 * d_2", "inline"], ["x_i", "inline"], ["y_i", "inline"]],
    check: (root) => expect(root.querySelector("em, strong")).toBeNull(),
  },
  {
    name: "emphasis around math with a star in it",
    text: "*see $a*b$ here* and **$x$ is bold**",
    math: [["a*b", "inline"], ["x", "inline"]],
    check: (root) => {
      expect(root.querySelector("em")?.textContent).toContain("here");
      expect(root.querySelector("em .math")).not.toBeNull();
      expect(root.querySelector("strong .math")).not.toBeNull();
    },
  },
  { name: "math in a heading", text: "## The $O(n \\log n)$ bound", math: [["O(n \\log n)", "inline"]], check: (root) => expect(root.querySelector("h2 .math")).not.toBeNull() },
  // Display math.
  { name: "a display block", text: "Sum:\n\n$$\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n$$\n\nDone.", math: [["\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n", "display"]] },
  { name: "a display block right after a line of text", text: "So\n$$x^2$$\nand more", math: [["x^2", "display"]] },
  { name: "display math inside a paragraph", text: "so $$x^2 \\ge 0$$ for all $x$", math: [["x^2 \\ge 0", "display"], ["x", "inline"]] },
  { name: "a bracket block", text: "\\[\n\\int_0^1 x\\,dx = \\tfrac12\n\\]", math: [["\n\\int_0^1 x\\,dx = \\tfrac12\n", "display"]] },
  { name: "inline brackets", text: "gives \\[ E = mc^2 \\] here", math: [[" E = mc^2 ", "display"]] },
  { name: "a block with a list marker inside", text: "$$\nf(x) = x^2\n- 2x\n$$", math: [["\nf(x) = x^2\n- 2x\n", "display"]] },
  // Lists, tables, quotes.
  {
    name: "math in lists",
    text: "- $x$ first\n- second $y$\n\n1. $$z$$\n2. item\n\n   $$\n   w\n   $$",
    math: [["x", "inline"], ["y", "inline"], ["z", "display"], ["\nw\n", "display"]],
    check: (root) => expect(root.querySelectorAll("li .math")).toHaveLength(4),
  },
  {
    name: "math in a table",
    text: "| n | $n^2$ |\n|---|---|\n| $2$ | $$4$$ |",
    math: [["n^2", "inline"], ["2", "inline"], ["4", "display"]],
    check: (root) => expect(root.querySelectorAll("th .math, td .math")).toHaveLength(3),
  },
  { name: "math in a quote", text: "> $$\n> E = mc^2\n> $$\n> with $c$", math: [["\nE = mc^2\n", "display"], ["c", "inline"]] },
  // Not closed, not valid, too big.
  { name: "an unclosed display block", text: "$$\n\\frac{a}{b}\n\nmore", math: [], shows: "$$ \\frac{a}{b} more" },
  { name: "an unclosed bracket block", text: "\\[ x^2 + y^2", math: [] },
  { name: "a display block across a blank line", text: "$$\nx\n\n$$", math: [] },
  {
    name: "invalid TeX",
    text: "Broken: $\\frac{$ and $$\\begin{matrix}$$.",
    math: [],
    check: (root) => {
      const errors = Array.from(root.querySelectorAll(".math-error"));
      expect(errors.map((e) => e.textContent)).toEqual(["$\\frac{$", "$$\\begin{matrix}$$"]);
      for (const e of errors) expect(e.getAttribute("title")).toMatch(/KaTeX parse error/);
    },
  },
  {
    name: "commands that are not trusted",
    text: "$\\href{javascript:alert(1)}{x}$ $\\url{https://evil.example}$ $\\includegraphics{https://evil.example/a.png}$ $\\htmlClass{code-copy}{y}$",
    math: [
      ["\\href{javascript:alert(1)}{x}", "inline"],
      ["\\url{https://evil.example}", "inline"],
      ["\\includegraphics{https://evil.example/a.png}", "inline"],
      ["\\htmlClass{code-copy}{y}", "inline"],
    ],
    check: (root) => {
      expect(root.querySelector("[href], [src], mglyph, .code-copy")).toBeNull();
      expect(Array.from(root.querySelectorAll("mtext"), (t) => t.textContent)).toEqual(["\\href", "\\url", "\\includegraphics", "\\htmlClass"]);
    },
  },
  {
    name: "colours and boxes",
    text: "$\\color{white}{x}$ $\\fcolorbox{red}{blue}{y}$",
    math: [["\\color{white}{x}", "inline"], ["\\fcolorbox{red}{blue}{y}", "inline"]],
    check: (root) => expect(root.querySelector("[mathcolor], [mathbackground], [style]")).toBeNull(),
  },
  { name: "a macro that never ends", text: "$\\def\\a{\\a\\a}\\a$", math: [], check: (root) => expect(root.querySelector(".math-error")?.getAttribute("title")).toMatch(/expansions/) },
  { name: "math too long to typeset, which stays text", text: "$" + "x+".repeat(MAX_TEX_CHARS / 2) + "x$", math: [], check: (root) => expect(root.querySelector(".math-error, .math-source")).toBeNull() },
  { name: "a block too long to typeset", text: "$$\n" + "x+\n".repeat(MAX_TEX_CHARS / 3) + "x\n$$", math: [] },
  { name: "braces nested too deep", text: "$" + "{".repeat(2_000) + "x" + "}".repeat(2_000) + "$", math: [], check: (root) => expect(root.querySelector(".math-error")).not.toBeNull() },
  { name: "many openers that never close", text: "\\( \\[ $$ $5 $x ".repeat(1_500), math: [] },
  { name: "many lines that open block math and never close", text: "\\[\n$$ x\n".repeat(1_500), math: [] },
  { name: "a great deal of math", text: Array.from({ length: 300 }, (_, i) => `$x_{${i % 50}}$`).join(" "), math: Array.from({ length: 300 }, (_, i): Found => [`x_{${i % 50}}`, "inline"]) },
];

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

function mathIn(root: HTMLElement): Found[] {
  return Array.from(root.querySelectorAll(".math"), (span) => [
    span.querySelector("annotation")?.textContent ?? "",
    span.classList.contains("math-display") ? "display" : "inline",
  ]);
}

/** Nothing that could run or load: no script, handler, style or link outside an `a`. */
function expectInert(html: string) {
  const root = dom(html);
  expect(root.querySelector("script, style, iframe, img, svg, mglyph, maction, annotation-xml, [style]"), html).toBeNull();
  for (const el of Array.from(root.querySelectorAll("*"))) {
    for (const attr of Array.from(el.attributes)) expect(attr.name.startsWith("on"), html).toBe(false);
    if (el.hasAttribute("href")) expect(el.tagName, html).toBe("A");
  }
}

beforeAll(async () => {
  expect(await loadMath()).toBe(true);
});

describe("math in replies", () => {
  it.each(CORPUS)("renders $name", ({ text, math, shows, check }) => {
    const html = renderMarkdown(text);
    const root = dom(html);
    expect(mathIn(root)).toEqual(math);
    if (shows !== undefined) expect(root.textContent!.replace(/\s+/g, " ").trim()).toBe(shows);
    check?.(root);
    expectInert(html);
    // MathML, laid out by the webview: KaTeX's HTML output needs inline styles the CSP forbids.
    for (const span of root.querySelectorAll(".math")) {
      expect(span.querySelector("math")?.namespaceURI).toBe("http://www.w3.org/1998/Math/MathML");
    }
  });
});

describe("Delimiters", () => {
  /** The first unescaped `needle` in `text[from, to)`, searched afresh. */
  function naive(text: string, needle: string, from: number, to: number): number {
    for (let i = Math.max(0, from); i < to; i++) {
      const match = needle === BLANK ? /^\n[ \t]*\n/.exec(text.slice(i, to)) : text.startsWith(needle, i) && i + needle.length <= to;
      if (!match) continue;
      let backslashes = 0;
      while (text[i - 1 - backslashes] === "\\") backslashes++;
      if (needle === BLANK || backslashes % 2 === 0) return i;
    }
    return -1;
  }

  it("finds what a fresh search finds, whatever was searched before", () => {
    const text = fc.array(fc.constantFrom("$", "$$", "\\", "\\)", "\\]", "`", "\n", " ", "\t", "x"), { maxLength: 40 }).map((p) => p.join(""));
    // Searches from one place on in short windows, as the tokenizer makes them, or anywhere.
    const needle = fc.constantFrom("$", "$$", "\\)", "\\]", "`", BLANK);
    const input = text.chain((text) => {
      const query = (needles: fc.Arbitrary<string>) => fc.tuple(needles, fc.nat(text.length), fc.nat(6));
      const sorted = (needles: fc.Arbitrary<string>) => fc.array(query(needles), { maxLength: 12 }).map((q) => q.sort((a, b) => a[1] - b[1]));
      return fc.tuple(fc.constant(text), fc.oneof(sorted(needle), sorted(fc.constant("$$")), sorted(fc.constant(BLANK)), fc.array(query(needle), { maxLength: 12 })));
    });
    fc.assert(
      fc.property(input, ([text, queries]) => {
        const d = new Delimiters(text);
        for (const [needle, from, width] of queries) {
          const to = Math.min(from + width, text.length);
          expect(d.find(needle, from, to), JSON.stringify({ text, needle, from, to })).toBe(naive(text, needle, from, to));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("text without math", () => {
  it("renders as Marked renders it without the math extension, however long", () => {
    // Long paragraphs are where the extension cuts Marked's text to look for math: never inside a
    // URL, an address or a line break.
    const line = (i: number) =>
      `Item ${i} costs $${i}.50 (or $${i + 1}), see https://example.com/a_b?x=${i} or www.example.org, ` +
      `mail me@example.com, *em* and **strong** with \`$HOME/$USER\` and \\$5, a_b_c  \nand $PATH:$HOME on`;
    const text = [
      Array.from({ length: 400 }, (_, i) => line(i)).join(" "),
      "- a list with $5 and $10\n- and ${HOME}/${USER}",
      "| price | tax |\n|---|---|\n| $5 | $1 |",
      "```\n$$\nnot math\n$$\n```",
    ].join("\n\n");
    expect(new Marked(mathExtension).parse(text)).toBe(new Marked().parse(text));
  });
});

/** HTML as the page would hold it. */
function normal(html: string): string {
  return dom(html).innerHTML;
}

describe("math in a streaming reply", { timeout: 60_000 }, () => {
  const SHORT = CORPUS.filter((c) => c.text.length < 400);

  it.each(SHORT)("matches a whole render at every character, never showing a price as math: $name", ({ text, math, mathWhileStreaming }) => {
    const stream = new StreamingMarkdown();
    for (let end = 1; end <= text.length; end++) {
      const prefix = text.slice(0, end);
      const { blocks, tail } = stream.update(prefix);
      const html = [...blocks, tail].map(pieceHtml).join("");
      expect(normal(html), `after ${end} characters`).toBe(normal(renderMarkdown(settledText(prefix))));
      expectInert(html);
      // Text that holds no math never shows any, not even for a frame.
      if (math.length === 0 && !mathWhileStreaming) expect(dom(html).querySelector("math, .math"), prefix).toBeNull();
    }
  });

  it.each(CORPUS.filter((c) => c.text.length >= 400))("streams $name in chunks without throwing", ({ text }) => {
    const stream = new StreamingMarkdown();
    // jsdom sanitises MathML slowly (a millisecond a formula): four chunks, at uneven places.
    for (let end = 1; end < text.length + 400; end += Math.ceil(text.length / 4) + 7) {
      const { blocks, tail } = stream.update(text.slice(0, end));
      expectInert([...blocks, tail].map(pieceHtml).join(""));
    }
  });

  it("shows unclosed block math as text, then as math once it closes", () => {
    const stream = new StreamingMarkdown();
    const start = "Intro.\n\n$$\n\\sum_{i=1}^{n} i\n";
    let root = dom(Object.values(stream.update(start)).flat().join(""));
    expect(root.querySelector("math")).toBeNull();
    expect(root.textContent).toContain("$$ \\sum_{i=1}^{n} i".replace(" ", "\n"));
    // More paragraphs stay text too: no blank line has ended the math yet, and nothing is kept.
    root = dom(Object.values(stream.update(start + "= \\frac{n(n+1)}{2}\n- 1\n")).flat().join(""));
    expect(root.querySelector("math")).toBeNull();
    const done = stream.update(start + "= \\frac{n(n+1)}{2}\n- 1\n$$\n\nAfter.");
    root = dom([...done.blocks, done.tail].map(pieceHtml).join(""));
    expect(mathIn(root)).toEqual([["\n\\sum_{i=1}^{n} i\n= \\frac{n(n+1)}{2}\n- 1\n", "display"]]);
    expect(root.querySelector("ul")).toBeNull();
  });

  it("holds back a $ at the very end until the next character says what it is", () => {
    expect(settledText("from $5-$")).toBe("from $5-");
    expect(settledText("so $x$")).toBe("so $x");
    expect(settledText("so $$x$$")).toBe("so $$x$$");
    expect(settledText("a dollar: \\$")).toBe("a dollar: \\$");
    expect(settledText("no dollar")).toBe("no dollar");
  });
});
