// Short app-wide notices ("Exported … to …"), shown bottom-right until dismissed or timed out.

export interface Notice {
  id: number;
  text: string;
  kind: "info" | "error";
  /** A notice that a newer one with the same key replaces (the zoom level, say). */
  key?: string;
}

/** How long an info notice stays; errors stay until dismissed. */
const INFO_MS = 6000;

export const notices = $state<Notice[]>([]);
let nextId = 1;

/**
 * Shows `text`. With `key`, it takes the place of an earlier notice with that key, which would
 * only be out of date; `ms` is how long an info notice stays.
 */
export function notify(
  text: string,
  kind: Notice["kind"] = "info",
  { key, ms = INFO_MS }: { key?: string; ms?: number } = {},
): void {
  if (key !== undefined) {
    const earlier = notices.find((n) => n.key === key);
    if (earlier) dismiss(earlier.id);
  }
  const id = nextId++;
  notices.push(key === undefined ? { id, text, kind } : { id, text, kind, key });
  if (kind === "info") setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  const at = notices.findIndex((n) => n.id === id);
  if (at >= 0) notices.splice(at, 1);
}
