// Syntax highlighting for code blocks in replies: highlight.js core with a chosen set of common
// languages, registered one by one so the bundle carries only these. Its output (spans with
// `hljs-*` classes around escaped text) still goes through the Markdown sanitizer.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import makefile from "highlight.js/lib/languages/makefile";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import powershell from "highlight.js/lib/languages/powershell";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import shellSession from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import "./highlight.css";

/**
 * Blocks longer than this stay plain text. A block is highlighted in pieces, each once (below),
 * so a streaming block costs the same per frame at any length; a finished reply shown for the
 * first time still pays about half a millisecond per kilobyte.
 */
export const MAX_HIGHLIGHT_CHARS = 100_000;

/**
 * Lines in a piece of a code block. A block is highlighted piece by piece, each piece on its own,
 * so that a growing block's finished pieces are highlighted once and only its last, unfinished
 * piece again on each frame (streaming.ts). A piece ends after this many lines, or twice, four
 * times as many…, where the highlighter is back at the language's top level (no comment or
 * string left open), so the pieces join as the block would read whole. Eight lines: the last
 * piece is highlighted again on every frame, and at 24 lines that was most of a frame's script
 * time in a fast stream of code (the frame gaps' median went from 21 to 16 ms).
 */
export const PIECE_LINES = 8;

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, makefile,
  markdown, php, plaintext, powershell, python, ruby, rust, sql, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
// highlight.js's "shell" is a terminal session (prompts, output); models mostly write ```shell
// for scripts, so it means Bash here and the session grammar answers to ```console.
hljs.registerLanguage("console", shellSession);
hljs.registerAliases(["shell"], { languageName: "bash" });

/** Highlighted finished pieces, by language and text: the last piece of a streaming block changes
 * every frame and is never kept, so these are the pieces a block is made of. */
const cache = new Map<string, Piece>();
const CACHE_ENTRIES = 512;

interface Piece {
  html: string;
  /** Whether the highlighter ended at the language's top level. */
  settled: boolean;
}

/** Whether a block of `length` characters in `language` is highlighted. Never guesses a language. */
export function highlights(language: string, length: number): boolean {
  const lang = language.toLowerCase();
  return lang !== "" && length <= MAX_HIGHLIGHT_CHARS && hljs.getLanguage(lang) !== undefined;
}

function escapeCode(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `piece` highlighted on its own; kept when `keep` (a finished piece). */
function highlightPiece(piece: string, language: string, keep: boolean): Piece {
  const lang = language.toLowerCase();
  const key = `${lang}\u0000${piece}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh its place, so the oldest entry is the one evicted.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let result: Piece;
  try {
    const r = hljs.highlight(piece, { language: lang, ignoreIllegals: true });
    // `_top` is the mode the highlighter ended in: the language itself at its top level.
    const top = (r as unknown as { _top?: unknown })._top;
    result = { html: r.value, settled: top === hljs.getLanguage(lang) };
  } catch {
    result = { html: escapeCode(piece), settled: true };
  }
  if (keep) {
    cache.set(key, result);
    if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  }
  return result;
}

/**
 * Where the piece of `code` that starts at `from` ends (see {@link PIECE_LINES}), or -1 when it
 * runs to the end of the code: the last piece, which is unfinished while the block grows. A piece
 * ends only where more code follows, so a finished piece stays one however the code goes on.
 */
export function pieceEnd(code: string, language: string, from: number, highlighted: boolean): number {
  let end = from;
  for (let lines = PIECE_LINES, counted = 0; ; lines *= 2) {
    for (; counted < lines; counted++) {
      const newline = code.indexOf("\n", end);
      if (newline === -1 || newline + 1 >= code.length) return -1;
      end = newline + 1;
    }
    if (!highlighted || highlightPiece(code.slice(from, end), language, true).settled) return end;
  }
}

/**
 * The HTML of one piece of a block: highlighted, or escaped when the block is not, in a block of
 * its own (`code-piece`), so that a growing block lays out its new piece alone rather than all of
 * its lines as one run of text. Empty only for an empty block.
 */
export function pieceHtml(piece: string, language: string, highlighted: boolean, finished: boolean): string {
  if (piece === "") return "";
  const html = highlighted ? highlightPiece(piece, language, finished).html : escapeCode(piece);
  return `<span class="code-piece">${html}</span>`;
}

/** A tag highlight.js writes: a span whose one attribute is its classes, or a span's end. */
const SPAN = /<span class="[\w -]+">|<\/span>/y;
/** The entities highlight.js and `escapeCode` write. */
const ENTITY = /&(?:amp|lt|gt|quot|#x27|#39);/y;

/**
 * Whether `html` has the shape highlight.js writes and nothing else: text with `&`, `<` and `>`
 * escaped, in balanced spans that carry a class and no other attribute. HTML of that shape holds
 * nothing the sanitiser would remove, so a growing code block's pieces are checked by their shape
 * (a pass over the characters) rather than parsed and walked by DOMPurify on every frame; anything
 * else goes through DOMPurify as all HTML does.
 */
export function isHighlightHtml(html: string): boolean {
  let depth = 0;
  for (let i = 0; i < html.length; ) {
    const c = html.charCodeAt(i);
    if (c === 60 /* < */) {
      SPAN.lastIndex = i;
      const tag = SPAN.exec(html);
      if (tag === null) return false;
      depth += tag[0][1] === "/" ? -1 : 1;
      if (depth < 0) return false;
      i = SPAN.lastIndex;
    } else if (c === 38 /* & */) {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(html)) return false;
      i = ENTITY.lastIndex;
    } else if (c === 62 /* > */) {
      return false;
    } else {
      i++;
    }
  }
  return depth === 0;
}

/** `code` as HTML: its pieces, highlighted (escaped text inside `hljs-*` spans) where the
 * language is known and the block not too long ({@link highlights}). */
export function codeHtml(code: string, language: string): string {
  const highlighted = highlights(language, code.length);
  let html = "";
  let from = 0;
  for (let end = pieceEnd(code, language, 0, highlighted); end !== -1; end = pieceEnd(code, language, from, highlighted)) {
    html += pieceHtml(code.slice(from, end), language, highlighted, true);
    from = end;
  }
  return html + pieceHtml(code.slice(from), language, highlighted, false);
}
