// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { readStored, writeStored } from "./stored";

const asNumber = (raw: string) => (Number.isFinite(Number(raw)) ? Number(raw) : null);

afterEach(() => {
  localStorage.clear();
  vi.restoreAllMocks();
});

describe("stored", () => {
  it("keeps a value under the app's prefix and reads it back", () => {
    writeStored("zoom", "1.25");
    expect(localStorage.getItem("confab.zoom")).toBe("1.25");
    expect(readStored("zoom", asNumber)).toBe(1.25);
  });

  it("reads nothing for a missing key or a value the parser refuses", () => {
    expect(readStored("zoom", asNumber)).toBeNull();
    localStorage.setItem("confab.zoom", "huge");
    expect(readStored("zoom", asNumber)).toBeNull();
  });

  it("forgets a value written as null", () => {
    writeStored("zoom", "2");
    writeStored("zoom", null);
    expect(localStorage.getItem("confab.zoom")).toBeNull();
  });

  it("carries on when the storage refuses", () => {
    vi.spyOn(Storage.prototype, "setItem").mockImplementation(() => {
      throw new DOMException("full", "QuotaExceededError");
    });
    vi.spyOn(Storage.prototype, "getItem").mockImplementation(() => {
      throw new DOMException("denied", "SecurityError");
    });
    expect(() => writeStored("zoom", "1.5")).not.toThrow();
    expect(readStored("zoom", asNumber)).toBeNull();
  });
});
