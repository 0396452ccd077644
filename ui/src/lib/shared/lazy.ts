// Parts of the UI that most sessions never open (the dialogs) load on first use, so their code is
// neither parsed at start-up nor kept by an idle window. A module loads once; later opens reuse it.
import { notify } from "./notices.svelte";

/** `load`, run at most once (again after a failure), with a failure shown as a notice. */
export function lazy<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () =>
    (loading ??= load().catch((e: unknown) => {
      loading = null;
      notify(`Couldn't open ${what}: ${e instanceof Error ? e.message : String(e)}`, "error");
      throw e;
    }));
}
