// Math in replies: TeX between `$…$` or `\(…\)` (inline) and `$$…$$` or `\[…\]` (display), a
// Marked extension that finds it (mathFinding.ts: where `$` is math and where it is money or
// shell) and typesets it (typeset.ts: KaTeX as MathML, loaded when a reply first has math).

import type { MarkedExtension, Token, Tokens } from "marked";
import { Delimiters, maskMath, mathAt, mathBlockAt, mathBlockStart } from "./mathFinding";
import { renderMath } from "./typeset";

export { BLANK, Delimiters, MAX_TEX_CHARS, openMathBlock } from "./mathFinding";
export { loadMath, mathGeneration, whenMathLoads } from "./typeset";

interface MathToken extends Tokens.Generic {
  type: "math" | "mathBlock";
  raw: string;
  tex: string;
  display: boolean;
}

/** What the inline tokenizer knows of the paragraph it is in. Marked calls it with ever shorter
 * tails of one text, always with the same tokens list, which holds what was lexed before the tail;
 * so the tail's place in the text is the length of those tokens. Searches for closing delimiters
 * are then shared by every tail, and the character before a tail is at hand. */
interface InlineText {
  d: Delimiters;
  /** The length of the tokens before the text began (none, unless Marked did something new). */
  base: number;
  /** How many tokens are counted in `sum`: all but the last, which may still grow. */
  counted: number;
  sum: number;
}
const inlineTexts = new WeakMap<Token[], InlineText>();

/** The text `src` is the tail of, and where in it `src` begins. */
function tailOf(tokens: Token[], src: string): { d: Delimiters; at: number } {
  let text = inlineTexts.get(tokens);
  const lexed = () => {
    const t = text!;
    while (t.counted < tokens.length - 1) t.sum += tokens[t.counted++]!.raw.length;
    return t.sum + (tokens.length > t.counted ? tokens[t.counted]!.raw.length : 0);
  };
  if (text) {
    const at = lexed() - text.base;
    if (at >= 0 && at + src.length === text.d.text.length && text.d.text[at] === src[0]) return { d: text.d, at };
  }
  text = { d: new Delimiters(src), base: 0, counted: 0, sum: 0 };
  inlineTexts.set(tokens, text);
  text.base = lexed();
  return { d: text.d, at: 0 };
}

/** How far ahead the inline tokenizer looks for math to start: Marked asks again at every token,
 * and searching the rest of a long paragraph each time would cost its square. */
const CANDIDATE_WINDOW = 1_000;

/** Where Marked should stop its text, to ask again: the next place math might start, or else the
 * last word in the window that follows a space (nothing Marked reads runs across a space and into
 * the next word: a URL, an email address or the two spaces of a line break). */
function nextCandidate(src: string): number | undefined {
  const window = src.slice(0, CANDIDATE_WINDOW);
  const at = window.search(/\$|\\[([]/);
  if (at !== -1 || src.length <= CANDIDATE_WINDOW) return at === -1 ? undefined : at;
  for (let i = window.length - 1; i > 0; i--) {
    if (/[A-Za-z0-9]/.test(window[i]!) && /\s/.test(window[i - 1]!)) return i;
  }
  return undefined;
}

/** The Marked extension: inline math, math blocks, and emphasis kept out of math. */
export const mathExtension: MarkedExtension = {
  extensions: [
    {
      name: "mathBlock",
      level: "block",
      start(src: string) {
        // Where a paragraph is cut short for a math block. Only at a block that is really there:
        // Marked lexes what follows a cut anew, some of it (setext headings) to the paragraph's
        // end, so a cut at every `$$` line would cost the square of the lines. And only up to a
        // blank line, where the paragraph ends anyway.
        return mathBlockStart(src);
      },
      tokenizer(src: string): MathToken | undefined {
        const block = mathBlockAt(src);
        return block ? { type: "mathBlock", raw: block.raw, tex: block.tex, display: true } : undefined;
      },
      renderer(token) {
        const { tex, raw } = token as MathToken;
        return `<p class="math-block">${renderMath(tex, true, raw.trim())}</p>\n`;
      },
    },
    {
      name: "math",
      level: "inline",
      start: nextCandidate,
      tokenizer(src: string, tokens): MathToken | undefined {
        if (src[0] !== "$" && !(src[0] === "\\" && (src[1] === "(" || src[1] === "["))) return undefined;
        const { d, at } = tailOf(tokens, src);
        const before = at > 0 ? d.text[at - 1] : tokens.at(-1)?.raw.slice(-1);
        const span = mathAt(d, at, before ?? "");
        if (!span) return undefined;
        return { type: "math", raw: d.text.slice(at, span.end), tex: span.tex, display: span.display };
      },
      renderer(token) {
        const { tex, display, raw } = token as MathToken;
        return renderMath(tex, display, raw);
      },
    },
  ],
  hooks: { emStrongMask: maskMath },
};

/**
 * A growing reply's text less a `$` at its very end: whether that `$` closes math depends on the
 * character after it (`$5–$10` is two prices, `$5–$x` is not), which has not arrived yet.
 */
export function settledText(text: string): string {
  return /(?:^|[^$\\])\$$/.test(text) ? text.slice(0, -1) : text;
}
