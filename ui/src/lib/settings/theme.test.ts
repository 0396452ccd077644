// @vitest-environment jsdom
// The theme against a stand-in for WebKitGTK's `prefers-color-scheme`, which follows GTK's
// settings: the desktop's preference, or Confab's own once the shell gives GTK a saved "light" or
// "dark" (the "echo" below).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Theme } from "../../ipc";

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
/** Long enough for WebKitGTK to have reported the shell's change to GTK. */
const settle = () => vi.advanceTimersByTime(5000);

/** What the app does with the saved theme at start-up (and the shell did before). */
async function launch(desktopDark: boolean, saved: Theme) {
  const theme = await start(desktopDark);
  if (saved !== "system") media.set(saved === "dark");
  theme.applyTheme(saved, { saved: true });
  settle();
  return theme;
}

/** Settings: the choice previews, then Save hands it to the shell, which sets GTK's preference. */
function save(theme: Awaited<ReturnType<typeof start>>, choice: Theme) {
  theme.applyTheme(choice);
  theme.applyTheme(choice, { saved: true });
  // tao: "dark" sets gtk-application-prefer-dark-theme; "light" and "system" (None) clear it.
  media.set(choice === "dark");
}

beforeEach(() => {
  vi.useFakeTimers();
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});
afterEach(() => vi.useRealTimers());

describe("theme", () => {
  it("shows the desktop's light after 'dark' when 'system' is chosen, at once", async () => {
    const theme = await launch(false, "system");
    save(theme, "dark");
    expect(painted()).toBe("dark");
    settle();

    // The preview: GTK still has Confab's "dark", so prefers-color-scheme says dark.
    theme.applyTheme("system");
    expect(painted()).toBe("light");
    save(theme, "system");
    expect(painted()).toBe("light");
    settle();
    expect(painted()).toBe("light");
  });

  it("shows the desktop's dark after 'light' when 'system' is chosen", async () => {
    const theme = await launch(true, "system");
    save(theme, "light");
    settle();
    theme.applyTheme("system");
    expect(painted()).toBe("dark");
    // The shell's "system" clears GTK's preference: prefers-color-scheme now says light, wrongly.
    save(theme, "system");
    settle();
    expect(painted()).toBe("dark");
  });

  it("follows the desktop while the setting is 'system'", async () => {
    const theme = await launch(false, "system");
    expect(painted()).toBe("light");
    media.set(true);
    expect(painted()).toBe("dark");
    media.set(false);
    expect(painted()).toBe("light");
    theme.applyTheme("dark");
    media.set(true);
    media.set(false);
    expect(painted()).toBe("dark");
  });

  it("learns of a desktop change while 'light' is saved, for a later 'system'", async () => {
    const theme = await launch(true, "system");
    save(theme, "light");
    settle();
    // The desktop turns light (GTK's preference is clear already: no change), dark, then light
    // again: the portal tells tao, which sets GTK's preference.
    media.set(true);
    media.set(false);
    theme.applyTheme("system");
    expect(painted()).toBe("light");
  });

  it("ignores the shell's own change at start-up, and remembers the desktop across starts", async () => {
    // A run that starts with "system" on a light desktop, and saves "dark".
    save(await launch(false, "system"), "dark");
    settle();
    // The next run: the shell gives GTK the saved "dark", perhaps before the page loads.
    const theme = await start(true);
    expect(painted()).toBe("dark");
    theme.applyTheme("dark", { saved: true });
    settle();
    theme.applyTheme("system");
    expect(painted()).toBe("light");
  });

  it("stays dark on a dark desktop when other settings are saved with 'system'", async () => {
    const theme = await launch(true, "system");
    expect(painted()).toBe("dark");
    // Every Save gives the shell the theme; its "system" clears GTK's dark preference.
    save(theme, "system");
    expect(painted()).toBe("dark");
    settle();
    expect(painted()).toBe("dark");
    // The desktop's own change afterwards is followed.
    media.set(true);
    media.set(false);
    expect(painted()).toBe("light");
  });

  it("believes the media query at once at a start with 'system', whatever was kept before", async () => {
    // An earlier run kept "dark" saved and a light desktop (another data directory, say).
    save(await launch(false, "system"), "dark");
    const theme = await start(true);
    theme.applyTheme("system", { saved: true });
    expect(painted()).toBe("dark");
  });

  it("paints the saved theme from the first frame, before the settings are read", async () => {
    await launch(false, "dark");
    await start(false);
    expect(painted()).toBe("dark");
  });
});
