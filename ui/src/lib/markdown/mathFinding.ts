// Where math is in a reply's text: TeX between `$…$` or `\(…\)` (inline) and `$$…$$` or `\[…\]`
// (display), found without typesetting anything (math.ts hands what is found to Marked, and
// typeset.ts to KaTeX).
//
// Finding math in prose is guesswork, since `$` is also money and shell. The rules (pandoc's
// first, then ours):
// - An opening `$` is followed by a non-space; the math ends at the next unescaped `$`, which
//   must follow a non-space and not be followed by a digit. Otherwise that `$` is text. So
//   "costs $5 and $10" and "$5–$10" stay text.
// - A `$` right after a digit or another `$` opens nothing ("5$, 10$"; "$$$").
// - A shell variable stays text: math that starts with an upper-case name or `{` ends only
//   where no name, digit, `{` or `(` follows, so "$HOME/$USER", "$A$B" and "${X}:${Y}" stay text
//   ("$HOME and $PATH" already do by the first rule).
// - `\[…\]` around plain words or numbers, as in "\[1\]", is escaped brackets, not math.
// - `$$…$$` and `\[…\]` may span lines but not a blank line; on lines of their own they are a
//   block. Code blocks are lexed before math, and inline math never runs across a backtick, so
//   nothing in code is math; `\$` is a dollar.

/**
 * How far a closing delimiter is looked for. Longer math is not typeset (KaTeX takes about 7 ms
 * per thousand characters), so it is not looked for either: it stays text. The bound also keeps
 * text with many openers that never close (`\( \( \( …`) from costing a search of the rest of
 * the reply for each.
 */
export const MAX_TEX_CHARS = 5_000;

const SPACE = /\s/;
const DIGIT = /[0-9]/;
/** Math that starts like a shell variable (`$HOME`, `${PATH}`)… */
const SHELL_NAME = /^(?:[A-Z_][A-Z0-9_]*(?![a-z])|\{)/;
/** …and ends where the shell word goes on (`$HOME/$USER`, `$A$B`) is a shell variable. */
const SHELL_GOES_ON = /[A-Za-z0-9_{(]/;
/** Plain words or numbers between `\[` and `\]`: brackets escaped in Markdown ("\[1\]"). */
const ESCAPED_BRACKETS = /^[\p{L}\p{N}][\p{L}\p{N} ,.;:'"!?-]*$/u;

/** Whether `text[i]` is escaped: an odd number of backslashes just before it. (A run of them never
 * reaches back past an opening delimiter, which ends in `$`, `(` or `[`.) */
function escaped(text: string, i: number): boolean {
  let j = i;
  while (j > 0 && text[j - 1] === "\\") j--;
  return (i - j) % 2 === 1;
}

/** The needle that stands for a blank line. */
export const BLANK = "\n\n";
const BLANK_LINE = /\n[ \t]*\n/g;

/**
 * Finds closing delimiters (and blank lines) in one text, remembering what each search found, so
 * that looking again from further on costs nothing, or only the part not yet searched. Text with
 * many openers that never close (`\[` on every line) would otherwise search the same stretch
 * once for each.
 */
export class Delimiters {
  /** Per needle, the last search: from where, and where the needle it found begins and ends; or
   * `at` -1: none begins before `to`. */
  private searched = new Map<string, { from: number; to: number; at: number; end: number }>();

  constructor(readonly text: string) {}

  /** Where the first unescaped `needle` in `text[from, to)` begins, or -1. */
  find(needle: string, from: number, to: number): number {
    const last = this.searched.get(needle);
    let start = from;
    /** `text[from, clear)` is known to hold no `needle`. */
    let clear = from;
    if (last && last.from <= from) {
      // What the last search found is the first from here on too; what it did not find is not
      // in the stretch it searched.
      if (last.at >= from) return last.end <= to ? last.at : -1;
      if (last.at === -1) clear = start = Math.max(from, last.to);
    }
    const found = start < to ? this.search(needle, start, to) : null;
    // Where a needle might begin that runs past `to` was not searched: a blank line from the last
    // newline on, a delimiter from its length from the end.
    const searched = needle === BLANK ? this.text.lastIndexOf("\n", to - 1) : to - needle.length + 1;
    this.searched.set(needle, { from, to: Math.max(searched, clear), at: found?.at ?? -1, end: found?.end ?? -1 });
    return found?.at ?? -1;
  }

  /** The first unescaped `needle` in `text[from, to)`: where it begins and ends. */
  private search(needle: string, from: number, to: number): { at: number; end: number } | null {
    const text = this.text.slice(0, to);
    if (needle === BLANK) {
      BLANK_LINE.lastIndex = from;
      const m = BLANK_LINE.exec(text);
      return m ? { at: m.index, end: m.index + m[0].length } : null;
    }
    for (let i = text.indexOf(needle, from); i !== -1; i = text.indexOf(needle, i + 1)) {
      // `\)` and `\]` begin with a backslash themselves: that one must be unescaped.
      if (!escaped(text, i)) return { at: i, end: i + needle.length };
    }
    return null;
  }
}

/** A piece of math found in the text: where it ends (after its closing delimiter), its TeX. */
interface MathSpan {
  end: number;
  tex: string;
  display: boolean;
}

/** Where inline math opened at `from` closes with `needle` before `to`, or -1; never across a
 * backtick, which may begin a code span (Marked reads those before math, but only where math has
 * not already swallowed their opening backtick: "costs $2, or `$HOME`" is no math). */
function inlineClose(d: Delimiters, needle: string, from: number, to: number): number {
  const close = d.find(needle, from, to);
  return close === -1 || d.find("`", from, close) !== -1 ? -1 : close;
}

/** `$…$` or `$$…$$` opening at `text[at]`, after the character `before`. */
function dollarMath(d: Delimiters, at: number, before: string): MathSpan | null {
  const text = d.text;
  if (before === "$" || DIGIT.test(before)) return null;
  // Searches end where the closing delimiter would make the TeX longer than MAX_TEX_CHARS.
  const limit = (opening: number, closing: number) => Math.min(text.length, at + opening + MAX_TEX_CHARS + closing);
  if (text[at + 1] === "$") {
    if (text[at + 2] === "$") return null;
    const close = inlineClose(d, "$$", at + 2, limit(2, 2));
    const tex = text.slice(at + 2, close);
    return close === -1 || tex.trim() === "" ? null : { end: close + 2, tex, display: true };
  }
  const first = text[at + 1];
  if (first === undefined || SPACE.test(first)) return null;
  // Only the first unescaped `$` can close: TeX itself would end the math there.
  const close = inlineClose(d, "$", at + 1, limit(1, 1));
  if (close === -1) return null;
  const after = text[close + 1] ?? "";
  if (SPACE.test(text[close - 1]!) || DIGIT.test(after)) return null;
  const tex = text.slice(at + 1, close);
  if (SHELL_NAME.test(tex) && SHELL_GOES_ON.test(after)) return null;
  return { end: close + 1, tex, display: false };
}

/** `\(…\)` or `\[…\]` opening at `text[at]`. */
function bracketMath(d: Delimiters, at: number): MathSpan | null {
  const text = d.text;
  const display = text[at + 1] === "[";
  const close = inlineClose(d, display ? "\\]" : "\\)", at + 2, Math.min(text.length, at + 4 + MAX_TEX_CHARS));
  if (close === -1) return null;
  const tex = text.slice(at + 2, close);
  if (tex.trim() === "" || (display && ESCAPED_BRACKETS.test(tex))) return null;
  return { end: close + 2, tex, display };
}

/** The math opening at `d.text[at]` within a paragraph, after the character `before`, if any. */
export function mathAt(d: Delimiters, at: number, before: string): MathSpan | null {
  if (d.text[at] === "$") return dollarMath(d, at, before);
  if (d.text[at] === "\\" && (d.text[at + 1] === "(" || d.text[at + 1] === "[")) return bracketMath(d, at);
  return null;
}

const BLOCK_OPEN = / {0,3}(\$\$|\\\[)/y;
const BLOCK_OPENS = /(?:^|\n) {0,3}(\$\$|\\\[)/g;
/** A line opening block math, or a blank line (which ends the paragraph it could cut short). */
const BLOCK_START_OR_BLANK = /\n(?: {0,3}(\$\$|\\\[)|[ \t]*\n)/g;

/** Where block math opened at `at` by `opener` (`$$` or `\[`) closes: the index of its closing
 * delimiter; -1 if a blank line comes first or it is too long; `text.length` if it is still open
 * at the end of the text. */
function blockClose(d: Delimiters, at: number, opener: string): number {
  const length = d.text.length;
  const limit = Math.min(length, at + 2 + MAX_TEX_CHARS);
  const close = d.find(opener === "$$" ? "$$" : "\\]", at, limit);
  if (d.find(BLANK, at, close === -1 ? limit : close) !== -1) return -1;
  if (close !== -1) return close;
  return limit === length ? length : -1;
}

/** A math block opening the line at `text[at]`: `$$` or `\[`, up to the line its closing
 * delimiter ends (nothing else on that line), with no blank line in between. */
function blockAt(d: Delimiters, at: number): { raw: string; tex: string } | null {
  const text = d.text;
  BLOCK_OPEN.lastIndex = at;
  const open = BLOCK_OPEN.exec(text);
  if (!open) return null;
  const from = at + open[0].length;
  const close = blockClose(d, from, open[1]!);
  if (close === -1 || close === text.length) return null;
  const end = text.indexOf("\n", close + 2);
  const lineEnd = end === -1 ? text.length : end;
  const tex = text.slice(from, close);
  if (text.slice(close + 2, lineEnd).trim() !== "" || tex.trim() === "") return null;
  if (open[1] === "\\[" && ESCAPED_BRACKETS.test(tex)) return null;
  return { raw: text.slice(at, end === -1 ? text.length : end + 1), tex };
}

/** A math block at the start of `src`, if there is one. */
export function mathBlockAt(src: string): { raw: string; tex: string } | null {
  return blockAt(new Delimiters(src), 0);
}

/** Where the first math block opens a line of `src` after its first, before any blank line. */
export function mathBlockStart(src: string): number | undefined {
  const d = new Delimiters(src);
  BLOCK_START_OR_BLANK.lastIndex = 0;
  for (let m = BLOCK_START_OR_BLANK.exec(src); m?.[1] !== undefined; m = BLOCK_START_OR_BLANK.exec(src)) {
    if (blockAt(d, m.index + 1)) return m.index + 1;
  }
  return undefined;
}

/**
 * Where a line in `text[from, to)` opens block math that is still open at the end of `text` (no
 * closing delimiter and no blank line yet), or -1. While a reply streams, the blocks Marked sees
 * from there on are not finished: once the math closes, they are all one math block.
 */
export function openMathBlock(text: string, from: number, to: number): number {
  const d = new Delimiters(text);
  // From the newline before `from`, so a line opening there is found.
  BLOCK_OPENS.lastIndex = Math.max(0, from - 1);
  for (let m = BLOCK_OPENS.exec(text); m !== null && m.index < to; m = BLOCK_OPENS.exec(text)) {
    const at = m.index + m[0].length;
    if (blockClose(d, at, m[1]!) === text.length) return m.index + (text[m.index] === "\n" ? 1 : 0);
    BLOCK_OPENS.lastIndex = at;
  }
  return -1;
}

/**
 * `src` with the characters Marked reads as emphasis (`*`, `_`, `~`) hidden inside math, so an
 * emphasis opened before math never closes inside it (`*see $a*b$ here*`). Marked hands this hook
 * its own masked copy of the text, where every escaped character is already `++`: `\(…\)` and
 * `\[…\]` cannot be told apart there, so only dollar math is masked (a `*` inside `\(…\)` can
 * still close an emphasis opened before it).
 */
export function maskMath(src: string): string {
  const d = new Delimiters(src);
  let out = "";
  let from = 0;
  for (let i = src.indexOf("$"); i !== -1; i = src.indexOf("$", i + 1)) {
    const span = dollarMath(d, i, src[i - 1] ?? "");
    if (!span) continue;
    out += src.slice(from, i) + src.slice(i, span.end).replace(/[*_~]/g, "a");
    from = span.end;
    i = span.end - 1;
  }
  return out + src.slice(from);
}

