import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { notices, notify } from "./notices.svelte";

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.runAllTimers();
  vi.useRealTimers();
});

describe("notices", () => {
  it("keeps an info notice for a while, and an error until it is dismissed", () => {
    notify("Exported");
    notify("Could not export", "error");
    expect(notices.map((n) => n.text)).toEqual(["Exported", "Could not export"]);
    vi.advanceTimersByTime(6000);
    expect(notices.map((n) => n.text)).toEqual(["Could not export"]);
    notices.splice(0);
  });

  it("replaces a notice with the same key, for as long as it asks", () => {
    notify("Exported");
    notify("Zoom 110%", "info", { key: "zoom", ms: 1500 });
    vi.advanceTimersByTime(1000);
    notify("Zoom 125%", "info", { key: "zoom", ms: 1500 });
    expect(notices.map((n) => n.text)).toEqual(["Exported", "Zoom 125%"]);
    // The first zoom notice's time is up: the one that replaced it stays its own time.
    vi.advanceTimersByTime(1000);
    expect(notices.map((n) => n.text)).toEqual(["Exported", "Zoom 125%"]);
    vi.advanceTimersByTime(500);
    expect(notices.map((n) => n.text)).toEqual(["Exported"]);
  });
});
