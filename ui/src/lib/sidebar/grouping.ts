// The sidebar's date groups for chats outside projects: pinned first, then Today, Yesterday,
// Previous 7 days, Previous 30 days, then one group per month (newest first). Days are the
// window's local days; `now` is passed in so tests fix it.
import type { Conversation } from "../../ipc";

export type DateGroup = { key: string; label: string; chats: Conversation[] };


function startOfDay(t: Date): number {
  return new Date(t.getFullYear(), t.getMonth(), t.getDate()).getTime();
}

/** The day boundaries a chat's time is compared with, worked out once per grouping, not per chat. */
class Calendar {
  private readonly today: number;
  private readonly yesterday: number;
  private readonly weekAgo: number;
  private readonly monthAgo: number;
  private readonly year: number;
  /** Month labels by `year-month`: one formatter call per month, not per chat. */
  private readonly months = new Map<string, { key: string; label: string }>();

  constructor(now: Date) {
    // Calendar days, not 24-hour spans: daylight-saving days are 23 or 25 hours long.
    const day = (back: number) => new Date(now.getFullYear(), now.getMonth(), now.getDate() - back).getTime();
    this.today = startOfDay(now);
    this.yesterday = day(1);
    this.weekAgo = day(7);
    this.monthAgo = day(30);
    this.year = now.getFullYear();
  }

  groupOf(at: Date): { key: string; label: string } {
    const t = at.getTime();
    // A time is in a day when it is at or after the day's start (a clock set ahead is still today).
    if (t >= this.today) return TODAY;
    if (t >= this.yesterday) return YESTERDAY;
    if (t >= this.weekAgo) return WEEK;
    if (t >= this.monthAgo) return MONTH_AGO;
    const key = `${at.getFullYear()}-${at.getMonth() + 1}`;
    let group = this.months.get(key);
    if (!group) {
      const month = MONTH.format(at);
      group = { key, label: at.getFullYear() === this.year ? month : `${month} ${at.getFullYear()}` };
      this.months.set(key, group);
    }
    return group;
  }
}

const TODAY = { key: "today", label: "Today" };
const YESTERDAY = { key: "yesterday", label: "Yesterday" };
const WEEK = { key: "week", label: "Previous 7 days" };
const MONTH_AGO = { key: "month", label: "Previous 30 days" };

/** The group a chat last active at `at` falls in, seen at `now`. */
export function dateGroupOf(at: Date, now: Date): { key: string; label: string } {
  return new Calendar(now).groupOf(at);
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
  const calendar = new Calendar(now);
  for (const c of chats) {
    if (c.project_id !== null) continue;
    if (c.pinned) {
      pinned.push(c);
      continue;
    }
    const { key, label } = calendar.groupOf(new Date(c.updated_at));
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

