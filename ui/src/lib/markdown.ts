// Model output as Markdown, made safe: the webview is untrusted territory, and model text is
// attacker-controlled (prompt injection, pasted pages). Raw HTML never renders; DOMPurify then
// enforces a strict allowlist on what Markdown produced, as a second line of defence.
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";
import { highlightCode } from "./highlight";

/** Link schemes a person may follow (opened in the system browser, never in the app). */
const SAFE_LINK = /^(?:https?:|mailto:)/i;
/** Where an image may be loaded from, on request. */
const WEB_IMAGE = /^https?:\/\//i;

const ALLOWED_TAGS = [
  "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
  "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tr", "th", "td", "a", "span", "input",
];
const ALLOWED_ATTR = ["href", "title", "class", "align", "type", "checked", "disabled", "start"];

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Raw HTML in the text is shown as text, never parsed as markup.
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    // Images would load remote URLs by themselves (and tell their server you read this): they
    // become links the app offers to load on a click (lib/remoteImages.ts).
    image({ href, text }: Tokens.Image) {
      const label = escapeHtml(text || "image");
      return WEB_IMAGE.test(href.trim())
        ? `<a href="${escapeHtml(href.trim())}" class="image-link">${label}</a>`
        : label;
    },
    link({ href, title, tokens }: Tokens.Link) {
      const inner = this.parser.parseInline(tokens);
      if (!SAFE_LINK.test(href.trim())) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(href.trim())}"${t}>${inner}</a>`;
    },
    code({ text, lang }: Tokens.Code) {
      const language = (lang ?? "").match(/^[\w+#.-]+/)?.[0] ?? "";
      const cls = language ? ` class="language-${escapeHtml(language)}"` : "";
      const body = highlightCode(text, language) ?? escapeHtml(text);
      return `<pre><code${cls}>${body}</code></pre>`;
    },
  },
});

let hooked = false;
function purify(html: string): string {
  if (!hooked) {
    // Only allowlisted hrefs survive, whatever their spelling (entities, case, whitespace).
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        const href = node.getAttribute("href") ?? "";
        if (!SAFE_LINK.test(href.trim())) node.removeAttribute("href");
      }
      if (node.tagName === "INPUT" && node.getAttribute("type") !== "checkbox") node.remove();
    });
    hooked = true;
  }
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: SAFE_LINK,
  });
}

/** Safe HTML for `text`; on any failure, the text escaped as a plain paragraph. */
export function renderMarkdown(text: string): string {
  try {
    return purify(marked.parse(text) as string);
  } catch {
    return `<p>${escapeHtml(text)}</p>`;
  }
}

/** The URL a click on rendered Markdown should open, if it is a safe link. */
export function linkTarget(target: EventTarget | null): string | null {
  const anchor = (target as Element | null)?.closest?.("a[href]");
  const href = anchor?.getAttribute("href") ?? null;
  return href && SAFE_LINK.test(href) ? href : null;
}
