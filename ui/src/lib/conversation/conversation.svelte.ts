// The chat on screen, as a reactive controller: which of its messages are loaded (a window that
// pages toward older and newer ones, opened at the end or around any message, and holds at most
// MAX_LOADED of them), which of those are in the page (messageWindow.svelte.ts: the ones near the
// viewport), following the streaming end while the reader is there, and starting the turns that
// stream into it. The view (ConversationView.svelte) and its parts render what this holds. Create
// it while a component initialises: its effects belong to that component.
import { tick, untrack } from "svelte";
import {
  AppError,
  editAndResend,
  listMessages,
  sendMessage,
  sendWithAttachments,
  setMessagePinned,
  stopReply,
  type ChatEvent,
  type Message,
} from "../../ipc";
import { renderer } from "../markdown/renderer.svelte";
import { MessageWindow } from "./messageWindow.svelte";
import { forgetFinished, live, replyHandler, setChatOnScreen, withLive, type LiveReply } from "./replies.svelte";

export const PAGE_SIZE = 100;
/** The most messages loaded at once: paging on past it lets go of the far end's. */
export const MAX_LOADED = 3 * PAGE_SIZE;
/** How close to the top or the bottom (px) starts reading the next page that way. */
const PAGE_SLACK = 400;
/** How close to the bottom (px) counts as "following" the reply. */
const FOLLOW_SLACK = 48;

/** Starts a turn in a conversation, handing its events to `onEvent`. */
export type TurnStart = (conversationId: number, onEvent: (event: ChatEvent) => void) => Promise<unknown>;

export class ConversationController {
  /** The chat shown, or null. */
  id = $state<number | null>(null);
  /** The loaded messages as the store has them, oldest first. */
  saved = $state<Message[]>([]);
  /** Whether the store has messages older than the first one loaded. */
  hasOlder = $state(false);
  /** Whether it has messages newer than the last one loaded (the chat was opened at a message). */
  hasNewer = $state(false);
  loading = $state(false);
  loadingOlder = $state(false);
  loadingNewer = $state(false);
  error = $state<AppError | null>(null);
  /** The scrolling message list, and what it scrolls (the view binds them). */
  scroller = $state<HTMLElement | null>(null);
  content = $state<HTMLElement | null>(null);
  /** The composer's text field (the composer binds it): the focus goes back there after Stop. */
  composer = $state<HTMLTextAreaElement | null>(null);
  /** The question being edited, by id. */
  editingId = $state<number | null>(null);
  /** Which loaded messages are in the page, and their heights. */
  readonly window: MessageWindow;

  /** The message to bring into view once it is on screen. */
  #target = $state<number | null>(null);
  /** The message the chat was opened at (null: its end), for a retry. */
  #openedAt: number | null = null;
  /** Bumped by each opening: pages read for an earlier one are dropped. */
  #generation = 0;

  /** The chat's streaming (or just finished) reply, kept outside the view. */
  entry = $derived(this.id === null ? undefined : live[this.id]);
  /** What the list shows. The live reply belongs at the chat's end, so only once that is loaded. */
  messages = $derived(this.hasNewer ? this.saved : withLive(this.saved, this.entry));
  streaming = $derived(this.entry?.streaming ?? false);
  /** The chat's last message, when its end is loaded: the one the turn actions act on. */
  last = $derived(this.hasNewer ? undefined : this.messages.at(-1));
  /** The question only the last one can be edited and resent. */
  lastUserId = $derived(this.hasNewer ? null : lastUserMessageId(this.messages));

  /** Whether the list sticks to the end as the reply grows: the reader is at the bottom. */
  get following(): boolean {
    return this.window.atEnd;
  }
  set following(value: boolean) {
    this.window.atEnd = value;
  }

  constructor() {
    this.window = new MessageWindow(
      () => this.messages,
      () => this.editingId,
      () => this.scroller,
    );

    $effect(() => {
      if (this.messages.length > 0) renderer.load();
    });

    // The band of messages in the page follows the scroller's size.
    $effect(() => {
      const scroller = this.scroller;
      if (!scroller) return;
      const observer = new ResizeObserver(() => this.window.sync(scroller));
      observer.observe(scroller);
      return () => observer.disconnect();
    });

    // A finished turn becomes part of the saved list (the next turn's live entry replaces it). Away
    // from the end it waits: the end has yet to be read, and the reply is merged when it is.
    $effect(() => {
      const finished = this.entry;
      if (!finished || finished.streaming || finished.conversationId !== this.id || this.hasNewer) return;
      untrack(() => this.#settle(finished));
    });

    // Follow the end, unless the reader scrolled up: whenever the list's content changes size (a
    // reply growing, a message drawn or measured, a code block's header), once it is laid out and
    // before it is painted, so following costs no layout of its own.
    $effect(() => {
      const scroller = this.scroller;
      const content = this.content;
      if (!scroller || !content) return;
      const observer = new ResizeObserver(() => this.#stick());
      observer.observe(content);
      return () => observer.disconnect();
    });
    // And when the reader starts following, or the list changes in ways that need not change its
    // size (the renderer arriving: the messages replace "Loading messages…").
    $effect(() => {
      void this.messages.length;
      void renderer.pending;
      if (this.following) void tick().then(() => this.#stick());
    });

    // A chat opened at a message shows that message once it is rendered: scrolled to where it
    // is, it is drawn, then brought to the middle again as the messages around it are measured.
    $effect(() => {
      const target = this.#target;
      const scroller = this.scroller;
      if (target === null || !scroller || this.loading || renderer.pending) return;
      this.#target = null;
      if (!this.messages.some((m) => m.id === target)) return;
      const bring = () => this.window.reveal(target);
      bring();
      void tick().then(() => {
        bring();
        requestAnimationFrame(() => requestAnimationFrame(bring));
      });
    });
  }

  /**
   * Shows the chat `id` (null: none): its newest messages, or with `at` the messages around that
   * one, which is brought into view. Paging then reads on from there both ways.
   */
  show(id: number | null, at: number | null = null): Promise<void> {
    this.id = id;
    setChatOnScreen(id);
    this.saved = [];
    this.hasOlder = false;
    this.hasNewer = false;
    this.following = at === null;
    this.editingId = null;
    this.window.reset();
    this.#openedAt = at;
    const generation = ++this.#generation;
    return id === null ? Promise.resolve() : this.#open(id, at, generation);
  }

  /** Shows the chat around the message `messageId` (which the search found, say). */
  openAt(messageId: number): Promise<void> {
    return this.show(this.id, messageId);
  }

  /** Reads the chat again the way it was opened (after an error). */
  reload(): Promise<void> {
    return this.id === null ? Promise.resolve() : this.#open(this.id, this.#openedAt, this.#generation);
  }

  async #open(id: number, at: number | null, generation: number): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      if (at === null) {
        const page = await listMessages(id, PAGE_SIZE);
        if (generation !== this.#generation) return;
        this.saved = page;
        this.hasOlder = page.length === PAGE_SIZE;
      } else {
        // The page that ends with the message, and the page after it.
        const [older, newer] = await Promise.all([
          listMessages(id, PAGE_SIZE, at + 1),
          listMessages(id, PAGE_SIZE, null, at),
        ]);
        if (generation !== this.#generation) return;
        this.saved = [...older, ...newer];
        this.hasOlder = older.length === PAGE_SIZE;
        this.hasNewer = newer.length === PAGE_SIZE;
        this.#target = at;
      }
    } catch (e) {
      if (generation === this.#generation) this.error = AppError.from(e);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Reads the page before the oldest message shown, keeping what the reader sees in place. */
  async loadOlder(): Promise<void> {
    const id = this.id;
    const oldest = this.saved[0];
    if (id === null || !oldest || this.loadingOlder || !this.hasOlder) return;
    const generation = this.#generation;
    this.loadingOlder = true;
    try {
      const page = await listMessages(id, PAGE_SIZE, oldest.id);
      if (generation !== this.#generation) return;
      const known = new Set(this.saved.map((m) => m.id));
      const added = page.filter((m) => !known.has(m.id));
      const saved = [...added, ...this.saved];
      this.hasOlder = page.length === PAGE_SIZE;
      // The newest ones go past the bound: they are read again on the way back down.
      if (saved.length > MAX_LOADED) {
        saved.length = MAX_LOADED;
        this.hasNewer = true;
        this.following = false;
      }
      // What the reader sees moves down by the new messages' height (a guess until they are
      // drawn, measured then): the scroll position moves with it, in the same frame.
      const hold = this.window.hold(added.reduce((sum, m) => sum + this.window.heightOf(m), 0));
      this.saved = saved;
      await tick();
      hold();
    } catch (e) {
      this.error = AppError.from(e);
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Reads the page after the newest message loaded; the last one reaches the chat's end. */
  async loadNewer(): Promise<void> {
    const id = this.id;
    const newest = this.saved.at(-1);
    if (id === null || !newest || this.loadingNewer || !this.hasNewer) return;
    const generation = this.#generation;
    this.loadingNewer = true;
    try {
      const page = await listMessages(id, PAGE_SIZE, null, newest.id);
      if (generation !== this.#generation) return;
      const known = new Set(this.saved.map((m) => m.id));
      const saved = [...this.saved, ...page.filter((m) => !known.has(m.id))];
      this.hasNewer = page.length === PAGE_SIZE;
      // The oldest ones go past the bound: the reader's place stays where it is without them.
      const over = saved.length - MAX_LOADED;
      if (over > 0) {
        const hold = this.window.hold(-(this.window.offsets[over] ?? 0));
        this.saved = saved.slice(over);
        this.hasOlder = true;
        await tick();
        hold();
      } else {
        this.saved = saved;
      }
    } catch (e) {
      this.error = AppError.from(e);
    } finally {
      this.loadingNewer = false;
    }
  }

  /** Scrolls to the end, if the reader follows it. */
  #stick(): void {
    const scroller = this.scroller;
    if (scroller && this.following) scroller.scrollTop = scroller.scrollHeight;
  }

  /** The list scrolled: follow the end when the reader is at it, read on near either edge. */
  onScroll(): void {
    const scroller = this.scroller;
    if (!scroller) return;
    const below = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    this.following = !this.hasNewer && below < FOLLOW_SLACK;
    this.window.sync(scroller);
    if (scroller.scrollTop < PAGE_SLACK) void this.loadOlder();
    if (below < PAGE_SLACK) void this.loadNewer();
  }

  #settle(finished: LiveReply): void {
    this.saved = withLive(this.saved, finished);
    forgetFinished(finished.conversationId);
    // A long session at the end of a chat keeps at most two pages on screen: the older ones
    // leave the page (and memory) and are read again when the reader scrolls up to them.
    if (this.following && this.saved.length > 2 * PAGE_SIZE) {
      this.saved = this.saved.slice(-PAGE_SIZE);
      this.hasOlder = true;
    }
  }

  /** A turn goes to the chat's end: read it if the list is elsewhere, and follow it. */
  #toEnd(): void {
    if (this.hasNewer && this.id !== null) void this.show(this.id);
    this.following = true;
  }

  /** The reasoning that came with a reply: what is saved, plus what is streaming in now. */
  reasoningOf(message: Message): string {
    const entry = this.entry;
    const streamingHere = entry?.streaming && entry.reply.id === message.id;
    return streamingHere ? message.reasoning + entry.reasoning : message.reasoning;
  }

  /** Sends the user's message (with the files held under `tokens`) and streams the reply;
   * resolves whether it was sent. */
  async send(text: string, tokens: string[] = []): Promise<boolean> {
    const id = this.id;
    if (id === null) return false;
    this.error = null;
    this.#toEnd();
    try {
      if (tokens.length > 0) await sendWithAttachments(id, text, tokens, replyHandler(id));
      else await sendMessage(id, text, replyHandler(id));
      return true;
    } catch (e) {
      this.error = AppError.from(e);
      return false;
    }
  }

  /** Starts a turn that streams into the chat: a reply, a new version, more text. */
  async startTurn(start: TurnStart): Promise<void> {
    const id = this.id;
    if (id === null || this.streaming) return;
    this.error = null;
    this.#toEnd();
    // The button that started it (Retry, Regenerate, Save & resend) goes while the reply streams.
    this.composer?.focus();
    try {
      await start(id, replyHandler(id));
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  /** Resends the question being edited with `text`; the edit closes once the turn has started. */
  async saveEdit(text: string): Promise<void> {
    const messageId = this.editingId;
    if (messageId === null) return;
    // A question with files may go without words of its own; one without needs some.
    const files = this.messages.find((m) => m.id === messageId)?.attachments ?? [];
    if (text.trim() === "" && files.length === 0) return;
    await this.startTurn((_, onEvent) => editAndResend(messageId, text, onEvent));
    if (!this.error) this.editingId = null;
  }

  /** Stops the streaming reply; the focus goes to the composer, for the next message. */
  async stop(): Promise<void> {
    if (this.id === null) return;
    this.composer?.focus();
    try {
      await stopReply(this.id);
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  async togglePinned(message: Message): Promise<void> {
    try {
      const updated = await setMessagePinned(message.id, !message.pinned);
      this.saved = this.saved.map((m) => (m.id === updated.id ? updated : m));
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  /** Shows `chosen`, another version of the last reply, in place of the message `shown`. */
  showInstead(shown: number, chosen: Message): void {
    this.saved = this.messages.map((m) => (m.id === shown ? chosen : m));
    // The saved list is the truth again: a finished live reply would show the old version.
    if (this.id !== null) forgetFinished(this.id);
  }
}

function lastUserMessageId(list: Message[]): number | null {
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i]!.role === "user") return list[i]!.id;
  }
  return null;
}
