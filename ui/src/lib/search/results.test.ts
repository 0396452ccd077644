import { describe, expect, it } from "vitest";
import type { SearchHit } from "../../ipc";
import { flatten, groupByChat, pieces } from "./results";

function hit(conversation: number, message: number, text = "x"): SearchHit {
  return {
    conversation_id: conversation,
    conversation_title: `Chat ${conversation}`,
    message_id: message,
    role: "user",
    created_at: "2026-11-27T19:00:00Z",
    pinned: false,
    snippet: { text, highlights: [] },
    score: 1,
    matched: "words",
    tool_output: false,
  };
}

describe("search results", () => {
  it("group by chat in the order of each chat's best hit", () => {
    const groups = groupByChat([hit(2, 20), hit(1, 10), hit(2, 21)]);
    expect(groups.map((g) => g.conversationId)).toEqual([2, 1]);
    expect(groups[0]!.hits.map((h) => h.message_id)).toEqual([20, 21]);
    expect(flatten(groups).map((h) => h.message_id)).toEqual([20, 21, 10]);
  });

  it("cut snippets into text and matches by UTF-16 offsets", () => {
    expect(pieces({ text: "é 🙂ok and x", highlights: [[2, 6], [11, 12]] })).toEqual([
      { text: "é ", match: false },
      { text: "🙂ok", match: true },
      { text: " and ", match: false },
      { text: "x", match: true },
    ]);
  });

  it("ignore ranges that overlap or fall outside the text", () => {
    expect(pieces({ text: "abc", highlights: [[1, 2], [1, 3], [2, 9]] })).toEqual([
      { text: "a", match: false },
      { text: "b", match: true },
      { text: "c", match: false },
    ]);
    expect(pieces({ text: "<b>hi</b>", highlights: [] })).toEqual([{ text: "<b>hi</b>", match: false }]);
  });
});
