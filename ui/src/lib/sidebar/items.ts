// The sidebar's list flattened into the items the window of rows draws: the projects (each
// unfolded one followed by its chats), then the chats outside projects under their date groups.
// Every item has a fixed height, so the list can draw only the ones in view (10,000 chats stay
// smooth) and still know where each one is.
import type { Conversation, Project } from "../../ipc";
import { offsetsFrom } from "../shared/listWindow";
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

export function offsetsOf(items: readonly Item[], confirmingId: number | null): number[] {
  return offsetsFrom(items.map((item) => heightOf(item, confirmingId)));
}
