// Text a tool server or a model wrote, made safe to look at: characters a person cannot see but
// a model reads (Unicode tags, zero-width, bidirectional controls, other controls) written as
// `\u{XXXX}`, as the core's `escape_hidden` does; and long results cut for the collapsed view.
// The text is always rendered as text (Svelte escapes it), never as Markdown or HTML.

const HIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u{E0000}-\u{E007F}\u200B-\u200D\u2060-\u2064\uFEFF\u180E\u00AD\u034F\u115F\u1160\u3164\uFFA0\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u0000-\u0008\u000B-\u001F\u007F-\u009F]/gu;

/** `text` with every hidden character escaped as `\u{XXXX}`. */
export function visible(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}}`);
}

/** Arguments as the model wrote them, pretty-printed when they are JSON. */
export function prettyArguments(raw: string): string {
  if (raw.trim() === "") return "{}";
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

/** Lines shown of a long result until it is opened. */
export const COLLAPSED_LINES = 12;
const COLLAPSED_CHARS = 1500;

/** Whether `text` is long enough to show collapsed. */
export function isLong(text: string): boolean {
  return text.length > COLLAPSED_CHARS || text.split("\n").length > COLLAPSED_LINES;
}

/** The start of a long text, for its collapsed view. */
export function head(text: string): string {
  return text.split("\n").slice(0, COLLAPSED_LINES).join("\n").slice(0, COLLAPSED_CHARS);
}

/** The size of `bytes` for a person: "812 bytes", "3.4 KiB", "1.0 MiB". */
export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
