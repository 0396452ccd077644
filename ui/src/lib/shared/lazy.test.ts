import { describe, expect, it, vi } from "vitest";
import { lazy } from "./lazy";
import { notices } from "./notices.svelte";

describe("lazy", () => {
  it("loads once and hands every caller the same module", async () => {
    const load = vi.fn(async () => ({ default: "module" }));
    const get = lazy("the dialog", load);
    const [a, b] = await Promise.all([get(), get()]);
    expect(await get()).toBe(a);
    expect(b).toBe(a);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("says what failed to load, and tries again next time", async () => {
    const load = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error("chunk missing"))
      .mockResolvedValueOnce("module");
    const get = lazy("the settings", load);
    await expect(get()).rejects.toThrow("chunk missing");
    expect(notices.at(-1)).toMatchObject({
      kind: "error",
      text: "Couldn't open the settings: chunk missing",
    });
    expect(await get()).toBe("module");
    expect(load).toHaveBeenCalledTimes(2);
  });
});
