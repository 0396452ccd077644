import { beforeEach, describe, expect, it, vi } from "vitest";
import type { PendingAttachment, SavedDraft } from "../../ipc";

const discardAttachment = vi.fn(async (_token: string) => {});
const saveDraft = vi.fn(async (_id: number, _text: string, _tokens: string[] | null) => {});
let saved: SavedDraft[] = [];
vi.mock("../../ipc", () => ({
  AppError: { from: (e: unknown) => e },
  attachPasted: vi.fn(),
  chooseAttachments: vi.fn(),
  discardAttachment: (token: string) => discardAttachment(token),
  saveDraft: (id: number, text: string, tokens: string[] | null) => saveDraft(id, text, tokens),
  listDrafts: async () => saved,
}));

const { Drafts, SAVE_AFTER_MS } = await import("./drafts.svelte");

function file(i: number): PendingAttachment {
  return { token: `t${i}`, name: `f${i}`, kind: "text", size: 10, preview: null };
}

describe("Drafts", () => {
  beforeEach(() => {
    discardAttachment.mockClear();
    saveDraft.mockClear();
  });

  it("keeps each chat's text and files apart", () => {
    const drafts = new Drafts();
    drafts.for(1).text = "for the first chat";
    drafts.for(1).files.take({ attached: [file(1)], refused: [] });
    expect(drafts.for(2).text).toBe("");
    expect(drafts.for(2).empty).toBe(true);
    drafts.for(2).text = "for the second";
    expect(drafts.for(1).text).toBe("for the first chat");
    expect(drafts.for(1).files.tokens).toEqual(["t1"]);
    expect(drafts.for(2).files.tokens).toEqual([]);
    expect(drafts.for(1)).toBe(drafts.for(1));
  });

  it("counts a draft of spaces as empty, and one with only a file as not", () => {
    const drafts = new Drafts();
    drafts.for(1).text = "  \n ";
    expect(drafts.for(1).empty).toBe(true);
    drafts.for(1).files.take({ attached: [file(1)], refused: [] });
    expect(drafts.for(1).empty).toBe(false);
    drafts.for(1).clear();
    expect(drafts.for(1).text).toBe("");
    expect(drafts.for(1).empty).toBe(true);
    // Sent with the message: Rust has let it go already.
    expect(discardAttachment).not.toHaveBeenCalled();
  });

  it("shows the drop state while files are over the window and gives a drop to the chat shown", () => {
    const drafts = new Drafts();
    drafts.onDrop(7, { type: "over" });
    expect(drafts.dragging).toBe(true);
    drafts.onDrop(7, { type: "left" });
    expect(drafts.dragging).toBe(false);
    drafts.onDrop(7, { type: "over" });
    drafts.onDrop(7, { type: "dropped", result: { attached: [file(3)], refused: [] } });
    expect(drafts.dragging).toBe(false);
    expect(drafts.for(7).files.tokens).toEqual(["t3"]);
    expect(drafts.for(8).files.tokens).toEqual([]);
  });

  it("forgets a deleted chat's draft and lets Rust drop its files", () => {
    const drafts = new Drafts();
    drafts.for(1).text = "never sent";
    drafts.for(1).files.take({ attached: [file(1), file(2)], refused: [] });
    drafts.for(2).files.take({ attached: [file(3)], refused: [] });
    drafts.forget(1);
    expect(discardAttachment.mock.calls.map(([t]) => t)).toEqual(["t1", "t2"]);
    expect(drafts.for(1).text).toBe("");
    expect(drafts.for(2).files.tokens).toEqual(["t3"]);
    drafts.forget(42);
  });

  it("keeps the text once typing pauses, and files at once, in the database", () => {
    vi.useFakeTimers();
    try {
      const drafts = new Drafts();
      const draft = drafts.for(5);
      draft.text = "Wh";
      draft.text = "Where should";
      vi.advanceTimersByTime(SAVE_AFTER_MS - 1);
      expect(saveDraft).not.toHaveBeenCalled();
      draft.text = "Where should we go?";
      vi.advanceTimersByTime(SAVE_AFTER_MS);
      expect(saveDraft.mock.calls).toEqual([[5, "Where should we go?", null]]);
      // A file is kept at once, with the text as it is.
      draft.files.take({ attached: [file(1), file(2)], refused: [] });
      expect(saveDraft.mock.calls.at(-1)).toEqual([5, "Where should we go?", ["t1", "t2"]]);
      draft.files.remove("t1");
      expect(saveDraft.mock.calls.at(-1)).toEqual([5, "Where should we go?", ["t2"]]);
      // Sent: the database let it go with the message; nothing waiting is saved after.
      draft.text = "Where should we go? Now";
      draft.clear();
      vi.advanceTimersByTime(SAVE_AFTER_MS * 2);
      expect(saveDraft).toHaveBeenCalledTimes(3);
      // The window going away saves what waits, once.
      draft.text = "next";
      drafts.flush();
      drafts.flush();
      expect(saveDraft.mock.calls.at(-1)).toEqual([5, "next", null]);
      expect(saveDraft).toHaveBeenCalledTimes(4);
      // A deleted chat's draft is not saved again.
      draft.text = "gone";
      drafts.forget(5);
      vi.advanceTimersByTime(SAVE_AFTER_MS * 2);
      expect(saveDraft).toHaveBeenCalledTimes(4);
    } finally {
      vi.useRealTimers();
    }
  });

  it("brings back each chat's draft, files and all, without saving it again", async () => {
    saved = [
      { conversation_id: 3, text: "And line 413?", files: [file(9)] },
      { conversation_id: 4, text: "", files: [file(8)] },
    ];
    const drafts = new Drafts();
    await drafts.restore();
    expect(drafts.for(3).text).toBe("And line 413?");
    expect(drafts.for(3).files.tokens).toEqual(["t9"]);
    expect(drafts.for(4).empty).toBe(false);
    expect(drafts.for(5).empty).toBe(true);
    expect(saveDraft).not.toHaveBeenCalled();
    saved = [];
  });
});
