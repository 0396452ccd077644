// What a streaming reply's renderer hands the page (streaming.ts → streamedDom.ts): each block's
// sanitised HTML, whole or, for a growing block, as its tags and children. Kept apart from the
// renderer, which loads lazily, so the page's side needs none of it.

/**
 * A growing block: its opening and closing tags, with its finished children between them
 * (append-only: while the block is followed, this is the same array, grown) and then the HTML of
 * its last, unfinished child. The block's HTML is `head + parts.join("") + rest + foot`.
 */
export interface Container {
  head: string;
  parts: string[];
  rest: string;
  foot: string;
}

/** A block's safe HTML, whole or as a {@link Container}. */
export type Piece = string | Container;

export interface Streamed {
  /** The finished blocks: the same pieces, in the same order, on every update until a reset. */
  blocks: Piece[];
  /** The last block, still growing. */
  tail: Piece;
}

/** The HTML a piece stands for. */
export function pieceHtml(piece: Piece): string {
  return typeof piece === "string" ? piece : piece.head + piece.parts.join("") + piece.rest + piece.foot;
}
