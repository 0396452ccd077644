// What the window itself keeps between runs and no other front end needs (the zoom level, what
// the theme code has learnt about the desktop): in the web view's localStorage, not the database.
// The storage can be missing, full or refuse access; then nothing is kept and the defaults apply.

const PREFIX = "confab.";

/** The value kept under `key`, if there is one and `parse` accepts it (else null). */
export function readStored<T>(key: string, parse: (raw: string) => T | null): T | null {
  try {
    const raw = globalThis.localStorage?.getItem(PREFIX + key);
    return raw === null || raw === undefined ? null : parse(raw);
  } catch {
    return null;
  }
}

/** Keeps `value` under `key` (null forgets it); a storage that refuses is ignored. */
export function writeStored(key: string, value: string | null): void {
  try {
    if (value === null) globalThis.localStorage?.removeItem(PREFIX + key);
    else globalThis.localStorage?.setItem(PREFIX + key, value);
  } catch {
    // Nothing is kept: the next start uses the default.
  }
}
