// The export formats the app offers, and how a finished export is told to the user.
import type { ExportFormat, Exported } from "../ipc";

export const EXPORT_FORMATS: readonly { format: ExportFormat; label: string; hint: string }[] = [
  { format: "md", label: "Markdown", hint: "a readable log" },
  { format: "html", label: "Web page", hint: "standalone, printable" },
  { format: "json", label: "Confab JSON", hint: "lossless, re-importable" },
  { format: "jsonl", label: "Audit log", hint: "JSON Lines, one line per message" },
];

/** "Exported 12 messages to /home/ada/Trip.md" */
export function exportedNotice(done: Exported): string {
  return `Exported ${done.messages} message${done.messages === 1 ? "" : "s"} to ${done.path}`;
}
