// The app's theme. "system" follows the desktop's light or dark preference (and its changes);
// "light" and "dark" override it. The page's colours hang off `data-theme` on <html>.
//
// The shell never gives the theme to GTK: WebKitGTK computes `prefers-color-scheme` from GTK's
// settings, so once the shell had set "dark" there, the media query said dark whatever the
// desktop preferred, and choosing "system" afterwards stayed dark until a restart. Left alone, the
// media query is always the desktop's own (native dialogs follow the desktop too).
import type { Theme } from "../../ipc";

const systemDark = window.matchMedia("(prefers-color-scheme: dark)");
let chosen: Theme = "system";

function paint() {
  const dark = chosen === "dark" || (chosen === "system" && systemDark.matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

systemDark.addEventListener("change", paint);

export function applyTheme(theme: Theme): void {
  chosen = theme;
  paint();
}

// Before the first paint: the desktop's preference until the settings are read.
paint();
