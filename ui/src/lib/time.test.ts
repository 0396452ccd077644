import { describe, expect, it } from "vitest";
import { relativeTime } from "./time";

describe("relativeTime", () => {
  const now = new Date(2026, 10, 24, 15, 0, 0);
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it("says just now for the last minute", () => {
    expect(relativeTime(ago(10_000), now)).toBe("just now");
  });
  it("counts minutes and hours today", () => {
    expect(relativeTime(ago(5 * 60_000), now)).toBe("5 min ago");
    expect(relativeTime(ago(3 * 3_600_000), now)).toBe("3 h ago");
  });
  it("says yesterday for the previous calendar day", () => {
    expect(relativeTime(new Date(2026, 10, 23, 23, 30).toISOString(), now)).toBe("yesterday");
  });
  it("gives a date for older times and nothing for garbage", () => {
    expect(relativeTime(new Date(2025, 0, 2).toISOString(), now)).toMatch(/2025/);
    expect(relativeTime("not a date", now)).toBe("");
  });
});
