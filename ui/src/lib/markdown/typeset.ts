// Typesetting math with KaTeX, loaded once a reply first has math.
//
// KaTeX writes MathML only (`output: "mathml"`): WebKitGTK lays MathML out natively, so no inline
// `style` attributes are needed (the CSP, `style-src 'self'`, would block them; KaTeX's HTML
// output is positioned with them) and no KaTeX fonts or CSS ship with the app. Its output goes
// through the same DOMPurify allowlist as the rest of the reply (markdown.ts). KaTeX runs with
// `trust: false` (no `\href`, `\url`, `\includegraphics`, `\htmlClass`…: they show as their
// name), a cap on sizes and macro expansions, and any error shows the math as written.
//
// KaTeX is a quarter of a megabyte, so it loads only once a reply has math in it: until then (a
// few milliseconds) math shows as written, and `whenMathLoads` tells the page to render again.

import type { KatexOptions } from "katex";
import "./math.css";

type Katex = typeof import("katex").default;

const KATEX_OPTIONS: KatexOptions = {
  output: "mathml",
  // Errors are caught below, to show the math with its delimiters as the model wrote it (KaTeX's
  // own error output drops them and is coloured with a style attribute).
  throwOnError: true,
  trust: false,
  strict: "ignore",
  // In ems: no \rule or \kern the size of the window.
  maxSize: 20,
  // Macro expansions per formula: `\def\a{\a\a}\a` stops here.
  maxExpand: 500,
};

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

let katex: Katex | null = null;
let loading: Promise<boolean> | null = null;
/** Bumped when KaTeX has loaded: HTML rendered before shows math as written. */
let generation = 0;
const listeners = new Set<() => void>();

/** Loads KaTeX (once); resolves whether it loaded. */
export function loadMath(): Promise<boolean> {
  loading ??= import("katex").then(
    (module) => {
      katex = module.default;
      generation++;
      for (const listener of listeners) listener();
      listeners.clear();
      return true;
    },
    // Math then stays as written, for the rest of the session.
    () => false,
  );
  return loading;
}

/** Calls `listener` once KaTeX has loaded (at once if it has). */
export function whenMathLoads(listener: () => void): void {
  if (katex) listener();
  else listeners.add(listener);
}

/** Which KaTeX rendered math: 0 before it has loaded, 1 after. */
export function mathGeneration(): number {
  return generation;
}

/** Typeset math seen lately: while a reply streams, its last block renders every frame. */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 256;

function asWritten(raw: string, display: boolean, why?: string): string {
  const cls = why ? "math-error" : "math-source";
  const title = why ? ` title="${escapeHtml(why)}"` : "";
  return `<span class="${cls}${display ? " math-display" : ""}"${title}>${escapeHtml(raw)}</span>`;
}

/** HTML for one piece of math: MathML from KaTeX, or the math as written (`raw`, with its
 * delimiters) until KaTeX has loaded, or when it is not valid TeX. */
export function renderMath(tex: string, display: boolean, raw: string): string {
  if (!katex) {
    void loadMath();
    return asWritten(raw, display);
  }
  const key = `${display ? "D" : "I"}${raw}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh its place, so the oldest entry is the one evicted.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let html: string;
  try {
    const math = katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: display });
    html = `<span class="math${display ? " math-display" : ""}">${math}</span>`;
  } catch (e) {
    // A ParseError, or a RangeError from TeX nested too deep: never thrown past here.
    html = asWritten(raw, display, e instanceof Error ? e.message : String(e));
  }
  cache.set(key, html);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return html;
}

