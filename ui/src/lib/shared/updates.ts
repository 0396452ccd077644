// The app's own changes (a chat the model named, a summary folded), from the one `watchUpdates`
// channel App.svelte opens, to whichever part of the page cares.
import type { ServiceUpdate } from "../../ipc";

type Listener = (update: ServiceUpdate) => void;

const listeners = new Set<Listener>();

/** Calls `listener` with every update from now on; returns the unsubscribe. */
export function onServiceUpdate(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Hands an update to every listener. */
export function dispatchUpdate(update: ServiceUpdate): void {
  for (const listener of listeners) listener(update);
}
