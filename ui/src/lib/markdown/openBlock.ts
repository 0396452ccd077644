// The growing last block of a streaming reply, when it is a code fence, a list or a table,
// followed as it grows: its finished lines, items or rows are lexed, rendered and sanitised once,
// and each update looks only at the text from its first unfinished one. Lexing a 2,000-item list
// whole takes Marked tens of milliseconds, and highlighting, sanitising and laying out a whole
// 2,000-line fence on every frame more still.
//
// Each update lexes a short stand-in text: the block's first lines (a fence's opening line, a
// table's header and delimiter rows) or a stand-in first item (which makes a loose list's items
// lex as loose), then the text from the first unfinished child. Marked decides where a fence's
// line, a list's item or a table's row ends from that child's own lines, so the stand-in lexes
// the rest of the block as the whole text would. Anything the stand-in cannot vouch for (the
// block changed kind, a list turned loose, math that may span items) returns null, and the caller
// lexes the text anew.
import type { Token, Tokens } from "marked";
import { highlights, isHighlightHtml, pieceEnd, pieceHtml } from "./highlight";
import { marked, purify, renderTokens } from "./markdown";
import type { Container } from "./pieces";

export interface OpenBlock {
  /** The block as it stood when it began to be followed. */
  piece: Container;
  /**
   * The block as `text` has it, and where it ends once another block has begun after it (it is
   * then finished; `end` is where the text after it starts). Null when it cannot be followed.
   */
  update(text: string): Step | null;
}

interface Step {
  piece: Container;
  end: number | null;
}

/** Follows `token`, the last block of `text`, starting at `start`; null for other blocks. */
export function followBlock(token: Token, start: number, text: string): OpenBlock | null {
  let block: Follower | null = null;
  if (token.type === "code" && (token as Tokens.Code).codeBlockStyle !== "indented") {
    block = Fence.of(token as Tokens.Code, start);
  } else if (token.type === "list") {
    block = List.of(token as Tokens.List, start);
  } else if (token.type === "table" && (token as Tokens.Table).rows.length > 0) {
    block = Table.of(token as Tokens.Table, start);
  }
  const first = block?.update(text);
  if (!block || !first || first.end !== null) return null;
  return Object.assign(block, { piece: first.piece });
}

interface Follower {
  update(text: string): Step | null;
}

function lex(src: string): Token[] | null {
  try {
    return marked.lexer(src);
  } catch {
    return null;
  }
}

/** The sanitised HTML of one token. */
function render(token: Token): string {
  return renderTokens([token], {});
}

/** `html` less `head` and `foot`, which it must have (else null). */
function inner(html: string, head: string, foot: string): string | null {
  if (html.length < head.length + foot.length || !html.startsWith(head) || !html.endsWith(foot)) return null;
  return html.slice(head.length, html.length - foot.length);
}

/** Whether anything but blank lines follows the first token. */
function followed(tokens: Token[]): boolean {
  return tokens.slice(1).some((t) => t.type !== "space");
}

/** Where the text is after `lines` more line ends from `at`. */
function afterLines(text: string, at: number, lines: number): number {
  for (let i = 0; i < lines; i++) at = text.indexOf("\n", at) + 1;
  return at;
}

/** Math may run across a list's items or a table's rows: such blocks are lexed whole. */
const MATH_BLOCK = /\$\$|\\\[/;

class Fence implements Follower {
  /** Code characters in the finished pieces: with the rest, the block's length. */
  private covered = 0;
  private parts: string[] = [];

  private constructor(
    /** The opening line, with its line end. */
    private readonly opening: string,
    private readonly lang: string,
    private readonly head: string,
    private readonly foot: string,
    private highlighted: boolean,
    /** Where the first line of code not in a finished piece starts. */
    private from: number,
  ) {}

  static of(token: Tokens.Code, start: number): Fence | null {
    const newline = token.raw.indexOf("\n");
    if (newline === -1) return null;
    const lang = (token.lang ?? "").match(/^[\w+#.-]+/)?.[0] ?? "";
    const foot = "</code></pre>";
    const head = inner(render({ ...token, text: "" }), "", foot);
    if (head === null) return null;
    const opening = token.raw.slice(0, newline + 1);
    return new Fence(opening, lang, head, foot, highlights(lang, token.text.length), start + opening.length);
  }

  update(text: string): Step | null {
    const from = this.from;
    const tokens = lex(this.opening + text.slice(from));
    const code = tokens?.[0];
    if (!tokens || code?.type !== "code" || (code as Tokens.Code).codeBlockStyle === "indented") return null;
    const rest = (code as Tokens.Code).text;
    if (highlights(this.lang, this.covered + rest.length) !== this.highlighted) return null;
    let at = 0;
    for (let end = pieceEnd(rest, this.lang, 0, this.highlighted); end !== -1; end = pieceEnd(rest, this.lang, at, this.highlighted)) {
      const html = this.pieceOf(rest.slice(at, end), true);
      if (html === null) return null;
      this.parts.push(html);
      this.from = afterLines(text, this.from, countLines(rest, at, end));
      this.covered += end - at;
      at = end;
    }
    const last = this.pieceOf(rest.slice(at), false);
    if (last === null) return null;
    return {
      piece: { head: this.head, parts: this.parts, rest: last, foot: this.foot },
      end: followed(tokens) ? from + code.raw.length - this.opening.length : null,
    };
  }

  /** One piece's safe HTML, inside the block's `<pre><code>`: the highlighter's spans as they
   * are when they have its shape (highlight.ts), else sanitised. */
  private pieceOf(code: string, finished: boolean): string | null {
    const html = pieceHtml(code, this.lang, this.highlighted, finished);
    if (isHighlightHtml(html)) return html;
    return inner(purify(this.head + html + this.foot), this.head, this.foot);
  }
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** A list item's marker: its bullet, or its number's delimiter. */
function markerKind(item: string): string | null {
  const m = /^ {0,3}(?:([*+-])|\d{1,9}([.)]))/.exec(item);
  return m ? (m[1] ?? `1${m[2]}`) : null;
}

class List implements Follower {
  private parts: string[] = [];
  /** Whether the list is loose (its items' text in paragraphs); unknown until first lexed. */
  private loose: boolean | null = null;

  private constructor(
    private readonly ordered: boolean,
    private readonly start: number | "",
    /** What every item of this list starts with (`-`, `1.`…). */
    private readonly kind: string,
    private readonly head: string,
    private readonly foot: string,
    /** Where the first unfinished item starts. */
    private from: number,
  ) {}

  static of(token: Tokens.List, start: number): List | null {
    const kind = markerKind(token.raw);
    if (kind === null) return null;
    const foot = token.ordered ? "</ol>\n" : "</ul>\n";
    const head = inner(render({ ...token, items: [] }), "", foot);
    return head === null ? null : new List(token.ordered, token.start, kind, head, foot, start);
  }

  update(text: string): Step | null {
    const from = this.from;
    const tail = text.slice(from);
    if (MATH_BLOCK.test(tail)) return null;
    // A loose list's items lex as loose after a stand-in item that ends in a blank line.
    const standIn = this.loose ? `${this.kind} x\n\n` : "";
    const tokens = lex(standIn + tail);
    const list = tokens?.[0] as Tokens.List | undefined;
    if (!tokens || list?.type !== "list" || list.ordered !== this.ordered) return null;
    if (this.loose !== null && list.loose !== this.loose) return null;
    this.loose = list.loose;
    const items = list.items.slice(standIn ? 1 : 0);
    if ((standIn && list.items[0]?.raw !== standIn) || items.length === 0 || markerKind(items[0]!.raw) !== this.kind) return null;
    const ended = followed(tokens);
    const done = ended ? items : items.slice(0, -1);
    for (const item of done) {
      const html = this.item(item);
      if (html === null) return null;
      this.parts.push(html);
      this.from += item.raw.length;
    }
    const last = ended ? "" : this.item(items.at(-1)!);
    if (last === null) return null;
    return {
      piece: { head: this.head, parts: this.parts, rest: last, foot: this.foot },
      end: ended ? from + list.raw.length - standIn.length : null,
    };
  }

  /** One item's sanitised HTML: the item rendered as a list of its own, less the list's tags. */
  private item(item: Tokens.ListItem): string | null {
    const one: Tokens.List = { type: "list", raw: item.raw, ordered: this.ordered, start: this.start, loose: !!this.loose, items: [item] };
    return inner(render(one), this.head, this.foot);
  }
}

class Table implements Follower {
  private parts: string[] = [];

  private constructor(
    /** The header and delimiter rows, with their line ends. */
    private readonly header: string,
    private readonly head: string,
    private readonly foot: string,
    /** Where the first unfinished row starts. */
    private from: number,
  ) {}

  static of(token: Tokens.Table, start: number): Table | null {
    const second = token.raw.indexOf("\n", token.raw.indexOf("\n") + 1);
    if (second === -1) return null;
    const bare = inner(render({ ...token, rows: [] }), "", "</table>\n");
    if (bare === null) return null;
    const header = token.raw.slice(0, second + 1);
    return new Table(header, `${bare}<tbody>`, "</tbody></table>\n", start + header.length);
  }

  update(text: string): Step | null {
    const from = this.from;
    const tail = text.slice(from);
    if (MATH_BLOCK.test(tail)) return null;
    const tokens = lex(this.header + tail);
    const table = tokens?.[0] as Tokens.Table | undefined;
    if (!tokens || table?.type !== "table" || !table.raw.startsWith(this.header)) return null;
    const ended = followed(tokens);
    // A row is a line: Marked splits the table's body at line ends.
    const done = ended ? table.rows : table.rows.slice(0, -1);
    for (const row of done) {
      const html = this.row(table, row);
      if (html === null) return null;
      this.parts.push(html);
      this.from = afterLines(text, this.from, 1);
    }
    const lastRow = table.rows.at(-1);
    const last = ended || lastRow === undefined ? "" : this.row(table, lastRow);
    if (last === null) return null;
    return {
      piece: { head: this.head, parts: this.parts, rest: last, foot: this.foot },
      end: ended ? from + table.raw.length - this.header.length : null,
    };
  }

  /** One row's sanitised HTML: the table rendered with that row alone, less the rest. */
  private row(table: Tokens.Table, row: Tokens.TableCell[]): string | null {
    return inner(render({ ...table, rows: [row] }), this.head, this.foot);
  }
}
