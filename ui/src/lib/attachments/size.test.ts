import { describe, expect, it } from "vitest";
import { humanSize } from "./size";

describe("humanSize", () => {
  it("states sizes in the units of the limits", () => {
    expect(humanSize(12)).toBe("12 B");
    expect(humanSize(2048)).toBe("2.0 KiB");
    expect(humanSize(512 * 1024)).toBe("512.0 KiB");
    expect(humanSize(10 * 1024 * 1024)).toBe("10.0 MiB");
  });
});
