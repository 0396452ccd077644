import { describe, expect, it } from "vitest";
import { fullTime, relativeTime } from "./time";

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

describe("the formatted dates", () => {
  const now = new Date(2026, 10, 24, 15, 0, 0);
  it("read as the browser's own locale formats do", () => {
    const friday = new Date(2026, 10, 20, 9, 15);
    expect(relativeTime(friday.toISOString(), now)).toBe(
      friday.toLocaleDateString(undefined, { weekday: "long" }),
    );
    const march = new Date(2026, 2, 3);
    expect(relativeTime(march.toISOString(), now)).toBe(
      march.toLocaleDateString(undefined, { day: "numeric", month: "short" }),
    );
    const older = new Date(2024, 6, 9);
    expect(relativeTime(older.toISOString(), now)).toBe(
      older.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" }),
    );
    const moment = new Date(2026, 10, 24, 14, 5, 9);
    expect(fullTime(moment.toISOString())).toBe(moment.toLocaleString());
    expect(fullTime("not a date")).toBe("");
  });
});
