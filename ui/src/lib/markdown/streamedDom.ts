// A streaming reply's HTML put into the page a piece at a time (pieces from streaming.ts, each
// sanitised already): a piece that has not changed keeps its nodes, and a growing block gets its
// new children appended and only its last child replaced. Setting the whole reply's `innerHTML`
// on every frame made the browser parse, style and lay out the whole of a long block each time.
import type { Attachment } from "svelte/attachments";
import { pieceHtml, type Container, type Piece, type Streamed } from "./pieces";

/** What one piece put into the page. */
interface Shown {
  piece: Piece;
  /** Its top-level nodes, in order. */
  nodes: ChildNode[];
  /** A container's element that holds its children, and how many finished ones it holds. */
  target?: Element;
  count?: number;
  /** The nodes of a container's last child. */
  rest?: ChildNode[];
}

let template: HTMLTemplateElement | null = null;
/** Nodes for `html`, parsed inert (a template runs no script and loads nothing). A template's
 * content may hold table rows and list items by themselves, as a container's children are. */
function parse(html: string): ChildNode[] {
  template ??= document.createElement("template");
  template.innerHTML = html;
  const nodes = Array.from(template.content.childNodes);
  template.content.replaceChildren();
  return nodes;
}

/** The element a container's children go into: the innermost of its tags (`code` in
 * `<pre><code>`, the `ul`, a table's `tbody`). */
function innermost(nodes: ChildNode[]): Element | undefined {
  let element = nodes.find((n): n is Element => n.nodeType === Node.ELEMENT_NODE);
  while (element?.lastElementChild) element = element.lastElementChild;
  return element;
}

function isContainer(piece: Piece): piece is Container {
  return typeof piece !== "string";
}

/** The pieces of one streaming reply, kept in step with the page. */
export class StreamedHtml {
  private shown: Shown[] = [];

  constructor(private readonly root: HTMLElement) {}

  render({ blocks, tail }: Streamed): void {
    const pieces = [...blocks, tail];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const shown = this.shown[i];
      if (shown?.piece === piece) continue;
      if (shown && isContainer(piece) && this.grow(shown, piece)) continue;
      this.replace(i, piece);
    }
    for (const gone of this.shown.splice(pieces.length)) for (const node of gone.nodes) node.remove();
  }

  /** Brings a shown container up to `piece` when it is the same block grown; false if not. */
  private grow(shown: Shown, piece: Container): boolean {
    const was = shown.piece;
    if (!isContainer(was) || was.parts !== piece.parts || was.head !== piece.head || was.foot !== piece.foot) return false;
    const target = shown.target!;
    const before = shown.rest![0] ?? null;
    for (let k = shown.count!; k < piece.parts.length; k++) {
      for (const node of parse(piece.parts[k]!)) target.insertBefore(node, before);
    }
    shown.count = piece.parts.length;
    if (was.rest !== piece.rest) {
      for (const node of shown.rest!) node.remove();
      shown.rest = parse(piece.rest);
      for (const node of shown.rest) target.appendChild(node);
    }
    // A new object each update, around the same growing parts: remember this one's rest.
    shown.piece = { ...piece };
    return true;
  }

  /** The first node shown after piece `i`'s, or null at the end. */
  private after(i: number): ChildNode | null {
    for (let k = i + 1; k < this.shown.length; k++) {
      const first = this.shown[k]!.nodes[0];
      if (first) return first;
    }
    return null;
  }

  private replace(i: number, piece: Piece) {
    const before = this.after(i);
    for (const node of this.shown[i]?.nodes ?? []) node.remove();
    let shown: Shown;
    if (isContainer(piece)) {
      const nodes = parse(piece.head + piece.foot);
      const target = innermost(nodes);
      if (target === undefined) {
        const html = pieceHtml(piece);
        shown = { piece: html, nodes: parse(html) };
      } else {
        for (const part of piece.parts) for (const node of parse(part)) target.appendChild(node);
        const rest = parse(piece.rest);
        for (const node of rest) target.appendChild(node);
        shown = { piece: { ...piece }, nodes, target, count: piece.parts.length, rest };
      }
    } else {
      shown = { piece, nodes: parse(piece) };
    }
    for (const node of shown.nodes) this.root.insertBefore(node, before);
    this.shown[i] = shown;
  }
}

const views = new WeakMap<HTMLElement, StreamedHtml>();

/** Keeps the element it is attached to showing the pieces `pieces` gives, updating it in place. */
export function streamedHtml(pieces: () => Streamed | null): Attachment<HTMLElement> {
  return (element) => {
    const streamed = pieces();
    if (streamed === null) return;
    let view = views.get(element);
    if (!view) views.set(element, (view = new StreamedHtml(element)));
    view.render(streamed);
  };
}
