// Which of a chat's loaded messages are in the page: the ones within a screen of the viewport, and
// those that must stay wherever they are (the question being edited, the message holding the
// keyboard focus). The rest leave the page — their nodes, highlighted code and math go with them —
// and come back as the reader scrolls to them, so what the window holds depends on what is on
// screen, not on how long the chat is. Each message's height is measured while it is in the page;
// a message not seen yet has a guess from its length. A spacer stands for each run of messages not
// in the page, so the scrollbar and the reader's place stay where they were.
import type { Attachment } from "svelte/attachments";
import type { Message } from "../../ipc";
import { offsetsFrom, windowOf } from "../shared/listWindow";

/** Below this, the band kept around the viewport never shrinks (px). */
const MIN_MARGIN = 600;

/** What the list draws: a message, or a spacer for the messages between two that are drawn. */
export type Slot =
  | { kind: "message"; key: number; message: Message; index: number }
  | { kind: "gap"; key: string; height: number };

/**
 * A guess at a message's height before it has been in the page: its header and its lines, and a
 * card for each tool it called.
 */
export function estimateHeight(message: Message): number {
  let lines = 0;
  for (const line of message.content.split("\n")) lines += Math.max(1, Math.ceil(line.length / 90));
  return 64 + 22 * lines + 160 * message.tool_calls.length;
}

/**
 * The slots for `messages` when those at `shown` (indexes, ascending) are drawn: runs of drawn
 * messages, with a gap as tall as the messages it stands for between and around them.
 */
export function slotsOf(messages: readonly Message[], shown: readonly number[], offsets: readonly number[]): Slot[] {
  const slots: Slot[] = [];
  let next = 0;
  for (const index of shown) {
    // The gaps above and below keep their elements as the band moves (only their heights
    // change): the page never loses height for a moment while the band is redrawn.
    const key = next === 0 ? "gap-above" : `gap-${next}`;
    if (index > next) slots.push({ kind: "gap", key, height: offsets[index]! - offsets[next]! });
    slots.push({ kind: "message", key: messages[index]!.id, message: messages[index]!, index });
    next = index + 1;
  }
  if (next < messages.length) {
    slots.push({ kind: "gap", key: next === 0 ? "gap-above" : "gap-below", height: offsets[messages.length]! - offsets[next]! });
  }
  return slots;
}

export class MessageWindow {
  /** The scroller's scroll position and height, as last seen. */
  top = $state(0);
  height = $state(0);
  /** Whether the list sticks to its end (the reader follows the reply): the band is the end's. */
  atEnd = $state(true);
  /** The message holding the keyboard focus: it stays in the page. */
  focused = $state<number | null>(null);

  /** Heights measured in the page, by message id; bumped `measured` tells the offsets to change. */
  #heights = new Map<number, number>();
  #measured = $state(0);
  #observer: ResizeObserver | null = null;
  #ids = new WeakMap<Element, number>();

  constructor(
    private readonly messages: () => Message[],
    /** Messages to keep in the page wherever they are (the one being edited), by id. */
    private readonly keep: () => number | null,
    private readonly scroller: () => HTMLElement | null,
  ) {}

  /** Where each loaded message starts, and their whole height. */
  offsets = $derived.by(() => {
    void this.#measured;
    return offsetsFrom(this.messages().map((m) => this.heightOf(m)));
  });

  /** A message's height: as measured, or a guess until it has been in the page. */
  heightOf(message: Message): number {
    return this.#heights.get(message.id) ?? estimateHeight(message);
  }

  /** The slots the list draws now. */
  slots = $derived.by(() => {
    const messages = this.messages();
    const offsets = this.offsets;
    const margin = Math.max(this.height, MIN_MARGIN);
    const total = offsets[messages.length]!;
    const top = this.atEnd ? Math.max(0, total - Math.max(this.height, 1)) : this.top;
    const [from, to] = windowOf(offsets, top - margin, top + this.height + margin, 0);
    const shown = new Set<number>();
    for (let i = from; i < to; i++) shown.add(i);
    for (const id of [this.keep(), this.focused]) {
      if (id === null) continue;
      const at = messages.findIndex((m) => m.id === id);
      if (at >= 0) shown.add(at);
    }
    return slotsOf(messages, [...shown].sort((a, b) => a - b), offsets);
  });

  /** Forgets what was measured: another chat is shown. */
  reset(): void {
    this.#heights.clear();
    this.focused = null;
    this.#measured++;
  }

  /** The scroller moved or changed size. */
  sync(scroller: HTMLElement): void {
    this.top = scroller.scrollTop;
    this.height = scroller.clientHeight;
  }

  /**
   * Keeps what the reader sees in place while messages are added or let go above it, which moves
   * it by `delta` px (from the heights known). Call before the change and run what it returns
   * once the page is updated. The band of drawn messages is placed where the reader will be at
   * once, so the page is drawn once, there; the message at the top of the view then corrects the
   * position for any guessed height that was off.
   */
  hold(delta: number): () => void {
    const scroller = this.scroller();
    if (!scroller) return () => {};
    const target = scroller.scrollTop + delta;
    const anchor = topMessage(scroller);
    this.top = Math.max(0, target);
    return () => {
      scroller.scrollTop = target;
      const moved = anchor ? messageElement(scroller, anchor.id) : null;
      if (anchor && moved) scroller.scrollTop += viewOffset(scroller, moved) - anchor.offset;
      this.sync(scroller);
    };
  }

  /** Scrolls so that message `id`, drawn or not, is about in the middle of the view. */
  reveal(id: number): HTMLElement | null {
    const scroller = this.scroller();
    if (!scroller) return null;
    const element = messageElement(scroller, id);
    if (element) {
      element.scrollIntoView({ block: "center" });
    } else {
      const at = this.messages().findIndex((m) => m.id === id);
      if (at < 0) return null;
      // Not in the page: scroll to where it will be; it is drawn once the band moves there.
      scroller.scrollTop = Math.max(0, this.offsets[at]! - scroller.clientHeight / 2);
    }
    this.sync(scroller);
    return element;
  }

  /** Measures the message it is attached to while it is in the page. */
  measure(id: number): Attachment<HTMLElement> {
    return (element) => {
      this.#observer ??= new ResizeObserver((entries) => this.#resized(entries));
      this.#ids.set(element, id);
      this.#observer.observe(element);
      return () => this.#observer?.unobserve(element);
    };
  }

  #resized(entries: ResizeObserverEntry[]): void {
    const scroller = this.scroller();
    if (!scroller) return;
    // Every message has the same margin below it (app CSS): read once per batch.
    let margin: number | null = null;
    // Where the view starts, read only when a message above it may have changed height.
    let viewTop: number | null = null;
    let shift = 0;
    let changed = false;
    for (const entry of entries) {
      const element = entry.target as HTMLElement;
      const id = this.#ids.get(element);
      if (id === undefined || !element.isConnected) continue;
      margin ??= parseFloat(getComputedStyle(element).marginBottom || "0");
      const height = (entry.borderBoxSize?.[0]?.blockSize ?? element.offsetHeight) + margin;
      const message = this.messages().find((m) => m.id === id);
      const was = this.#heights.get(id) ?? (message ? estimateHeight(message) : height);
      if (height === was) continue;
      this.#heights.set(id, height);
      changed = true;
      // A message above the view that changed height (drawn for the first time, say) would move
      // what the reader is looking at: the scroll position moves with it instead. (Following the
      // end, the list sticks to the bottom anyway.)
      if (this.atEnd) continue;
      viewTop ??= scroller.getBoundingClientRect().top;
      if (element.getBoundingClientRect().top < viewTop) shift += height - was;
    }
    if (shift !== 0) {
      scroller.scrollTop += shift;
      this.sync(scroller);
    }
    if (changed) this.#measured++;
  }
}

/** How far below the top of the scroller's view `element` starts (px; negative above it). */
function viewOffset(scroller: HTMLElement, element: HTMLElement): number {
  return element.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
}

/** The first message drawn whose bottom is inside the view, and where it starts. */
function topMessage(scroller: HTMLElement): { id: number; offset: number } | null {
  const top = scroller.getBoundingClientRect().top;
  for (const element of scroller.querySelectorAll<HTMLElement>("[data-message-id]")) {
    if (element.getBoundingClientRect().bottom > top) {
      return { id: Number(element.dataset.messageId), offset: viewOffset(scroller, element) };
    }
  }
  return null;
}

/** The id of the message `node` is in, if any. */
export function messageIdOf(node: EventTarget | null): number | null {
  const article = node instanceof Element ? node.closest<HTMLElement>("[data-message-id]") : null;
  return article ? Number(article.dataset.messageId) : null;
}

/** The article of message `id`, if it is in the page. */
export function messageElement(root: ParentNode, id: number): HTMLElement | null {
  return root.querySelector<HTMLElement>(`[data-message-id="${id}"]`);
}
