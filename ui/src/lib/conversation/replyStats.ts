// A finished reply's statistics as words: the compact line under it (model · tokens · first
// token · speed · how it finished) and the longer description (its title, and what a screen
// reader reads) that says which figures the server reported and which Confab measured.
import type { Ending, Message, StatFigure } from "../../ipc";

/** One piece of the compact line. */
export interface StatPart {
  /** Which figure it is, for tests and styling. */
  key: "model" | "tokens" | "first-token" | "speed" | "finished";
  text: string;
}

/** How a reply ended, in a word or two, by its stored ending. */
const ENDING_LABEL: Record<Ending, string> = {
  stop: "stop",
  length: "length limit",
  content_filter: "content filter",
  tool_calls: "tool call",
  complete: "complete",
  stopped: "stopped",
  interrupted: "interrupted",
  exited: "Confab quit",
  failed: "failed",
};

/** "0.42 s", "12.3 s", "2 min 5 s". */
export function seconds(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const whole = Math.round(ms / 1000);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** "38.1 tok/s"; "120 tok/s" from 100 up, where a tenth says nothing. */
export function speed(perSecond: number): string {
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)} tok/s`;
}

/** "1 token", "1,234 tokens". */
export function tokens(n: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "token" : "tokens"}`;
}

/**
 * How the reply ended, in a word or two, from the ending stored with it; `null` while it streams,
 * or when a complete reply's server gave no reason (for another reason it gave, that reason).
 */
export function finishedAs(message: Message): string | null {
  if (message.ended === null || message.status === "streaming") return null;
  if (message.ended === "complete") return message.finish_reason;
  return ENDING_LABEL[message.ended];
}

/** Whether `message` gets a statistics line: a reply that is no longer streaming. */
export function showsStats(message: Message): boolean {
  return message.role === "assistant" && message.status !== "streaming";
}

/** The compact line's pieces; empty when nothing is known (or the message gets no line). */
export function statsParts(message: Message): StatPart[] {
  if (!showsStats(message)) return [];
  const s = message.stats;
  const parts: StatPart[] = [];
  if (message.model) parts.push({ key: "model", text: message.model });
  if (message.completion_tokens !== null) {
    parts.push({ key: "tokens", text: tokens(message.completion_tokens) });
  }
  if (s.first_token_ms !== null) {
    parts.push({ key: "first-token", text: `first token ${seconds(s.first_token_ms)}` });
  }
  if (s.tokens_per_second !== null) {
    parts.push({ key: "speed", text: speed(s.tokens_per_second) });
  }
  const finished = finishedAs(message);
  // How it ended alone is no statistic: a reply from before Confab kept them shows no line.
  if (finished !== null && parts.length > 0) {
    parts.push({ key: "finished", text: `finished: ${finished}` });
  }
  return parts;
}

function source(message: Message, figure: StatFigure): string {
  return message.stats.from_server.includes(figure) ? "reported by the server" : "measured by Confab";
}

/** Every known figure in a sentence each, with where it came from. */
export function statsDescription(message: Message): string {
  if (!showsStats(message)) return "";
  const s = message.stats;
  const said: string[] = [];
  if (message.model) said.push(`Model: ${message.model}.`);
  if (message.completion_tokens !== null) {
    said.push(`${tokens(message.completion_tokens)} generated (reported by the server).`);
  }
  if (s.first_token_ms !== null) {
    const what = message.stats.from_server.includes("first_token")
      ? "reported by the server as its prompt processing time"
      : "measured by Confab from sending the request";
    said.push(`First token after ${seconds(s.first_token_ms)} (${what}).`);
  }
  if (s.generation_ms !== null) {
    said.push(`Generated in ${seconds(s.generation_ms)} (${source(message, "generation")}).`);
  }
  if (s.tokens_per_second !== null) {
    said.push(`Speed: ${speed(s.tokens_per_second)} (${source(message, "speed")}).`);
  }
  if (s.prompt_per_second !== null) {
    said.push(`Prompt processed at ${speed(s.prompt_per_second)} (reported by the server).`);
  }
  if (s.cached_tokens !== null) {
    said.push(`${tokens(s.cached_tokens)} of the prompt came from the server's cache.`);
  }
  if (said.length === 0) return "";
  const finished = finishedAs(message);
  if (finished !== null) said.push(`Finished: ${finished}.`);
  return said.join(" ");
}
