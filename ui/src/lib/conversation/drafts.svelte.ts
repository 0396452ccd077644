// What the user is writing, kept per chat: the text and the files waiting in the composer stay
// with the chat they were written in while the user looks at another one, as in any chat app, so
// nothing written for one chat is sent to another. Kept while the app runs.
import { PendingFiles } from "../attachments/pending.svelte";
import type { DropEvent } from "../../ipc";

/** One chat's unsent message. */
export class Draft {
  text = $state("");
  readonly files = new PendingFiles();

  /** Nothing would be sent: no text but spaces, no files. */
  get empty(): boolean {
    return this.text.trim() === "" && this.files.files.length === 0;
  }

  /** After a send: the next message starts empty. */
  clear(): void {
    this.text = "";
    this.files.clear();
  }
}

export class Drafts {
  #byChat = new Map<number, Draft>();
  /** Files are being dragged over the window (whichever chat is shown). */
  dragging = $state(false);

  /** The draft of chat `id`, empty the first time. */
  for(id: number): Draft {
    let draft = this.#byChat.get(id);
    if (!draft) {
      draft = new Draft();
      this.#byChat.set(id, draft);
    }
    return draft;
  }

  /** A drag over the window, or a drop, as Rust reports it: dropped files join chat `id`'s draft. */
  onDrop(id: number, event: DropEvent): void {
    this.dragging = event.type === "over";
    if (event.type === "dropped") this.for(id).files.take(event.result);
  }

  /** Chat `id` was deleted: its draft goes, and Rust lets its files go. */
  forget(id: number): void {
    this.#byChat.get(id)?.files.discardAll();
    this.#byChat.delete(id);
  }
}

/** The app's drafts, one per chat. */
export const drafts = new Drafts();
