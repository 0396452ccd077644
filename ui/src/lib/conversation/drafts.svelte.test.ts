import { beforeEach, describe, expect, it, vi } from "vitest";
import type { PendingAttachment } from "../../ipc";

const discardAttachment = vi.fn(async (_token: string) => {});
vi.mock("../../ipc", () => ({
  AppError: { from: (e: unknown) => e },
  attachPasted: vi.fn(),
  chooseAttachments: vi.fn(),
  discardAttachment: (token: string) => discardAttachment(token),
}));

const { Drafts } = await import("./drafts.svelte");

function file(i: number): PendingAttachment {
  return { token: `t${i}`, name: `f${i}`, kind: "text", size: 10, preview: null };
}

describe("Drafts", () => {
  beforeEach(() => discardAttachment.mockClear());

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
});
