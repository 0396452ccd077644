// Where the keyboard goes when a dialog or menu opens and closes.

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "summary",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

/** What Tab reaches inside `box`, in order: not what is hidden, nor what only arrow keys reach
 * (tabindex="-1": a menu's items, a listbox's options). */
export function focusables(box: HTMLElement): HTMLElement[] {
  return [...box.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => el.tabIndex >= 0 && el.getClientRects().length > 0,
  );
}

/** Keeps Tab and Shift+Tab going round inside `box` (a modal dialog) instead of behind it. */
export function keepTabInside(event: KeyboardEvent, box: HTMLElement): void {
  if (event.key !== "Tab") return;
  const all = focusables(box);
  const first = all[0];
  const last = all.at(-1);
  const active = document.activeElement;
  const inside = active !== null && active !== box && box.contains(active);
  if (!first || !last) {
    event.preventDefault();
    box.focus();
  } else if (event.shiftKey && (!inside || active === first)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active !== box && (!inside || active === last)) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * Notes what has the focus now (the control that opens a dialog or menu); the function returned
 * gives it back, unless the focus has gone somewhere else meanwhile (a chat opened from the search
 * puts it in the composer), or the control is gone. Call it once the dialog has left the page.
 */
export function rememberFocus(): () => void {
  const opener = document.activeElement;
  return () => {
    const now = document.activeElement;
    const lost = now === null || now === document.body || !now.isConnected;
    if (lost && opener instanceof HTMLElement && opener !== document.body && opener.isConnected) opener.focus();
  };
}

/** A menu's arrow keys: ↑/↓ move to the previous or next of `items` (round the ends), Home and
 * End to the first and last. True when the key was one of them (and is handled). */
export function moveInMenu(event: KeyboardEvent, items: readonly HTMLElement[]): boolean {
  const at = items.indexOf(document.activeElement as HTMLElement);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const step = event.key === "ArrowDown" ? 1 : -1;
    items[(at + step + items.length) % items.length]?.focus();
  } else if (event.key === "Home" || event.key === "End") {
    (event.key === "Home" ? items[0] : items.at(-1))?.focus();
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}
