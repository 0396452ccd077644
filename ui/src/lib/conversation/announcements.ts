// What is read out when a reply ends (through shared/announcer): that it finished, with its
// opening words, or that it stopped or failed, and why.
import type { ChatEvent } from "../../ipc";

/** How much of a finished reply is read out. */
export const SPOKEN_CHARS = 200;

export type ReplyEnd = Extract<ChatEvent, { type: "done" | "error" | "cancelled" }>;

/**
 * The announcement for a reply that ended; `otherChat` is the chat's title when another chat is
 * on screen.
 */
export function replyAnnouncement(event: ReplyEnd, otherChat: string | null = null): string {
  const where = otherChat === null ? "" : ` in “${otherChat}”`;
  switch (event.type) {
    case "done": {
      const head =
        event.message.ended === "length" ? `Reply cut short at its length limit${where}` : `Reply finished${where}`;
      const words = spokenText(event.message.content);
      return words ? `${head}: ${words}` : `${head}.`;
    }
    case "cancelled":
      return `Reply stopped${where}.`;
    case "error":
      return `Reply failed${where}: ${event.error}`;
  }
}

/**
 * The opening of a Markdown reply as plain words: code blocks, link targets and most of
 * Markdown's marks are left out (a reader would spell them out; `_` stays, as in snake_case), cut
 * at a word within `limit` characters.
 */
export function spokenText(markdown: string, limit = SPOKEN_CHARS): string {
  const text = withoutCode(markdown)
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)/gm, "")
    .replace(/[*`|]+|~~/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit);
  const space = cut.lastIndexOf(" ");
  return `${(space > limit / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, "")}…`;
}

/** The text with each fenced code block (``` or ~~~) said as "(code)". */
function withoutCode(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const mark = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null) {
      if (mark) {
        fence = mark;
        out.push("(code)");
      } else {
        out.push(line);
      }
    } else if (mark && mark[0] === fence[0] && mark.length >= fence.length && line.trim() === mark) {
      fence = null;
    }
  }
  return out.join("\n");
}
