// What the recall indexer is doing, in words: the sidebar's progress line and Settings → Recall.
import type { RecallStatus } from "../../ipc";

const number = new Intl.NumberFormat("en");

/** The embedding model's name without its server: "http://host:1234#nomic-embed" → "nomic-embed". */
export function modelName(key: string): string {
  const at = key.lastIndexOf("#");
  return at >= 0 && at < key.length - 1 ? key.slice(at + 1) : key;
}

/** The indexer's progress, e.g. "Indexing for recall: 1,234 of 5,000 messages". */
export function progressText(s: RecallStatus): string {
  return `Indexing for recall: ${number.format(s.indexed)} of ${number.format(s.total)} messages`;
}

/** What recall uses now, for Settings. */
export function statusText(s: RecallStatus): string {
  if (s.embedding_model) {
    const done = s.total === 0 ? "no messages yet" : s.indexed >= s.total ? `all ${number.format(s.total)} messages indexed` : `${number.format(s.indexed)} of ${number.format(s.total)} messages indexed${s.indexing ? "" : " (paused)"}`;
    return `By words and by meaning with ${modelName(s.embedding_model)}: ${done}.`;
  }
  if (s.words_only_reason) return `By words alone: ${s.words_only_reason}.`;
  return "Looking for an embedding model…";
}

/** The share done, 0 to 1. */
export function fraction(s: RecallStatus): number {
  return s.total === 0 ? 1 : Math.min(1, s.indexed / s.total);
}
