// @vitest-environment jsdom
// Property tests of the Markdown sanitising: random text, and hostile snippets mutated and
// combined, never make renderMarkdown (or the streaming renderer) throw, and what they return,
// parsed again as the app's {@html} does, holds only allowlisted elements and attributes and
// links with a safe scheme. Math is typeset (KaTeX is loaded first), so hostile TeX goes through
// KaTeX and then the sanitiser. A hundred runs each by default; FUZZ_RUNS=N (what `make fuzz`
// sets) runs N.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { highlights, isHighlightHtml, pieceHtml as codePieceHtml } from "./highlight";
import { pieceHtml, purify, renderMarkdown, StreamingMarkdown } from "./markdown";
import { SAFE_LINK } from "./links";
import { loadMath } from "./math";

const RUNS = Number(import.meta.env.FUZZ_RUNS) || 100;
/** Vitest's 5 s per test suits a hundred runs; a long run gets ample time in proportion (jsdom slows
 * down as a run goes on), so only a hang fails it. */
const TIMEOUT = 5_000 + RUNS * 200;

// The renderer's own allowlist, written out again so a change to it has to change this too.
const TAGS = new Set([
  "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
  "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tr", "th", "td", "a", "span", "input",
]);
const ATTRIBUTES = new Set(["href", "title", "class", "align", "type", "checked", "disabled", "start"]);
const MATH_TAGS = new Set([
  "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "mtext", "mspace",
  "msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "msqrt", "mroot",
  "mstyle", "mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd", "mlabeledtr",
]);
/** On MathML elements only, with `class` and `title`; never `href`, colours or styles. */
const MATH_ATTRIBUTES = new Set([
  "class", "title",
  "display", "mathvariant", "mathsize", "encoding", "fence", "separator", "stretchy", "symmetric",
  "largeop", "movablelimits", "minsize", "maxsize", "lspace", "rspace", "width", "height",
  "depth", "voffset", "linethickness", "linebreak", "accent", "accentunder", "notation",
  "displaystyle", "scriptlevel", "columnalign", "rowalign", "columnspacing", "rowspacing",
  "columnlines", "rowlines",
]);
const HTML_NS = "http://www.w3.org/1999/xhtml";
const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

const HOSTILE = [
  "<script>alert(1)</script>",
  "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
  "<img src=x onerror=alert(1)>",
  "<img src=\"javascript:alert(1)\">",
  "<svg onload=alert(1)><script>alert(2)</script></svg>",
  "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "<iframe src=\"https://evil.example\"></iframe>",
  "<iframe srcdoc=\"<script>alert(1)</script>\">",
  "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
  "<style>body{display:none}</style>",
  "<link rel=stylesheet href=//evil.example/x.css>",
  "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
  "<base href=\"javascript:/\">",
  "<form action=\"javascript:alert(1)\"><button formaction=javascript:alert(2)>x</button></form>",
  "<a href=\"javascript:alert(1)\">x</a>",
  "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
  "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
  "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
  "<a href=\"vbscript:msgbox(1)\">x</a>",
  "<a href=\"https://ok.example\" onclick=\"alert(1)\" style=\"position:fixed\">ok</a>",
  "[x](javascript:alert(1))",
  "[x](JaVaScRiPt:alert(1))",
  "[x](&#106;avascript:alert(1))",
  "[x](javascript&colon;alert(1))",
  "[x](java\tscript:alert(1))",
  "[x]( javascript:alert(1))",
  "[x](<javascript:alert(1)>)",
  "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "[x](vbscript:msgbox(1))",
  "[x](file:///etc/passwd)",
  "[x](https://ok.example \"a\\\" onmouseover=\\\"alert(1)\")",
  "[x][r]\n\n[r]: javascript:alert(1)",
  "<javascript:alert(1)>",
  "![x](javascript:alert(1))",
  "![x](https://tracker.example/p.gif \"t\" onerror=alert(1))",
  "<details open ontoggle=alert(1)>x</details>",
  "<div style=\"position:fixed;inset:0\" onclick=\"alert(1)\">cover</div>",
  "<input type=image src=x onerror=alert(1)>",
  "- [x] done <input type=text autofocus onfocus=alert(1)>",
  "```\"><img src=x onerror=alert(1)>\nx\n```",
  "```html\n<script>alert(1)</script>\n```",
  "`<img src=x onerror=alert(1)>`",
  "<!--><img src=x onerror=alert(1)>-->",
  "<![CDATA[<script>alert(1)</script>]]>",
  "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
  "<template><script>alert(1)</script></template>",
  "<textarea><img src=x onerror=alert(1)></textarea>",
  "<table><td><a href=javascript:alert(1)>x</a></td></table>",
  "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
  "> <script>alert(1)</script>",
  "\u202e<script>\u200balert(1)</script>",
  "＜script＞alert(1)＜/script＞",
  "<scr<script>ipt>alert(1)</script>",
  "<a href=\"https://ok.example\"><a href=\"javascript:alert(1)\">nested</a></a>",
  // TeX, which KaTeX turns into MathML.
  "$\\href{javascript:alert(1)}{x}$",
  "$$\\href{https://ok.example}{\\text{click}}$$",
  "\\(\\url{javascript:alert(1)}\\)",
  "\\[\\includegraphics{https://evil.example/p.png}\\]",
  "$\\htmlClass{code-copy}{x}\\htmlId{app}{y}\\htmlStyle{position:fixed}{z}\\htmlData{testid=copy-code}{w}$",
  "$\\text{<img src=x onerror=alert(1)>}$",
  "$\\mathrm{</math><img src=x onerror=alert(1)>}$",
  "$x</annotation><script>alert(1)</script>$",
  "$\\operatorname{<script>}$ $\\verb|<svg onload=alert(1)>|$",
  "$$\\def\\a{\\a\\a}\\a$$",
  "$\\rule{100000em}{100000em}\\kern{99999em}$",
  "$\\color{javascript:alert(1)}{x}\\colorbox{url(https://evil.example)}{y}\\fcolorbox{red}{blue}{z}$",
  "$\\begin{matrix}a & b \\\\ c & d\\end{matrix}\\tag{\\href{javascript:alert(1)}{1}}$",
  "$$\n\\frac{a}{b}\n<script>alert(1)</script>\n$$",
  "`$x$` $`<img src=x onerror=alert(1)>`$",
  "[$x$](javascript:alert(1)) [\\(y\\)](https://ok.example)",
  "$\\char\"3C script\\char\"3E$",
  "$\\mathchoice{<}{<}{<}{<}$",
];

/** Pieces that make broken and nested markup when strung together. */
const GLUE = [
  "\n", "\n\n", " ", "\t", "\r", "\u0000", "\u200b", "\u202e", "\ufeff", "<", ">", "</", "/>", "\"", "'",
  "`", "```", "[", "](", ")", "!", "&#", "&#x", ";", ":", "&colon;", "java", "script", "javascript:",
  "data:", "vbscript:", "<a href=", "<img src=", " onerror=", " onclick=", "<svg", "<!--", "-->", "| ",
  "- [ ] ", "> ", "# ", "    ",
  "$", "$$", "\\(", "\\)", "\\[", "\\]", "\\", "{", "}", "^", "_", "\\frac{", "\\text{", "\\href{",
  "\\mathrm{", "\\begin{array}{c}", "\\end{array}", "&", "\\\\",
];

/** Any text: UTF-16 units, whole code points and graphemes. */
const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
);

/** Hostile snippets and glue strung together, with a little random text between. */
const combined = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom(...GLUE), fc.string({ maxLength: 6 })), {
    maxLength: 24,
  })
  .map((parts) => parts.join(""));

/** A hostile snippet with characters inserted, removed or changed in case. */
const mutated = fc
  .tuple(
    fc.constantFrom(...HOSTILE),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom("insert", "remove", "upper", "repeat"),
        fc.oneof(fc.constantFrom(...GLUE), fc.string({ maxLength: 3 })),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([text, edits]) => {
    let s = text;
    for (const [at, edit, piece] of edits) {
      const i = at % (s.length + 1);
      if (edit === "insert") s = s.slice(0, i) + piece + s.slice(i);
      else if (edit === "remove") s = s.slice(0, i) + s.slice(i + piece.length + 1);
      else if (edit === "upper") s = s.slice(0, i) + s.slice(i, i + 8).toUpperCase() + s.slice(i + 8);
      else s = s.slice(0, i) + s.slice(i, i + 12) + s.slice(i);
    }
    return s;
  });

/** TeX commands, hostile snippets and glue between math delimiters: what KaTeX makes of them. */
const TEX = [
  "x", "1", " ", "^", "_", "{", "}", "\\frac{a}{b}", "\\sqrt", "\\left(", "\\right)", "\\text{", "\\mathrm{",
  "\\href{", "\\url{", "\\includegraphics{", "\\htmlClass{", "\\htmlStyle{", "\\color{", "\\colorbox{",
  "\\def\\a", "\\a", "\\rule{", "em}", "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "\\tag{",
  "\\operatorname{", "\\verb|", "|", "\\char\"3C", "javascript:alert(1)", "https://ok.example", "<", ">", "\"",
];
const texMath = fc
  .tuple(
    fc.constantFrom(["$", "$"], ["$$", "$$"], ["\\(", "\\)"], ["\\[", "\\]"], ["$$\n", "\n$$"]),
    fc.array(fc.oneof(fc.constantFrom(...TEX), fc.constantFrom(...HOSTILE), fc.string({ maxLength: 4 })), { maxLength: 16 }),
  )
  .map(([[open, close], parts]) => open + parts.join("") + close);

/** How a browser reads an href: surrounding spaces and controls dropped, tabs and newlines too. */
function followed(href: string): string {
  return href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
}

/** Fails, naming the element and attribute, when `html` holds anything unsafe. */
function expectSafe(html: string) {
  const root = document.createElement("div");
  root.innerHTML = html;
  for (const el of Array.from(root.querySelectorAll("*"))) {
    const tag = el.tagName.toLowerCase();
    const math = el.namespaceURI === MATHML_NS;
    if (math) {
      expect(MATH_TAGS.has(tag), `<${tag}> in ${html}`).toBe(true);
      // MathML begins only at <math>, which sits in HTML.
      expect(tag === "math", `<${tag}> in ${html}`).toBe(el.parentElement?.namespaceURI !== MATHML_NS);
    } else {
      expect(el.namespaceURI, `<${tag}> in ${html}`).toBe(HTML_NS);
      expect(TAGS.has(tag), `<${tag}> in ${html}`).toBe(true);
      expect(el.closest("math"), `<${tag}> inside math in ${html}`).toBeNull();
    }
    if (tag === "input") expect(el.getAttribute("type"), html).toBe("checkbox");
    for (const attr of Array.from(el.attributes)) {
      expect((math ? MATH_ATTRIBUTES : ATTRIBUTES).has(attr.name), `${attr.name} on <${tag}> in ${html}`).toBe(true);
      if (attr.name === "href") expect(followed(attr.value), html).toMatch(SAFE_LINK);
    }
  }
}

beforeAll(async () => {
  expect(await loadMath()).toBe(true);
  expect(renderMarkdown("$x$")).toContain("<math");
});

describe("renderMarkdown on fuzzed input", () => {
  it.each([
    ["random text", anyText],
    ["hostile snippets strung together", combined],
    ["mutated hostile snippets", mutated],
    ["math made of TeX and hostile snippets", texMath],
  ])("never throws and returns only safe HTML: %s", (_, input) => {
    fc.assert(
      fc.property(input, (text) => {
        expectSafe(renderMarkdown(text));
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("renders a streaming reply safely at every step", () => {
    const text = fc.oneof(combined, mutated, anyText, texMath);
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const whole = parts.join("\n\n");
        const stream = new StreamingMarkdown();
        const ends = [...cuts.map((c) => c % (whole.length + 1)), whole.length].sort((a, b) => a - b);
        for (const end of ends) {
          const { blocks, tail } = stream.update(whole.slice(0, end));
          for (const piece of [...blocks, tail]) {
            expectSafe(pieceHtml(piece));
            // The page parses a growing block's children one by one (streamedDom.ts).
            if (typeof piece !== "string") for (const html of [piece.head + piece.foot, ...piece.parts, piece.rest]) expectSafe(html);
          }
        }
      }),
      { numRuns: Math.max(1, Math.floor(RUNS / 3)) },
    );
  }, TIMEOUT);
});

/** HTML as the page would hold it. */
function normal(html: string): string {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div.innerHTML;
}

/** What the highlighter writes, and near misses of it. */
const SHAPES = [
  '<span class="hljs-keyword">', '<span class="hljs-title class_">', '<span class="code-piece">', "</span>",
  "&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;",
  '<span class="a" onclick="alert(1)">', "<span class=a>", '<span  class="a">', "<span>", '<span class="a"/>',
  '<span class="a>', '<span class="a" >', "<SPAN class=\"a\">", "</span >", "</ span>", "&", "&lt", "&#106;",
  "&nbsp;", "&#x3C;", '<span class="a&quot;>">', '<span class="\u0000">', "<a href=x>",
];

describe("the highlighter's shape (highlight.ts)", () => {
  it("holds only what the sanitiser would keep as it is", () => {
    const html = fc
      .array(fc.oneof(fc.constantFrom(...SHAPES), fc.constantFrom(...GLUE), fc.constantFrom(...HOSTILE), fc.string({ maxLength: 6 })), { maxLength: 24 })
      .map((parts) => parts.join(""));
    let passed = 0;
    fc.assert(
      fc.property(html, (text) => {
        if (!isHighlightHtml(text)) return;
        passed++;
        expectSafe(text);
        expect(normal(purify(text)), text).toBe(normal(text));
        const root = document.createElement("div");
        root.innerHTML = text;
        for (const el of Array.from(root.querySelectorAll("*"))) {
          expect(el.tagName, text).toBe("SPAN");
          expect(Array.from(el.attributes, (a) => a.name), text).toEqual(["class"]);
        }
      }),
      { numRuns: RUNS * 5 },
    );
    expect(passed).toBeGreaterThan(0);
  }, TIMEOUT);

  it("is the shape of any code highlighted in any language, so its pieces skip DOMPurify", () => {
    const languages = ["rust", "python", "javascript", "html", "xml", "bash", "markdown", "sql", "css", "php", "console"];
    fc.assert(
      fc.property(fc.oneof(anyText, combined, mutated), fc.constantFrom(...languages), (code, language) => {
        expect(isHighlightHtml(codePieceHtml(code, language, highlights(language, code.length), false)), code).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});

