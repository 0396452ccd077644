import { beforeEach, describe, expect, it, vi } from "vitest";
import type { PendingAttachment } from "../../ipc";

const discardAttachment = vi.fn(async (_token: string) => {});
vi.mock("../../ipc", () => ({
  AppError: { from: (e: unknown) => e },
  attachPasted: vi.fn(),
  chooseAttachments: vi.fn(),
  discardAttachment: (token: string) => discardAttachment(token),
}));

const { PendingFiles, MAX_ATTACHMENTS } = await import("./pending.svelte");

function file(i: number, kind: "text" | "image" = "text"): PendingAttachment {
  return { token: `t${i}`, name: `f${i}`, kind, size: 10, preview: kind === "image" ? "data:image/png;base64,x" : null };
}

describe("PendingFiles", () => {
  beforeEach(() => discardAttachment.mockClear());

  it("keeps what Rust attached and says why the others were not", () => {
    const files = new PendingFiles();
    files.take({
      attached: [file(1), file(2, "image")],
      refused: [{ code: "unsupported_file", message: "x.bin is neither a text file…" }],
    });
    expect(files.tokens).toEqual(["t1", "t2"]);
    expect(files.refused).toEqual(["x.bin is neither a text file…"]);
    files.remove("t1");
    expect(files.tokens).toEqual(["t2"]);
    expect(discardAttachment).toHaveBeenCalledWith("t1");
  });

  it("lets Rust drop the files past the limit", () => {
    const files = new PendingFiles();
    files.take({ attached: Array.from({ length: MAX_ATTACHMENTS + 2 }, (_, i) => file(i)), refused: [] });
    expect(files.files).toHaveLength(MAX_ATTACHMENTS);
    expect(discardAttachment).toHaveBeenCalledTimes(2);
    expect(files.refused[0]).toContain(`at most ${MAX_ATTACHMENTS} files`);
  });

  it("lets Rust drop every file when they will not be sent", () => {
    const files = new PendingFiles();
    files.take({ attached: [file(1), file(2, "image")], refused: [] });
    files.discardAll();
    expect(files.files).toEqual([]);
    expect(discardAttachment.mock.calls.map(([t]) => t)).toEqual(["t1", "t2"]);
  });
});
