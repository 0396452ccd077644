// Images in replies, loaded only when the user asks. Markdown renders an image as a link
// (`a.image-link`, which model text cannot forge: raw HTML is escaped and Markdown links get no
// class); here the app puts a "Load image" button after each one. On a click the shell fetches
// the image (the page's CSP allows no remote loads), checks that it really is a raster image and
// hands back a `data:` URL, which replaces the link. A loaded image stays loaded across re-renders
// and chat switches for the session.
import type { Attachment } from "svelte/attachments";
import { AppError, loadImage } from "../../ipc";
import { notify } from "../shared/notices.svelte";
import { touches } from "./mutations";
import "./remote-images.css";

/** Images loaded this session, by URL (the newest few: they can be megabytes each). */
const loaded = new Map<string, string>();
const KEEP = 32;

/** Loads in flight, by URL, so a re-render does not start a second fetch. */
const inFlight = new Map<string, Promise<string>>();

function remember(url: string, dataUrl: string) {
  loaded.delete(url);
  loaded.set(url, dataUrl);
  while (loaded.size > KEEP) loaded.delete(loaded.keys().next().value as string);
}

function fetchOnce(url: string): Promise<string> {
  let pending = inFlight.get(url);
  if (!pending) {
    pending = loadImage(url)
      .then((image) => {
        remember(url, image.data_url);
        return image.data_url;
      })
      .finally(() => inFlight.delete(url));
    inFlight.set(url, pending);
  }
  return pending;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function imageFor(link: HTMLAnchorElement, dataUrl: string): HTMLImageElement {
  const img = document.createElement("img");
  img.className = "remote-image";
  img.dataset.testid = "remote-image";
  img.alt = link.textContent ?? "";
  img.title = link.getAttribute("href") ?? "";
  img.src = dataUrl;
  return img;
}

function makeButton(link: HTMLAnchorElement, onLoaded: () => void): HTMLButtonElement {
  const url = link.getAttribute("href") ?? "";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "load-image";
  button.dataset.testid = "load-image";
  button.textContent = "Load image";
  button.title = `Load this image from ${hostOf(url)}. Its server will learn that you opened it.`;
  button.addEventListener("click", (event) => {
    event.preventDefault();
    event.stopPropagation();
    button.disabled = true;
    button.textContent = "Loading…";
    fetchOnce(url)
      .then(onLoaded)
      .catch((e: unknown) => {
        const error = AppError.from(e);
        button.disabled = false;
        button.textContent = "Couldn't load · Retry";
        button.title = `The image from ${hostOf(url)} could not be loaded: ${error.message}`;
        button.dataset.error = error.code;
        notify(button.title, "error");
      });
  });
  return button;
}

/** Offers each image link inside the element a "Load image" button, now and after re-renders. */
export const remoteImages: Attachment<HTMLElement> = (container) => {
  // The button after each link, kept across re-renders (its "Loading…" state included), keyed by
  // the link's URL and which occurrence of it the link is.
  const buttons = new Map<string, HTMLButtonElement>();
  const decorate = () => {
    const seen = new Map<string, number>();
    const keep = new Set<string>();
    for (const link of container.querySelectorAll<HTMLAnchorElement>("a.image-link")) {
      const url = link.getAttribute("href") ?? "";
      const n = seen.get(url) ?? 0;
      seen.set(url, n + 1);
      const key = `${n} ${url}`;
      const dataUrl = loaded.get(url);
      if (dataUrl) {
        link.replaceWith(imageFor(link, dataUrl));
        continue;
      }
      keep.add(key);
      let button = buttons.get(key);
      if (!button) {
        button = makeButton(link, decorate);
        buttons.set(key, button);
      }
      if (link.nextSibling !== button) link.after(button);
    }
    for (const [key, button] of buttons) {
      if (!keep.has(key)) {
        button.remove();
        buttons.delete(key);
      }
    }
  };
  decorate();
  // Only when image links came or went (a button is neither).
  const observer = new MutationObserver((records) => {
    if (touches(records, "a.image-link")) decorate();
  });
  observer.observe(container, { childList: true, subtree: true });
  return () => observer.disconnect();
};
