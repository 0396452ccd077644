// The app's theme. "system" follows the desktop's light or dark preference (and its changes);
// "light" and "dark" override it. The page's colours hang off `data-theme` on <html>.
//
// The desktop's preference is not simply `prefers-color-scheme`. The shell also gives the saved
// theme to GTK, so native dialogs match, and WebKitGTK computes the media query from GTK's
// settings: once "dark" is saved it says dark whatever the desktop prefers, and each Save of
// "system" has tao clear GTK's dark preference, so it says light until the desktop next changes.
// Read as the desktop's, it kept "system" showing Confab's own last choice until a restart. So the
// media query is believed at start-up when "system" is saved (the shell leaves GTK alone then),
// and when it changes, except just after the shell was given a theme (at start-up and on Save);
// the desktop's preference is kept, across starts too, for the times it only echoes Confab's.
import type { Theme } from "../../ipc";
import { readStored, writeStored } from "../shared/stored";

/** How long after the shell is given a theme a change of the media query is taken for its echo. */
const ECHO_MS = 1500;

const asTheme = (raw: string): Theme | null =>
  raw === "system" || raw === "light" || raw === "dark" ? raw : null;
const asScheme = (raw: string): boolean | null => (raw === "dark" ? true : raw === "light" ? false : null);

const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

/** The saved theme as this window last knew it (kept for the first paint of the next start). */
const lastSaved = readStored("theme", asTheme);
/** The desktop's preference as last believed, in this run or an earlier one. */
const lastDesktop = readStored("desktop", asScheme);

/** The theme on screen: the saved one, or one being tried in Settings. */
let shown: Theme = lastSaved ?? "system";
/** The desktop's preference. A window that starts with "light" or "dark" saved may be reading
 * the shell's choice already, so it goes by the preference kept from before. */
let desktopDark = lastSaved === "light" || lastSaved === "dark" ? (lastDesktop ?? systemDark.matches) : systemDark.matches;
/** Whether the saved theme has been told (at start-up, once the settings are read). */
let savedKnown = false;
/** Whether a change of the media query may be the shell's doing; until the saved theme is
 * known, the shell may be giving it to GTK. */
let echoing = true;
let echoTimer: ReturnType<typeof setTimeout> | undefined;

function paint() {
  const dark = shown === "dark" || (shown === "system" && desktopDark);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

function believe(dark: boolean) {
  desktopDark = dark;
  writeStored("desktop", dark ? "dark" : "light");
}

systemDark.addEventListener("change", () => {
  if (!echoing) believe(systemDark.matches);
  paint();
});

/**
 * Shows `theme`. With `saved`, it is also the theme the shell is giving GTK now: at start-up, or
 * just before Settings saves it (the media query's change that follows is Confab's, not the
 * desktop's).
 */
export function applyTheme(theme: Theme, { saved = false }: { saved?: boolean } = {}): void {
  shown = theme;
  if (saved) {
    writeStored("theme", theme);
    clearTimeout(echoTimer);
    if (!savedKnown && theme === "system") {
      // Start-up with "system": the shell leaves GTK alone, so the media query is the desktop's.
      believe(systemDark.matches);
      echoing = false;
    } else {
      // At start-up with "light" or "dark" the media query may be the shell's already: go by
      // what was believed before.
      if (!savedKnown) desktopDark = lastDesktop ?? desktopDark;
      // The shell sets GTK's preference now; WebKitGTK reports it a moment later.
      echoing = true;
      echoTimer = setTimeout(() => (echoing = false), ECHO_MS);
    }
    savedKnown = true;
  }
  paint();
}

// Before the first paint: the theme saved last time (or the desktop's) until the settings are read.
paint();
