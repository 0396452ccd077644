// The Markdown renderer (marked, DOMPurify, highlight.js: most of the UI's code) loads when it is
// first needed: as soon as a chat has messages to show, or when the user starts writing one (the
// reply comes after a round trip to the model, by which time it has loaded). Until then an idle
// window neither parses nor keeps it. Messages wait for it rather than show unrendered; should it
// fail to load, they show as plain text (escaped by Svelte).
//
// KaTeX, bigger still, loads only once a reply has math in it (markdown/math.ts). Rather than
// have every render wait for it, math shows as written until it is in, and then replies render
// again: `mathLoaded` is what they watch.

export type Markdown = typeof import("./markdown");

class Renderer {
  /** The loaded module, once it is. */
  module = $state<Markdown | null>(null);
  failed = $state(false);
  /** Whether KaTeX has loaded: replies rendered before it had show their math as written. */
  mathLoaded = $state(false);
  #loading: Promise<unknown> | null = null;

  /** Whether messages are still waiting for the renderer. */
  get pending(): boolean {
    return this.module === null && !this.failed;
  }

  load(): void {
    this.#loading ??= import("./markdown").then(
      (module) => {
        this.module = module;
        module.whenMathLoads(() => (this.mathLoaded = true));
      },
      () => (this.failed = true),
    );
  }
}

export const renderer = new Renderer();
