// A streaming reply's Markdown, rendered a piece at a time so that a frame costs about the same
// at the end of a long reply as at its start: finished blocks are rendered once, and a long
// growing block (code fence, list, table: openBlock.ts) renders its finished lines, items or rows
// once too. Every piece is sanitised on its own, so each is safe HTML by itself.
import type { TokensList } from "marked";
import { mathGeneration, openMathBlock, settledText } from "./math";
import { escapeHtml, LINK_DEFINITION, marked, renderMarkdown, renderTokens } from "./markdown";
import { followBlock, type OpenBlock } from "./openBlock";
import type { Piece, Streamed } from "./pieces";

/** Where the line holding `at` begins. */
function lineStart(text: string, at: number): number {
  return at <= 0 ? 0 : text.lastIndexOf("\n", at - 1) + 1;
}

/**
 * A streaming reply's Markdown, rendered block by block: the top-level blocks that are finished
 * (another block has begun after them) are rendered once and kept; each update renders only the
 * last, growing block, and of a growing code fence, list or table only what is new (openBlock.ts).
 *
 * A block counts as finished only once the lexer has started another one after it; so is
 * everything from a line that opens block math (`$$`) not closed yet, which Marked reads as text
 * until it closes. The joined pieces are the HTML that {@link renderMarkdown} makes of the text,
 * less a `$` at its very end (see `settledText`) until the text is said to be complete: a
 * finished reply keeps the pieces it streamed as rather than being rendered whole again.
 */
export class StreamingMarkdown {
  /** The text of the finished blocks: a prefix of every text this has been given. */
  private done = "";
  private finished: Piece[] = [];
  /** Rendering piecewise would differ (a link definition, carriage returns): render whole. */
  private whole = false;
  /** Whether KaTeX had loaded when the finished blocks were rendered (math.ts). */
  private math = mathGeneration();
  /** The text of the last update: the next one is checked only where it goes on from it. */
  private seen = "";
  /** The growing last block, followed line by line; null when it is rendered whole. */
  private open: OpenBlock | null = null;

  /** The safe HTML of `text`: the finished blocks' (kept from earlier calls) and the last one's.
   * With `complete`, the text is the whole reply (nothing held back as maybe still growing). */
  update(growing: string, complete = false): Streamed {
    const text = complete ? growing : settledText(growing);
    if (!text.startsWith(this.done) || this.math !== mathGeneration()) this.reset();
    if (this.whole) return { blocks: [], tail: renderMarkdown(text) };
    // Only what is new since the last update is looked at again (both checks are per line).
    const extends_ = this.seen !== "" && text.startsWith(this.seen);
    if (!extends_) this.open = null;
    const fresh = text.slice(lineStart(text, extends_ ? this.seen.length : this.done.length));
    this.seen = text;
    if (fresh.includes("\r") || LINK_DEFINITION.test(fresh)) {
      this.reset();
      this.whole = true;
      return { blocks: [], tail: renderMarkdown(text) };
    }
    if (this.open) {
      const step = this.open.update(text);
      if (step !== null && step.end === null) return { blocks: [...this.finished], tail: step.piece };
      if (step !== null && step.end !== null && openMathBlock(text, this.done.length, step.end) === -1) {
        this.finished.push(step.piece);
        this.done = text.slice(0, step.end);
      }
      this.open = null;
    }
    return this.lexRest(text);
  }

  /** Lexes everything after the finished blocks: the slow way, when no growing block is followed. */
  private lexRest(text: string): Streamed {
    const rest = text.slice(this.done.length);
    let tokens: TokensList;
    try {
      tokens = marked.lexer(rest);
    } catch {
      return { blocks: [...this.finished], tail: `<p>${escapeHtml(rest)}</p>` };
    }
    // The open block is the last one that is not blank lines; everything before it is finished,
    // up to where block math is still open.
    let open = tokens.length - 1;
    while (open > 0 && tokens[open]!.type === "space") open--;
    let length = 0;
    for (let i = 0; i < open; i++) length += tokens[i]!.raw.length;
    const math = openMathBlock(rest, 0, length);
    if (math !== -1) {
      length = 0;
      for (open = 0; length + tokens[open]!.raw.length <= math; open++) length += tokens[open]!.raw.length;
    }
    const closed = rest.slice(0, length);
    if (open > 0 && tokens.slice(0, open).map((t) => t.raw).join("") !== closed) {
      return { blocks: [...this.finished], tail: renderMarkdown(rest) };
    }
    if (open > 0) {
      const html = renderTokens(tokens.slice(0, open), tokens.links);
      if (html !== "") this.finished.push(html);
      this.done += closed;
    }
    const last = tokens[open];
    if (math === -1 && last !== undefined) {
      this.open = followBlock(last, this.done.length, text);
      if (this.open) return { blocks: [...this.finished], tail: this.open.piece };
    }
    return { blocks: [...this.finished], tail: renderMarkdown(rest.slice(length)) };
  }

  private reset() {
    this.done = "";
    this.finished = [];
    this.whole = false;
    this.math = mathGeneration();
    this.seen = "";
    this.open = null;
  }
}
