// @vitest-environment jsdom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { clampZoom, stepZoom, zoomCommand, zoomLabel, ZOOM_STEPS } from "./zoom.svelte";

const key = (key: string, more: Partial<KeyboardEvent> = {}) => ({
  key,
  code: "",
  ctrlKey: true,
  metaKey: false,
  altKey: false,
  ...more,
});

describe("zoom steps", () => {
  it("steps through the levels from 50% to 200% and stops at either end", () => {
    const up: number[] = [];
    for (let level = 0.5; ; ) {
      const next = stepZoom(level, "in");
      if (next === level) break;
      up.push((level = next));
    }
    expect([0.5, ...up]).toEqual([...ZOOM_STEPS]);
    expect(stepZoom(2, "in")).toBe(2);
    expect(stepZoom(0.5, "out")).toBe(0.5);
    expect(stepZoom(1, "out")).toBe(0.9);
    expect(stepZoom(1.75, "reset")).toBe(1);
  });

  it("goes to the next step from a level between steps", () => {
    expect(stepZoom(1.3, "in")).toBe(1.5);
    expect(stepZoom(1.3, "out")).toBe(1.25);
  });

  it("keeps a level within 50–200%", () => {
    expect(clampZoom(5)).toBe(2);
    expect(clampZoom(0.1)).toBe(0.5);
    expect(clampZoom(Number.NaN)).toBe(1);
    expect(zoomLabel(0.67)).toBe("67%");
  });
});

describe("zoom keys", () => {
  it("reads Ctrl+=, Ctrl++, Ctrl+Shift+=, Ctrl+- and Ctrl+0", () => {
    expect(zoomCommand(key("="))).toBe("in");
    expect(zoomCommand(key("+", { shiftKey: true }))).toBe("in");
    expect(zoomCommand(key("-"))).toBe("out");
    expect(zoomCommand(key("0"))).toBe("reset");
    expect(zoomCommand(key("+", { code: "NumpadAdd" }))).toBe("in");
    expect(zoomCommand(key("à", { code: "Digit0" }))).toBe("reset");
  });

  it("leaves other keys alone", () => {
    expect(zoomCommand(key("=", { ctrlKey: false }))).toBeNull();
    expect(zoomCommand(key("=", { altKey: true }))).toBeNull();
    expect(zoomCommand(key("n"))).toBeNull();
    expect(zoomCommand(key("F", { shiftKey: true }))).toBeNull();
    expect(zoomCommand(key("9", { code: "Digit0" }))).toBeNull();
  });
});

describe("zoom level", () => {
  beforeEach(() => {
    localStorage.clear();
    document.documentElement.style.removeProperty("--zoom");
    vi.resetModules();
  });

  it("scales the root, and is kept for the next start", async () => {
    const first = await import("./zoom.svelte");
    expect(first.zoom.level).toBe(1);
    expect(first.applyZoomCommand("in")).toBe(1.1);
    expect(first.applyZoomCommand("in")).toBe(1.25);
    expect(document.documentElement.style.getPropertyValue("--zoom")).toBe("1.25");

    vi.resetModules();
    document.documentElement.style.removeProperty("--zoom");
    const next = await import("./zoom.svelte");
    expect(next.zoom.level).toBe(1.25);
    expect(document.documentElement.style.getPropertyValue("--zoom")).toBe("1.25");
    next.applyZoomCommand("reset");
    expect(localStorage.getItem("confab.zoom")).toBeNull();
  });

  it("starts at 100% from a kept value that is not a level, and within bounds from one out of them", async () => {
    localStorage.setItem("confab.zoom", "big");
    expect((await import("./zoom.svelte")).zoom.level).toBe(1);
    vi.resetModules();
    localStorage.setItem("confab.zoom", "9");
    expect((await import("./zoom.svelte")).zoom.level).toBe(2);
  });
});
