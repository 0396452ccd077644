import { describe, expect, it } from "vitest";
import type { Conversation, Project } from "../../ipc";
import { windowOf } from "../shared/listWindow";
import { buildItems, offsetsOf, HEIGHT } from "./items";
import { chatsOf, indexChats } from "./projects.svelte";

const now = new Date(2026, 10, 27, 15, 0, 0);

function chat(id: number, project_id: number | null = null): Conversation {
  const at = new Date(2026, 10, 27, 14, 0, 0).toISOString();
  return {
    id,
    title: `chat ${id}`,
    system_prompt: "",
    model: null,
    params: {},
    created_at: at,
    updated_at: at,
    pinned: false,
    archived: false,
    title_source: "user",
    project_id,
  };
}

function project(id: number, collapsed = false): Project {
  return {
    id,
    name: `P${id}`,
    defaults: { system_prompt: null, model: null, temperature: null, memory: null },
    collapsed,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    chats: 1,
  };
}

describe("buildItems", () => {
  it("lists projects with their chats, folded ones without, then date groups", () => {
    const items = buildItems([project(1), project(2, true), project(3)], { 1: [chat(10, 1)], 2: [chat(20, 2)] }, [chat(30), chat(10, 1)], now, "");
    expect(items.map((i) => i.key)).toEqual(["projects", "p1", "c10", "p2", "p3", "n3", "gtoday", "c30"]);
  });

  it("filters project chats by title too", () => {
    const items = buildItems([project(1)], { 1: [chat(10, 1)] }, [], now, "nothing like it");
    expect(items.map((i) => i.key)).toEqual(["projects", "p1", "n1"]);
  });
});

describe("chatsOf", () => {
  it("takes the app's newer copies, drops chats moved away, adds chats moved in, newest first", () => {
    const older = (id: number, project: number | null, hour: number) => ({
      ...chat(id, project),
      updated_at: new Date(2026, 10, 27, hour).toISOString(),
    });
    const read = [older(1, 7, 9), older(2, 7, 8), older(3, 7, 7)];
    // The app knows: 2 renamed and active later, 3 moved out, 4 moved in, 5 in another project.
    const known = [{ ...older(2, 7, 12), title: "renamed" }, older(3, null, 10), older(4, 7, 11), older(5, 8, 13)];
    const listed = chatsOf(7, read, known);
    expect(listed.map((c) => [c.id, c.title])).toEqual([
      [2, "renamed"],
      [4, "chat 4"],
      [1, "chat 1"],
    ]);
    // The index built once for every project gives the same lists.
    const index = indexChats(known);
    expect(chatsOf(7, read, index)).toEqual(listed);
    expect(chatsOf(8, [], index).map((c) => c.id)).toEqual([5]);
  });
});

describe("windowOf", () => {
  it("finds the items in view among 10,000 without walking them all", () => {
    const chats = Array.from({ length: 10_000 }, (_, i) => chat(i + 1));
    const items = buildItems([], {}, chats, now, "");
    const offsets = offsetsOf(items, null);
    expect(offsets.at(-1)).toBe(HEIGHT.heading * 2 + HEIGHT.row * 10_000);
    const [start, end] = windowOf(offsets, offsets.at(-1)! - 600, offsets.at(-1)!, 0);
    expect(end).toBe(items.length);
    expect(end - start).toBeLessThanOrEqual(Math.ceil(600 / HEIGHT.row) + 1);
    expect(windowOf(offsets, 0, 100, 2)).toEqual([0, 6]);
  });

  it("makes room for a row that asks to confirm a deletion", () => {
    const items = buildItems([], {}, [chat(1), chat(2)], now, "");
    expect(offsetsOf(items, 1).at(-1)! - offsetsOf(items, null).at(-1)!).toBe(HEIGHT.confirming - HEIGHT.row);
  });
});
