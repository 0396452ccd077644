// The chat on screen, as a reactive controller: which of its messages are loaded (a window that
// pages toward older and newer ones, opened at the end or around any message), following the
// streaming end while the reader is there, and starting the turns that stream into it. The view
// (ConversationView.svelte) and its parts render what this holds. Create it while a component
// initialises: its effects belong to that component.
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
import { onlyToolCalls } from "../tools/consents.svelte";
import { forgetFinished, live, replyHandler, setChatOnScreen, withLive, type LiveReply } from "./replies.svelte";

export const PAGE_SIZE = 100;
/** How close to the top or the bottom (px) starts reading the next page that way. */
const PAGE_SLACK = 400;
/** How close to the bottom (px) counts as "following" the reply. */
const FOLLOW_SLACK = 48;
/** One message in the list. Messages carry no id in the page, so the list's order finds one. */
const MESSAGE = '[data-testid="message"]';

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
  /** The scrolling message list (the view binds it). */
  scroller = $state<HTMLElement | null>(null);
  /** The composer's text field (the composer binds it): the focus goes back there after Stop. */
  composer = $state<HTMLTextAreaElement | null>(null);
  /** The question being edited, by id. */
  editingId = $state<number | null>(null);
  /** Whether the list sticks to the end as the reply grows: the reader is at the bottom. */
  following = true;

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

  constructor() {
    $effect(() => {
      if (this.messages.length > 0) renderer.load();
    });

    // A finished turn becomes part of the saved list (the next turn's live entry replaces it). Away
    // from the end it waits: the end has yet to be read, and the reply is merged when it is.
    $effect(() => {
      const finished = this.entry;
      if (!finished || finished.streaming || finished.conversationId !== this.id || this.hasNewer) return;
      untrack(() => this.#settle(finished));
    });

    // Follow the reply as it grows, unless the reader scrolled up. The renderer arriving counts too:
    // the messages replace "Loading messages…", so a chat opened before it loaded still shows its end.
    $effect(() => {
      void this.messages.length;
      void this.last?.content;
      void renderer.pending;
      const scroller = this.scroller;
      if (this.following && scroller) {
        const stick = () => {
          if (this.following) scroller.scrollTop = scroller.scrollHeight;
        };
        // Again after the next paints: code-block headers and off-screen messages (laid out only
        // when near the view) can still change the height.
        void tick().then(() => {
          stick();
          requestAnimationFrame(() => requestAnimationFrame(stick));
        });
      }
    });

    // A chat opened at a message shows that message once it is rendered.
    $effect(() => {
      const target = this.#target;
      const scroller = this.scroller;
      if (target === null || !scroller || this.loading || renderer.pending) return;
      // A reply that only called tools has no message element (its cards show it).
      const at = this.messages.filter((m) => !onlyToolCalls(m)).findIndex((m) => m.id === target);
      this.#target = null;
      if (at < 0) return;
      const bring = () => scroller.querySelectorAll<HTMLElement>(MESSAGE)[at]?.scrollIntoView({ block: "center" });
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
      const height = this.scroller?.scrollHeight ?? 0;
      const known = new Set(this.saved.map((m) => m.id));
      this.saved = [...page.filter((m) => !known.has(m.id)), ...this.saved];
      this.hasOlder = page.length === PAGE_SIZE;
      await tick();
      if (this.scroller) this.scroller.scrollTop += this.scroller.scrollHeight - height;
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
      this.saved = [...this.saved, ...page.filter((m) => !known.has(m.id))];
      this.hasNewer = page.length === PAGE_SIZE;
    } catch (e) {
      this.error = AppError.from(e);
    } finally {
      this.loadingNewer = false;
    }
  }

  /** The list scrolled: follow the end when the reader is at it, read on near either edge. */
  onScroll(): void {
    const scroller = this.scroller;
    if (!scroller) return;
    const below = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    this.following = !this.hasNewer && below < FOLLOW_SLACK;
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
