// The sidebar's date groups for chats outside projects: pinned first, then Today, Yesterday,
// Previous 7 days, Previous 30 days, then one group per month (newest first). Days are the
// window's local days; `now` is passed in so tests fix it.
import type { Conversation } from "../../ipc";

export type DateGroup = { key: string; label: string; chats: Conversation[] };


function startOfDay(t: Date): number {
  return new Date(t.getFullYear(), t.getMonth(), t.getDate()).getTime();
}

/** The group a chat last active at `at` falls in, seen at `now`. */
export function dateGroupOf(at: Date, now: Date): { key: string; label: string } {
  const today = startOfDay(now);
  const day = startOfDay(at);
  if (day >= today) return { key: "today", label: "Today" };
  // Calendar days, not 24-hour spans: daylight-saving days are 23 or 25 hours long.
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getTime();
  if (day >= yesterday) return { key: "yesterday", label: "Yesterday" };
  const weekAgo = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 7).getTime();
  if (day >= weekAgo) return { key: "week", label: "Previous 7 days" };
  const monthAgo = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 30).getTime();
  if (day >= monthAgo) return { key: "month", label: "Previous 30 days" };
  const month = MONTH.format(at);
  const label = at.getFullYear() === now.getFullYear() ? month : `${month} ${at.getFullYear()}`;
  return { key: `${at.getFullYear()}-${at.getMonth() + 1}`, label };
}

/** One formatter for every month label: `toLocaleString` builds a new one per call, which for
 * 10,000 chats took about a second each time the list grew (measured in the desktop benchmark). */
const MONTH = new Intl.DateTimeFormat("en", { month: "long" });

/**
 * Groups chats (in the list's order: pinned first, then most recently active) by date, pinned
 * ones in a group of their own at the top. Chats in a project are left out: they show under it.
 */
export function groupByDate(chats: readonly Conversation[], now: Date): DateGroup[] {
  const groups: DateGroup[] = [];
  const pinned: Conversation[] = [];
  let last = null as DateGroup | null;
  for (const c of chats) {
    if (c.project_id !== null) continue;
    if (c.pinned) {
      pinned.push(c);
      continue;
    }
    const { key, label } = dateGroupOf(new Date(c.updated_at), now);
    if (last?.key !== key) {
      last = groups.find((g) => g.key === key) ?? null;
      if (!last) {
        last = { key, label, chats: [] };
        groups.push(last);
      }
    }
    last.chats.push(c);
  }
  if (pinned.length > 0) groups.unshift({ key: "pinned", label: "Pinned", chats: pinned });
  return groups;
}

