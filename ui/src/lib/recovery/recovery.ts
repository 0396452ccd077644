// Words for the recovery screen: what went wrong, by the start-up error's code, and how to name a
// snapshot. Kept apart from the component so they are tested without a window.
import type { ErrorCode, SnapshotInfo, SnapshotKind } from "../../ipc";

export interface Headline {
  title: string;
  /** The way forward, in a sentence. */
  advice: string;
  /** Whether reading what is left is worth offering. */
  canExport: boolean;
}

export function headline(code: ErrorCode): Headline {
  switch (code) {
    case "not_a_database":
      return {
        title: "This file is not a Confab database",
        advice:
          "Restore a snapshot below, or move the file away and try again to start with no chats.",
        canExport: false,
      };
    case "database_damaged":
      return {
        title: "Your chats database is damaged",
        advice:
          "Export what can still be read first, then restore the newest snapshot that has your chats.",
        canExport: true,
      };
    case "newer_database":
      return {
        title: "This database is from a newer Confab",
        advice:
          "Update Confab to open it. Nothing was changed; restoring an older snapshot would lose what the newer version added.",
        canExport: true,
      };
    case "database_locked":
      return {
        title: "Another Confab is using the database",
        advice: "Let it finish or quit it (the app or confab-cli), then try again.",
        canExport: false,
      };
    case "upgrade_failed":
      return {
        title: "Confab could not upgrade your database",
        advice:
          "It was left as it was. Free some disk space and try again, or restore the snapshot taken before the upgrade.",
        canExport: false,
      };
    default:
      return {
        title: "Confab could not open your chats",
        advice: "Try again, or restore a snapshot below.",
        canExport: true,
      };
  }
}

const KINDS: Record<SnapshotKind, string> = {
  before_upgrade: "Before an upgrade",
  backup: "Backup",
  before_restore: "Replaced by a restore",
  other: "Other file",
};

export function kindLabel(kind: SnapshotKind): string {
  return KINDS[kind];
}

/** "12 chats", "1 chat", or why it cannot be restored. */
export function chatsLabel(snapshot: SnapshotInfo): string {
  if (snapshot.chats === null) return "cannot be read";
  return snapshot.chats === 1 ? "1 chat" : `${snapshot.chats.toLocaleString()} chats`;
}

export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
