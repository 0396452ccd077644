// The search view's logic, kept apart from the component so it is tested without a window:
// hits grouped by chat (in the order their best hit ranks), and a snippet cut into plain and
// highlighted pieces (rendered as text: a snippet never becomes HTML).
import type { SearchHit, Snippet } from "../../ipc";

export interface Group {
  conversationId: number;
  title: string;
  hits: SearchHit[];
}

/** Groups hits by chat, keeping the order in which each chat first appears (best first). */
export function groupByChat(hits: SearchHit[]): Group[] {
  const groups = new Map<number, Group>();
  for (const hit of hits) {
    let group = groups.get(hit.conversation_id);
    if (!group) {
      group = { conversationId: hit.conversation_id, title: hit.conversation_title, hits: [] };
      groups.set(hit.conversation_id, group);
    }
    group.hits.push(hit);
  }
  return [...groups.values()];
}

export interface Piece {
  text: string;
  match: boolean;
}

/** The snippet's text in pieces, the highlighted ranges (UTF-16 offsets) marked as matches. */
export function pieces(snippet: Snippet): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  const ranges = [...snippet.highlights].sort((a, b) => a[0] - b[0]);
  for (const [start, end] of ranges) {
    if (start < at || end > snippet.text.length || start >= end) continue;
    if (start > at) out.push({ text: snippet.text.slice(at, start), match: false });
    out.push({ text: snippet.text.slice(start, end), match: true });
    at = end;
  }
  if (at < snippet.text.length) out.push({ text: snippet.text.slice(at), match: false });
  return out;
}

/** The hits in the order the view lists them (grouped), for moving through them by keyboard. */
export function flatten(groups: Group[]): SearchHit[] {
  return groups.flatMap((g) => g.hits);
}
