// The list of chats the sidebar shows, as a reactive controller: read 50 at a time as it
// scrolls, filtered by title (the app asks again once typing pauses), kept in order as replies
// move chats to the top and the model names them, and the list's own actions — a new chat,
// rename, pin, delete. App.svelte owns which chat is shown; this owns the list.
import {
  AppError,
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  renameConversation,
  setPinned,
  type Conversation,
  type ConversationCursor,
} from "../../ipc";

/** How many chats a page of the list holds. */
export const PAGE_SIZE = 50;

export class ConversationList {
  // Replaced whole on every change, never mutated: a raw array, so 10,000 chats are not each
  // made reactive.
  conversations = $state.raw<Conversation[]>([]);
  cursor = $state<ConversationCursor | null>(null);
  loading = $state(true);
  creating = $state(false);
  /** What went wrong last, for the banner; the list stays as it was. */
  error = $state<AppError | null>(null);
  /** The title filter as typed. */
  filter = $state("");
  /** The filter the shown list was read with. */
  applied = "";
  #refreshSeq = 0;

  get hasMore(): boolean {
    return this.cursor !== null;
  }

  /** Reads the first page for the filter as typed; returns the first chat's id, if any. */
  async loadFirstPage(): Promise<number | null> {
    this.loading = true;
    this.error = null;
    try {
      this.applied = this.filter.trim();
      const page = await listConversations(PAGE_SIZE, null, this.applied || null);
      this.conversations = page.items;
      this.cursor = page.next;
      return page.items[0]?.id ?? null;
    } catch (e) {
      this.error = AppError.from(e);
      return null;
    } finally {
      this.loading = false;
    }
  }

  /** The next page, after the last chat shown (a chat already shown is not shown twice). */
  async loadMore(): Promise<void> {
    if (this.loading || this.cursor === null) return;
    this.loading = true;
    try {
      const page = await listConversations(PAGE_SIZE, this.cursor, this.applied || null);
      const known = new Set(this.conversations.map((c) => c.id));
      this.conversations = [...this.conversations, ...page.items.filter((c) => !known.has(c.id))];
      this.cursor = page.next;
    } catch (e) {
      this.error = AppError.from(e);
    } finally {
      this.loading = false;
    }
  }

  /** A new chat (in `project` when given), at the top of the list. */
  async create(project?: number): Promise<Conversation | null> {
    if (this.creating) return null;
    this.creating = true;
    this.error = null;
    try {
      const created = await createConversation(undefined, project);
      this.conversations = [created, ...this.conversations.filter((c) => c.id !== created.id)];
      return created;
    } catch (e) {
      this.error = AppError.from(e);
      return null;
    } finally {
      this.creating = false;
    }
  }

  /** A chat changed elsewhere (its options, its project, a title the model gave it). */
  replace(changed: Conversation): void {
    this.conversations = this.conversations.map((c) => (c.id === changed.id ? changed : c));
  }

  async rename(id: number, title: string): Promise<boolean> {
    try {
      this.replace(await renameConversation(id, title));
      return true;
    } catch (e) {
      this.error = AppError.from(e);
      return false;
    }
  }

  async togglePin(conversation: Conversation): Promise<void> {
    try {
      await setPinned(conversation.id, !conversation.pinned);
      await this.refresh(null);
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  /** Deletes chat `id`; returns where it was in the list, or null when it could not be deleted. */
  async remove(id: number): Promise<number | null> {
    try {
      await deleteConversation(id);
      const at = this.conversations.findIndex((c) => c.id === id);
      this.conversations = this.conversations.filter((c) => c.id !== id);
      return at;
    } catch (e) {
      this.error = AppError.from(e);
      return null;
    }
  }

  /** Makes sure chat `id` is in the list: one far down it (or filtered out) goes to the top for now. */
  async ensureListed(id: number): Promise<boolean> {
    if (this.conversations.some((c) => c.id === id)) return true;
    try {
      this.conversations = [await getConversation(id), ...this.conversations];
      return true;
    } catch (e) {
      this.error = AppError.from(e);
      return false;
    }
  }

  /**
   * A reply started or ended: `changed` moves to the top (after the pinned ones). Without one
   * (a pin, an import, a title), the list is read again as far as it was shown.
   */
  async refresh(changed: Conversation | null): Promise<void> {
    if (changed && !changed.pinned) {
      const pinned = this.conversations.filter((c) => c.pinned && c.id !== changed.id);
      const rest = this.conversations.filter((c) => !c.pinned && c.id !== changed.id);
      this.conversations = [...pinned, changed, ...rest];
      return;
    }
    const seq = ++this.#refreshSeq;
    try {
      const page = await listConversations(
        Math.max(PAGE_SIZE, this.conversations.length),
        null,
        this.applied || null,
      );
      // A later refresh started meanwhile: its list is the newer one.
      if (seq !== this.#refreshSeq) return;
      this.conversations = page.items;
      this.cursor = page.next;
    } catch (e) {
      this.error = AppError.from(e);
    }
  }
}
