import { describe, expect, it } from "vitest";
import type { Conversation } from "../../ipc";
import { dateGroupOf, groupByDate } from "./grouping";

// A fixed "now": Friday 27 November 2026, 15:00 local time.
const now = new Date(2026, 10, 27, 15, 0, 0);

function chat(id: number, at: Date, extra: Partial<Conversation> = {}): Conversation {
  return {
    id,
    title: `chat ${id}`,
    system_prompt: "",
    model: null,
    params: {},
    created_at: at.toISOString(),
    updated_at: at.toISOString(),
    pinned: false,
    archived: false,
    title_source: "user",
    project_id: null,
    ...extra,
  };
}

describe("dateGroupOf", () => {
  it("puts each time in its group by calendar day", () => {
    const label = (d: Date) => dateGroupOf(d, now).label;
    expect(label(new Date(2026, 10, 27, 0, 0, 1))).toBe("Today");
    expect(label(new Date(2026, 10, 26, 23, 59))).toBe("Yesterday");
    expect(label(new Date(2026, 10, 26, 0, 0))).toBe("Yesterday");
    expect(label(new Date(2026, 10, 25, 23, 0))).toBe("Previous 7 days");
    expect(label(new Date(2026, 10, 20, 0, 0))).toBe("Previous 7 days");
    expect(label(new Date(2026, 10, 19, 23, 0))).toBe("Previous 30 days");
    expect(label(new Date(2026, 9, 28, 12, 0))).toBe("Previous 30 days");
    expect(label(new Date(2026, 9, 27, 12, 0))).toBe("October");
    expect(label(new Date(2026, 0, 3))).toBe("January");
    expect(label(new Date(2025, 11, 31))).toBe("December 2025");
    // A clock set ahead of the window's: still today, not a group of its own.
    expect(label(new Date(2026, 10, 28, 1, 0))).toBe("Today");
  });
});

describe("groupByDate", () => {
  it("puts pinned chats first, leaves project chats out, keeps the list's order", () => {
    const chats = [
      chat(1, new Date(2026, 8, 1), { pinned: true }),
      chat(2, new Date(2026, 10, 27, 14)),
      chat(3, new Date(2026, 10, 27, 9), { project_id: 7 }),
      chat(4, new Date(2026, 10, 26, 9)),
      chat(5, new Date(2026, 10, 22)),
      chat(6, new Date(2026, 10, 1)),
      chat(7, new Date(2026, 9, 2)),
      chat(8, new Date(2026, 9, 1)),
      chat(9, new Date(2025, 9, 1)),
    ];
    const groups = groupByDate(chats, now);
    expect(groups.map((g) => [g.label, g.chats.map((c) => c.id)])).toEqual([
      ["Pinned", [1]],
      ["Today", [2]],
      ["Yesterday", [4]],
      ["Previous 7 days", [5]],
      ["Previous 30 days", [6]],
      ["October", [7, 8]],
      ["October 2025", [9]],
    ]);
  });

  it("groups nothing into nothing", () => {
    expect(groupByDate([], now)).toEqual([]);
  });
});
