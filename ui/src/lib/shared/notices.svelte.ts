// Short app-wide notices ("Exported … to …"), shown bottom-right until dismissed or timed out.

export interface Notice {
  id: number;
  text: string;
  kind: "info" | "error";
}

/** How long an info notice stays; errors stay until dismissed. */
const INFO_MS = 6000;

export const notices = $state<Notice[]>([]);
let nextId = 1;

export function notify(text: string, kind: Notice["kind"] = "info"): void {
  const id = nextId++;
  notices.push({ id, text, kind });
  if (kind === "info") setTimeout(() => dismiss(id), INFO_MS);
}

export function dismiss(id: number): void {
  const at = notices.findIndex((n) => n.id === id);
  if (at >= 0) notices.splice(at, 1);
}
