// The sidebar's list flattened into the items the window of rows draws: the projects (each
// unfolded one followed by its chats), then the chats outside projects under their date groups.
// Every item has a fixed height, so the list can draw only the ones in view (10,000 chats stay
// smooth) and still know where each one is.
import type { Conversation, Project } from "../../ipc";
import { groupByDate } from "./grouping";
import { chatsOf, indexChats } from "./projects.svelte";

export type Item =
  | { kind: "projects"; key: string }
  | { kind: "project"; key: string; project: Project }
  | { kind: "chat"; key: string; chat: Conversation }
  | { kind: "none"; key: string; project: Project }
  | { kind: "group"; key: string; label: string };

export const HEIGHT = { heading: 30, row: 36, confirming: 118 } as const;

export function buildItems(
  projects: readonly Project[],
  projectChats: Record<number, Conversation[]>,
  conversations: readonly Conversation[],
  now: Date,
  filter: string,
): Item[] {
  const items: Item[] = [];
  const needle = filter.trim().toLowerCase();
  const shown = (c: Conversation) => !needle || c.title.toLowerCase().includes(needle);
  items.push({ kind: "projects", key: "projects" });
  const index = indexChats(conversations);
  for (const project of projects) {
    items.push({ kind: "project", key: `p${project.id}`, project });
    if (project.collapsed) continue;
    const chats = chatsOf(project.id, projectChats[project.id] ?? [], index).filter(shown);
    if (chats.length === 0) items.push({ kind: "none", key: `n${project.id}`, project });
    for (const chat of chats) items.push({ kind: "chat", key: `c${chat.id}`, chat });
  }
  for (const group of groupByDate(conversations, now)) {
    items.push({ kind: "group", key: `g${group.key}`, label: group.label });
    for (const chat of group.chats) items.push({ kind: "chat", key: `c${chat.id}`, chat });
  }
  return items;
}

export function heightOf(item: Item, confirmingId: number | null): number {
  if (item.kind === "chat") return item.chat.id === confirmingId ? HEIGHT.confirming : HEIGHT.row;
  return item.kind === "none" ? HEIGHT.row : HEIGHT.heading;
}

/** The first and last index (exclusive) of the items within `[top, bottom)`, and their offsets. */
export function windowOf(offsets: readonly number[], top: number, bottom: number, overscan = 8): [number, number] {
  // offsets[i] is where item i starts; offsets[n] is the total height.
  const n = offsets.length - 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= top) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < n && offsets[end]! < bottom) end++;
  return [Math.max(0, lo - overscan), Math.min(n, end + overscan)];
}

export function offsetsOf(items: readonly Item[], confirmingId: number | null): number[] {
  const offsets = new Array<number>(items.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i]! + heightOf(items[i]!, confirmingId);
  return offsets;
}
