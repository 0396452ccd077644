// How the Options dialog names where a value comes from.
import type { OptionSource } from "../../ipc";

export function sourceLabel(source: OptionSource | undefined, project: string | null): string {
  switch (source) {
    case "chat":
      return "· set for this chat";
    case "project":
      return project ? `· from project “${project}”` : "· from project";
    case "app_settings":
      return "· from app settings";
    case "built_in":
      return "· built-in default";
    default:
      return "";
  }
}
