// Model output as Markdown, made safe: the webview is untrusted territory, and model text is
// attacker-controlled (prompt injection, pasted pages). Raw HTML never renders; DOMPurify then
// enforces a strict allowlist on what Markdown produced (math included: KaTeX's MathML, math.ts),
// as a second line of defence.
import DOMPurify from "dompurify";
import { Marked, type Token, type Tokens, type TokensList } from "marked";
import { codeHtml } from "./highlight";
import { SAFE_LINK } from "./links";
import { mathExtension } from "./math";

export { linkTarget } from "./links";
export { whenMathLoads } from "./math";
export { pieceHtml, type Container, type Piece, type Streamed } from "./pieces";
export { StreamingMarkdown } from "./streaming";

/** Where an image may be loaded from, on request. */
const WEB_IMAGE = /^https?:\/\//i;

const HTML_TAGS = [
  "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
  "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tr", "th", "td", "a", "span", "input",
];
/** The MathML KaTeX writes (math.ts), and no more: no `mglyph` (an image), `maction` or
 * `annotation-xml` (which may hold HTML). */
const MATH_TAGS = [
  "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "mtext", "mspace",
  "msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "msqrt", "mroot",
  "mstyle", "mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd", "mlabeledtr",
];
const ALLOWED_TAGS = [...HTML_TAGS, ...MATH_TAGS];
const HTML_ATTR = ["href", "title", "class", "align", "type", "checked", "disabled", "start"];
/** Layout that KaTeX's MathML carries, allowed on MathML elements only. Not `href` (a link inside
 * math would bypass the app's link handling), nor the colours `mathcolor` and `mathbackground`
 * (math stays in the theme's colours, readable in both; `\color` shows uncoloured). */
const MATH_ATTR = [
  "display", "mathvariant", "mathsize", "encoding", "fence", "separator", "stretchy", "symmetric",
  "largeop", "movablelimits", "minsize", "maxsize", "lspace", "rspace", "width", "height",
  "depth", "voffset", "linethickness", "linebreak", "accent", "accentunder", "notation",
  "displaystyle", "scriptlevel", "columnalign", "rowalign", "columnspacing", "rowspacing",
  "columnlines", "rowlines",
];
const MATH_ONLY = new Set(MATH_ATTR);
const ALLOWED_ATTR = [...HTML_ATTR, ...MATH_ATTR];
/** Allowed attributes whose values are words, numbers or lengths, never URLs. DOMPurify checks
 * every other attribute's value against the link allowlist, which would drop `align="right"`,
 * `type="checkbox"`, `start="3"` and `display="block"`. */
const PLAIN_VALUE_ATTR = ["align", "type", "start", ...MATH_ATTR];
const HTML_NS = "http://www.w3.org/1999/xhtml";
const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export const marked = new Marked(mathExtension, {
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Raw HTML in the text is shown as text, never parsed as markup.
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    // Images would load remote URLs by themselves (and tell their server you read this): they
    // become links the app offers to load on a click (remoteImages.ts).
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
      const body = codeHtml(text, language);
      return `<pre><code${cls}>${body}</code></pre>`;
    },
  },
});

let hooked = false;
/** Where HTML is sanitised: no script runs and nothing loads in a document without a window. */
let scratch: HTMLElement | null = null;
export function purify(html: string): string {
  if (!hooked) {
    DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
      if (MATH_ONLY.has(data.attrName) && node.namespaceURI !== MATHML_NS) data.keepAttr = false;
    });
    // Only allowlisted hrefs survive, whatever their spelling (entities, case, whitespace), and
    // only on links: MathML would follow one itself, past the app's link handling.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        const href = node.getAttribute("href") ?? "";
        if (!SAFE_LINK.test(href.trim())) node.removeAttribute("href");
      } else {
        node.removeAttribute("href");
      }
      if (node.tagName === "INPUT" && node.getAttribute("type") !== "checkbox") node.remove();
      // KaTeX never puts HTML inside MathML (where mtext would allow it): nothing else may.
      if (node.namespaceURI === HTML_NS && node.parentElement?.namespaceURI === MATHML_NS) node.remove();
    });
    hooked = true;
  }
  // Parsed into an element of one inert document, kept for every call: given a string, DOMPurify
  // would parse each into a new document, and a streaming reply is sanitised on every frame.
  scratch ??= document.implementation.createHTMLDocument("").createElement("span");
  scratch.innerHTML = html;
  try {
    DOMPurify.sanitize(scratch, {
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      ADD_URI_SAFE_ATTR: PLAIN_VALUE_ATTR,
      ALLOW_DATA_ATTR: false,
      ALLOWED_URI_REGEXP: SAFE_LINK,
      IN_PLACE: true,
    });
    return scratch.innerHTML;
  } finally {
    scratch.replaceChildren();
  }
}

/** Safe HTML for `text`; on any failure, the text escaped as a plain paragraph. */
export function renderMarkdown(text: string): string {
  try {
    return purify(marked.parse(text) as string);
  } catch {
    return `<p>${escapeHtml(text)}</p>`;
  }
}

/** A link reference definition (`[name]: url`): it changes links anywhere in the text, before it
 * too, so a reply that has one is rendered whole. */
export const LINK_DEFINITION = /^ {0,3}\[[^\]\n]+\]:/m;

export function renderTokens(tokens: Token[], links: TokensList["links"]): string {
  const list = Object.assign([...tokens], { links }) as TokensList;
  try {
    return purify(marked.parser(list));
  } catch {
    return `<p>${escapeHtml(tokens.map((t) => t.raw).join(""))}</p>`;
  }
}
