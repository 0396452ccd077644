// The Markdown renderer (marked, DOMPurify, highlight.js: most of the UI's code) loads when it is
// first needed: as soon as a chat has messages to show, or when the user starts writing one (the
// reply comes after a round trip to the model, by which time it has loaded). Until then an idle
// window neither parses nor keeps it. Messages wait for it rather than show unrendered; should it
// fail to load, they show as plain text (escaped by Svelte).

export type Markdown = typeof import("./markdown");

class Renderer {
  /** The loaded module, once it is. */
  module = $state<Markdown | null>(null);
  failed = $state(false);
  #loading: Promise<unknown> | null = null;

  /** Whether messages are still waiting for the renderer. */
  get pending(): boolean {
    return this.module === null && !this.failed;
  }

  load(): void {
    this.#loading ??= import("./markdown").then(
      (module) => (this.module = module),
      () => (this.failed = true),
    );
  }
}

export const renderer = new Renderer();
