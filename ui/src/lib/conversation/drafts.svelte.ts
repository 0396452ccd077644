// What the user is writing, kept per chat: the text and the files waiting in the composer stay
// with the chat they were written in while the user looks at another one, as in any chat app, so
// nothing written for one chat is sent to another. Each draft is kept in the database too (its
// text shortly after typing pauses, its files as they are added or removed), so it is there again
// after a restart; sending the message removes it there with the message.
import { PendingFiles } from "../attachments/pending.svelte";
import { listDrafts, saveDraft, type DropEvent, type SavedDraft } from "../../ipc";

/** How long typing pauses before the text is saved. */
export const SAVE_AFTER_MS = 400;

/** One chat's unsent message. */
export class Draft {
  #text = $state("");
  readonly files: PendingFiles;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly chatId: number) {
    // A file added or removed is kept at once (with the text as it is).
    this.files = new PendingFiles(() => this.#save(true));
  }

  get text(): string {
    return this.#text;
  }

  /** The text as typed: kept in the database once typing pauses. */
  set text(value: string) {
    if (value === this.#text) return;
    this.#text = value;
    this.#cancel();
    this.#timer = setTimeout(() => this.#save(false), SAVE_AFTER_MS);
  }

  /** Nothing would be sent: no text but spaces, no files. */
  get empty(): boolean {
    return this.#text.trim() === "" && this.files.files.length === 0;
  }

  /** After a send: the next message starts empty (the database let the draft go with it). */
  clear(): void {
    this.#cancel();
    this.#text = "";
    this.files.clear();
  }

  /** What a restart brings back. */
  restore(saved: SavedDraft): void {
    this.#cancel();
    this.#text = saved.text;
    this.files.restore(saved.files);
  }

  /** Saves the text now if it waits to be (the window is going away). */
  flush(): void {
    if (this.#timer !== null) this.#save(false);
  }

  /** It will not be saved again (its chat was deleted). */
  drop(): void {
    this.#cancel();
  }

  #cancel(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #save(withFiles: boolean): void {
    this.#cancel();
    // A draft that cannot be kept is still there to send; damage is noticed by the ipc layer.
    void saveDraft(this.chatId, this.#text, withFiles ? this.files.tokens : null).catch(() => {});
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
      draft = new Draft(id);
      this.#byChat.set(id, draft);
    }
    return draft;
  }

  /** Brings back every chat's draft kept in the database (at start). */
  async restore(): Promise<void> {
    for (const saved of await listDrafts()) this.for(saved.conversation_id).restore(saved);
  }

  /** Saves whatever text waits to be (the window is going away). */
  flush(): void {
    for (const draft of this.#byChat.values()) draft.flush();
  }

  /** A drag over the window, or a drop, as Rust reports it: dropped files join chat `id`'s draft. */
  onDrop(id: number, event: DropEvent): void {
    this.dragging = event.type === "over";
    if (event.type === "dropped") this.for(id).files.take(event.result);
  }

  /** Chat `id` was deleted (its draft with it, in the database): Rust lets its files go. */
  forget(id: number): void {
    const draft = this.#byChat.get(id);
    draft?.drop();
    draft?.files.discardAll();
    this.#byChat.delete(id);
  }
}

/** The app's drafts, one per chat. */
export const drafts = new Drafts();
