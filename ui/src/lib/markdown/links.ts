// Which links in rendered replies may be followed. Kept apart from the Markdown renderer (which
// loads when first needed) so a click can be checked without it.

/** Link schemes a person may follow (opened in the system browser, never in the app). */
export const SAFE_LINK = /^(?:https?:|mailto:)/i;

/** The URL a click on rendered Markdown should open, if it is a safe link. */
export function linkTarget(target: EventTarget | null): string | null {
  const anchor = (target as Element | null)?.closest?.("a[href]");
  const href = anchor?.getAttribute("href") ?? null;
  return href && SAFE_LINK.test(href) ? href : null;
}
