// The header over each code block of a rendered reply: the block's language and a Copy button.
//
// Model output never carries buttons: the sanitizer drops them. These controls are made here, by
// the app, and put into the sanitised HTML after it is in the page. A streaming reply's HTML is
// replaced on every delta, so a MutationObserver puts them back after each render (before the
// next paint, so nothing flickers), moving the same header to the same block: its "Copied" and
// hover carry on across renders.
import type { Attachment } from "svelte/attachments";
import { COPY_FEEDBACK_MS, copyText } from "../shared/clipboard";
import { touches } from "./mutations";
import "./code-blocks.css";

/** The fence's language as rendered (`language-rust` → `rust`), or "text". */
function languageOf(code: Element): string {
  for (const cls of Array.from(code.classList)) {
    if (cls.startsWith("language-") && cls.length > "language-".length) return cls.slice("language-".length);
  }
  return "text";
}

function makeHead(): HTMLElement {
  const head = document.createElement("div");
  head.className = "code-head";
  head.dataset.testid = "code-head";
  const label = document.createElement("span");
  label.className = "code-lang";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "code-copy";
  button.dataset.testid = "copy-code";
  button.title = "Copy the code";
  button.setAttribute("aria-live", "polite");
  button.textContent = "Copy";
  let reset: ReturnType<typeof setTimeout> | undefined;
  const copy = () => {
    // The block this header sits on now: its text exactly as the model wrote it.
    const code = head.parentElement?.querySelector(":scope > code");
    void copyText(code?.textContent ?? "").then((ok) => {
      button.textContent = ok ? "Copied" : "Copy failed";
      button.dataset.copied = String(ok);
      clearTimeout(reset);
      reset = setTimeout(() => {
        button.textContent = "Copy";
        delete button.dataset.copied;
      }, COPY_FEEDBACK_MS);
    });
  };
  // While a reply streams it re-renders every frame, and WebKit drops a click whose press and
  // release fall on either side of a re-render (the button left the page in between). So the
  // mouse copies on press; a click without a press (keyboard: Enter, Space) copies on click.
  button.addEventListener("mousedown", (event) => {
    if (event.button === 0) copy();
  });
  button.addEventListener("click", (event) => {
    if (event.detail === 0) copy();
  });
  head.append(label, button);
  return head;
}

/** Decorates every `<pre><code>` inside the element it is attached to, now and after re-renders. */
export const codeBlockControls: Attachment<HTMLElement> = (container) => {
  // The header of the n-th block, kept across re-renders.
  const heads: HTMLElement[] = [];
  const decorate = () => {
    const blocks = container.querySelectorAll("pre > code");
    blocks.forEach((code, i) => {
      const pre = code.parentElement as HTMLElement;
      const head = (heads[i] ??= makeHead());
      if (pre.firstElementChild !== head) pre.insertBefore(head, pre.firstChild);
      const label = head.firstElementChild as HTMLElement;
      const language = languageOf(code);
      if (label.textContent !== language) label.textContent = language;
    });
    heads.length = Math.min(heads.length, blocks.length);
  };
  decorate();
  // Only when blocks came or went: our own insertions (headers) are neither, and a streaming
  // block's new lines go inside a block already decorated.
  const observer = new MutationObserver((records) => {
    if (touches(records, "pre")) decorate();
  });
  observer.observe(container, { childList: true, subtree: true });
  return () => observer.disconnect();
};
