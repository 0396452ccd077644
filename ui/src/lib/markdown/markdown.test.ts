// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { MAX_HIGHLIGHT_CHARS } from "./highlight";
import { renderMarkdown } from "./markdown";

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

const HOSTILE = [
  "<script>window.__TAURI_INTERNALS__.invoke('delete_conversation')</script>",
  '<img src=x onerror="window.__TAURI_INTERNALS__.invoke(\'x\')">',
  "<svg onload=alert(1)><circle r=10 /></svg>",
  '<iframe src="https://evil.example"></iframe>',
  '<a href="javascript:alert(1)">click</a>',
  "[click](javascript:alert(1))",
  "[click](JaVaScRiPt:alert(1))",
  "[click](&#106;avascript:alert(1))",
  "[click]( javascript:alert(1))",
  "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "[file](file:///etc/passwd)",
  "<style>body{display:none}</style>",
  '<form action="https://evil.example"><input type=submit></form>',
  '<div style="position:fixed;inset:0" onclick="alert(1)">cover</div>',
  '<object data="x.swf"></object><embed src="x.swf">',
  "![pixel](https://tracker.example/p.gif)",
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  "```html\n<script>alert(1)</script>\n```",
  "<details open ontoggle=alert(1)>x</details>",
  '<a href="https://ok.example" onclick="alert(1)">ok</a>',
  '<button class="code-copy" data-testid="copy-code">Copy</button>',
];

describe("renderMarkdown", () => {
  it("renders ordinary Markdown", () => {
    const root = dom(renderMarkdown("# Title\n\nSome **bold** and `code`.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |"));
    expect(root.querySelector("h1")?.textContent).toBe("Title");
    expect(root.querySelector("strong")?.textContent).toBe("bold");
    expect(root.querySelectorAll("li")).toHaveLength(2);
    expect(root.querySelector("td")?.textContent).toBe("1");
  });

  it("keeps table alignment, task checkboxes and a list's first number", () => {
    const root = dom(renderMarkdown("| a | b |\n|--:|:-:|\n| 1 | 2 |\n\n- [x] done\n- [ ] to do\n\n3. third\n4. fourth"));
    expect(Array.from(root.querySelectorAll("td"), (td) => td.getAttribute("align"))).toEqual(["right", "center"]);
    const boxes = Array.from(root.querySelectorAll("input"));
    expect(boxes.map((box) => [box.type, box.checked, box.disabled])).toEqual([
      ["checkbox", true, true],
      ["checkbox", false, true],
    ]);
    expect(root.querySelector("ol")?.getAttribute("start")).toBe("3");
  });

  it("keeps code blocks as text with their language", () => {
    const root = dom(renderMarkdown("```rust\nfn main() { println!(\"<b>\"); }\n```"));
    const code = root.querySelector("pre code");
    expect(code?.className).toBe("language-rust");
    expect(code?.textContent).toContain('println!("<b>")');
    expect(root.querySelector("b")).toBeNull();
  });

  it("keeps safe links and drops every other scheme", () => {
    const root = dom(renderMarkdown("[a](https://example.com) [m](mailto:me@example.com) <https://auto.example>"));
    const hrefs = Array.from(root.querySelectorAll("a"), (a) => a.getAttribute("href"));
    expect(hrefs).toEqual(["https://example.com", "mailto:me@example.com", "https://auto.example"]);
  });

  it.each(HOSTILE)("neutralises %s", (input) => {
    const html = renderMarkdown(input);
    const root = dom(html);
    for (const el of Array.from(root.querySelectorAll("*"))) {
      expect([
        "script", "iframe", "svg", "style", "form", "object", "embed", "img", "math", "details", "div", "button",
      ]).not.toContain(el.tagName.toLowerCase());
      for (const attr of Array.from(el.attributes)) {
        expect(attr.name.startsWith("on")).toBe(false);
        expect(attr.name).not.toBe("style");
        if (attr.name === "href") expect(attr.value).toMatch(/^(https?:|mailto:)/i);
      }
    }
  });

  it("highlights code in a known language with hljs spans, keeping the text exact", () => {
    const source = 'fn main() {\n    // a <b>comment</b> & more\n    let s = "</code></pre><img src=x onerror=alert(1)>";\n}';
    const root = dom(renderMarkdown("```rust\n" + source + "\n```"));
    const code = root.querySelector("pre code")!;
    expect(code.className).toBe("language-rust");
    expect(code.querySelector("span.hljs-keyword")?.textContent).toBe("fn");
    expect(code.querySelector("span.hljs-comment")?.textContent).toContain("<b>comment</b>");
    expect(code.querySelector("span.hljs-string")?.textContent).toContain("<img src=x");
    expect(code.textContent).toBe(source);
    expect(root.querySelector("img, b")).toBeNull();
    for (const el of Array.from(code.querySelectorAll("*"))) {
      expect(el.tagName).toBe("SPAN");
      expect(Array.from(el.attributes, (a) => a.name)).toEqual(["class"]);
    }
  });

  it.each([
    ["ts", "hljs-keyword"],
    ["Python", "hljs-keyword"],
    ["shell", "hljs-built_in"],
    ["toml", "hljs-section"],
    ["html", "hljs-tag"],
    ["c++", "hljs-keyword"],
    ["c#", "hljs-keyword"],
  ])("knows the language %s", (lang, expected) => {
    const samples: Record<string, string> = {
      ts: "const x: number = 1;",
      Python: "def f():\n    return 1",
      shell: "echo hi && cd /tmp",
      toml: "[package]\nname = \"confab\"",
      html: "<p class=\"x\">hi</p>",
      "c++": "int main() { return 0; }",
      "c#": "public class A { }",
    };
    const root = dom(renderMarkdown("```" + lang + "\n" + samples[lang] + "\n```"));
    expect(root.querySelector(`pre code span.${expected}`)).not.toBeNull();
    expect(root.querySelector("pre code")?.textContent).toBe(samples[lang]);
  });

  it.each(["", "mermaid", "constructor", "__proto__", "toString"])(
    "leaves code in an unknown language (%j) as escaped text, guessing nothing",
    (lang) => {
      const source = "fn main() { <b>x</b> & 'y' }";
      const root = dom(renderMarkdown("```" + lang + "\n" + source + "\n```"));
      const code = root.querySelector("pre code")!;
      // Only the block's pieces (plain blocks of lines), no highlighting inside them.
      expect(code.querySelectorAll("*:not(span.code-piece), span.code-piece *")).toHaveLength(0);
      expect(code.textContent).toBe(source);
    },
  );

  it("leaves blocks too long to highlight as plain text", () => {
    const source = "let x = 1;\n".repeat(Math.ceil(MAX_HIGHLIGHT_CHARS / 11) + 1);
    const root = dom(renderMarkdown("```rust\n" + source + "```"));
    const code = root.querySelector("pre code")!;
    expect(code.children.length).toBeGreaterThan(1);
    expect(code.querySelectorAll("*:not(span.code-piece), span.code-piece *")).toHaveLength(0);
    expect(code.textContent).toBe(source.slice(0, -1));
  });

  it.each([
    '```"><img src=x onerror=alert(1)>\nfn main() {}\n```',
    "```rust\"><img src=x onerror=alert(1)>\nfn main() {}\n```",
    "```rust onmouseover=alert(1)\nfn main() {}\n```",
    "```<script>alert(1)</script>\nx\n```",
    "```html\n<img src=x onerror=alert(1)><script>alert(1)</script>\n```",
    "```js\n</code></pre><img src=x onerror=alert(1)>\n```",
  ])("keeps a hostile fence inert: %s", (input) => {
    const root = dom(renderMarkdown(input));
    expect(root.querySelector("img, script, button")).toBeNull();
    for (const el of Array.from(root.querySelectorAll("*"))) {
      for (const attr of Array.from(el.attributes)) {
        expect(attr.name).toBe("class");
        expect(attr.value).toMatch(/^[\w\s+#.-]*$/);
      }
    }
  });
});
