// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
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
];

describe("renderMarkdown", () => {
  it("renders ordinary Markdown", () => {
    const root = dom(renderMarkdown("# Title\n\nSome **bold** and `code`.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |"));
    expect(root.querySelector("h1")?.textContent).toBe("Title");
    expect(root.querySelector("strong")?.textContent).toBe("bold");
    expect(root.querySelectorAll("li")).toHaveLength(2);
    expect(root.querySelector("td")?.textContent).toBe("1");
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
      expect(["script", "iframe", "svg", "style", "form", "object", "embed", "img", "math", "details", "div"]).not.toContain(
        el.tagName.toLowerCase(),
      );
      for (const attr of Array.from(el.attributes)) {
        expect(attr.name.startsWith("on")).toBe(false);
        expect(attr.name).not.toBe("style");
        if (attr.name === "href") expect(attr.value).toMatch(/^(https?:|mailto:)/i);
      }
    }
  });
});
