// @vitest-environment jsdom
// The theme against a stand-in for the desktop's `prefers-color-scheme`.
import { beforeEach, describe, expect, it, vi } from "vitest";

/** A MediaQueryList whose answer the test sets; a change fires "change" like the browser's. */
class FakeMedia extends EventTarget {
  constructor(public matches: boolean) {
    super();
  }
  readonly media = "(prefers-color-scheme: dark)";
  set(dark: boolean) {
    if (dark === this.matches) return;
    this.matches = dark;
    this.dispatchEvent(new Event("change"));
  }
}

let media: FakeMedia;

/** Starts the theme code afresh, as a new window would, with the desktop light or dark. */
async function start(desktopDark: boolean) {
  media = new FakeMedia(desktopDark);
  window.matchMedia = (() => media) as unknown as typeof window.matchMedia;
  vi.resetModules();
  return await import("./theme");
}

const painted = () => document.documentElement.dataset.theme;

beforeEach(() => {
  delete document.documentElement.dataset.theme;
});

describe("theme", () => {
  it("paints the desktop's preference before the settings are read", async () => {
    await start(true);
    expect(painted()).toBe("dark");
    await start(false);
    expect(painted()).toBe("light");
  });

  it("shows the desktop's light at once when 'system' follows 'dark'", async () => {
    const theme = await start(false);
    theme.applyTheme("dark");
    expect(painted()).toBe("dark");
    theme.applyTheme("system");
    expect(painted()).toBe("light");
  });

  it("follows the desktop while 'system' is chosen, and only then", async () => {
    const theme = await start(false);
    theme.applyTheme("system");
    media.set(true);
    expect(painted()).toBe("dark");
    media.set(false);
    expect(painted()).toBe("light");
    theme.applyTheme("light");
    media.set(true);
    expect(painted()).toBe("light");
    theme.applyTheme("system");
    expect(painted()).toBe("dark");
  });
});
