// Zoom: Ctrl+= (or Ctrl++, Ctrl+Shift+=) and Ctrl+- make the whole window larger or smaller in
// steps from 50% to 200%, as a browser does; Ctrl+0 goes back to 100%. The level is kept for the
// next start (shared/stored.ts).
//
// How: the root font size (15px in app.css) is multiplied by `--zoom`, and the layout is sized in
// rem and em, so it all grows with the text. Not CSS `zoom` on the root: WebKit keeps element
// geometry (getBoundingClientRect) in unzoomed pixels while pointer events and innerWidth stay in
// the window's, so a menu placed at the pointer would land elsewhere, and `vh` and fixed boxes
// scale unevenly. Not the web view's own zoom either: that needs a Tauri permission the window
// does not have. Borders and hairlines stay 1px on purpose.
import { readStored, writeStored } from "./stored";

/** The levels the keys step through, as a browser's. */
export const ZOOM_STEPS = [0.5, 0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2] as const;
const MIN = ZOOM_STEPS[0];
const MAX = ZOOM_STEPS[ZOOM_STEPS.length - 1]!;

export type ZoomCommand = "in" | "out" | "reset";

/** A level kept between MIN and MAX; anything that is not a number is 100%. */
export function clampZoom(level: number): number {
  return Number.isFinite(level) ? Math.min(MAX, Math.max(MIN, level)) : 1;
}

/** The level after `command`: the next step up or down from `level` (which may lie between steps). */
export function stepZoom(level: number, command: ZoomCommand): number {
  if (command === "reset") return 1;
  const at = clampZoom(level);
  const next =
    command === "in"
      ? ZOOM_STEPS.find((step) => step > at + 1e-9)
      : [...ZOOM_STEPS].reverse().find((step) => step < at - 1e-9);
  return next ?? at;
}

/** What a key press asks of the zoom, if anything. */
export function zoomCommand(
  event: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "altKey">,
): ZoomCommand | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  switch (event.key) {
    case "=":
    case "+":
      return "in";
    case "-":
    case "_":
      return "out";
    case "0":
      return "reset";
  }
  // The keypad's keys, and a 0 key that types something else (AZERTY's "à").
  if (event.code === "NumpadAdd") return "in";
  if (event.code === "NumpadSubtract") return "out";
  if (event.code === "Digit0" && !/^[0-9a-z]$/i.test(event.key)) return "reset";
  return null;
}

/** "125%" */
export function zoomLabel(level: number): string {
  return `${Math.round(level * 100)}%`;
}

const asLevel = (raw: string): number | null => {
  const level = Number(raw);
  return raw.trim() !== "" && Number.isFinite(level) ? clampZoom(level) : null;
};

/** The window's zoom level (1 is 100%). */
export const zoom = $state({ level: readStored("zoom", asLevel) ?? 1 });

function paint() {
  document.documentElement.style.setProperty("--zoom", String(zoom.level));
}

/** Sets the zoom to `level` (kept within 50–200%), and keeps it for the next start. */
export function setZoom(level: number): number {
  zoom.level = clampZoom(level);
  writeStored("zoom", zoom.level === 1 ? null : String(zoom.level));
  paint();
  return zoom.level;
}

/** Zooms in or out a step, or back to 100%; returns the new level. */
export function applyZoomCommand(command: ZoomCommand): number {
  return setZoom(stepZoom(zoom.level, command));
}

// Before the first paint: the level kept from last time.
paint();
