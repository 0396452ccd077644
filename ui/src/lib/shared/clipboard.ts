// Copying text for the reader. The async Clipboard API works in every webview Confab runs in
// (WebKitGTK included, checked end to end with xclip) as long as it is called from the click
// itself; where it is missing or refuses, a hidden textarea and execCommand("copy") try again.

/** Puts `text` on the system clipboard; resolves false when the webview would not. */
export async function copyText(text: string): Promise<boolean> {
  try {
    // Called before any await, so the click's user activation still holds.
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyThroughSelection(text);
  }
}

function copyThroughSelection(text: string): boolean {
  const previous = document.activeElement as HTMLElement | null;
  const area = document.createElement("textarea");
  area.value = text;
  area.readOnly = true;
  area.setAttribute("aria-hidden", "true");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  try {
    area.select();
    return document.execCommand("copy");
  } catch {
    return false;
  } finally {
    area.remove();
    previous?.focus?.();
  }
}

/** How long a copy button says "Copied" (or that it failed). */
export const COPY_FEEDBACK_MS = 1500;
