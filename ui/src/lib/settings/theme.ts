// The app's theme. "system" follows the desktop's light or dark preference (and its changes);
// "light" and "dark" override it. The page's colours hang off `data-theme` on <html>; the shell
// also tells GTK, so native dialogs match.
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
