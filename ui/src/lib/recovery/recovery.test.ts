import { describe, expect, it } from "vitest";
import { ERROR_CODES, type SnapshotInfo } from "../../ipc";
import { chatsLabel, headline, kindLabel, sizeLabel } from "./recovery";

function snapshot(chats: number | null): SnapshotInfo {
  return {
    file_name: "confab-v6-20261127T181500Z.db",
    path: "/data/backups/confab-v6-20261127T181500Z.db",
    kind: "before_upgrade",
    taken_at: "2026-11-27T18:15:00Z",
    schema_version: 6,
    chats,
    size_bytes: 2048,
  };
}

describe("the recovery screen's words", () => {
  it("has a title and a way forward for every code", () => {
    for (const code of ERROR_CODES) {
      const words = headline(code);
      expect(words.title.length).toBeGreaterThan(0);
      expect(words.advice.length).toBeGreaterThan(0);
    }
  });

  it("offers to export only what can be read", () => {
    expect(headline("database_damaged").canExport).toBe(true);
    expect(headline("not_a_database").canExport).toBe(false);
    expect(headline("database_locked").canExport).toBe(false);
  });

  it("counts chats and says when a snapshot cannot be read", () => {
    expect(chatsLabel(snapshot(1))).toBe("1 chat");
    expect(chatsLabel(snapshot(1200))).toMatch(/^1.200 chats$/);
    expect(chatsLabel(snapshot(null))).toBe("cannot be read");
  });

  it("names kinds and sizes for people", () => {
    expect(kindLabel("before_restore")).toBe("Replaced by a restore");
    expect(sizeLabel(512)).toBe("512 bytes");
    expect(sizeLabel(2048)).toBe("2 KB");
    expect(sizeLabel(5 * 1024 * 1024)).toBe("5.0 MB");
  });
});
