// Human-friendly timestamps for the sidebar and message headers.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Formatters are made once: `toLocaleString` and friends build a new ICU formatter on every call
// (tens of kilobytes of native memory each, freed only when the garbage collector gets to it), and
// every message header and sidebar row formats its time again whenever it renders.
const formats = new Map<string, Intl.DateTimeFormat>();
function formatter(name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let format = formats.get(name);
  if (!format) formats.set(name, (format = new Intl.DateTimeFormat(undefined, options)));
  return format;
}
/** What `Date.prototype.toLocaleString()` shows. */
const FULL: Intl.DateTimeFormatOptions = {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
};

/** "just now", "5 min ago", "3 h ago", "yesterday", weekday within a week, else a date. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const ms = then.getTime();
  if (Number.isNaN(ms)) return "";
  const diff = now.getTime() - ms;
  if (diff < MINUTE) return "just now";
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min ago`;
  if (diff < DAY && then.getDate() === now.getDate()) return `${Math.floor(diff / HOUR)} h ago`;
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  if (ms >= startOfToday - DAY) return "yesterday";
  if (ms >= startOfToday - 6 * DAY) return formatter("weekday", { weekday: "long" }).format(then);
  return then.getFullYear() === now.getFullYear()
    ? formatter("day", { day: "numeric", month: "short" }).format(then)
    : formatter("day-year", { day: "numeric", month: "short", year: "numeric" }).format(then);
}

/** A full local date and time, for tooltips. */
export function fullTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : formatter("full", FULL).format(d);
}
