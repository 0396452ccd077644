// How a finished export is told to the user. The formats themselves (labels included) come
// from the core, through the generated bindings.
import type { Exported } from "../../ipc";

export { EXPORT_FORMATS } from "../../ipc";

/** "Exported 12 messages to /home/ada/Trip.md" */
export function exportedNotice(done: Exported): string {
  return `Exported ${done.messages} message${done.messages === 1 ? "" : "s"} to ${done.path}`;
}
