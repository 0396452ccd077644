// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const loadImage = vi.fn();
vi.mock("../../ipc", () => ({
  loadImage: (url: string) => loadImage(url),
  AppError: { from: (e: unknown) => e as { code: string; message: string } },
}));

const notify = vi.fn();
vi.mock("../shared/notices.svelte", () => ({ notify: (text: string, kind: string) => notify(text, kind) }));

const { remoteImages } = await import("./remoteImages");
const { renderMarkdown } = await import("./markdown");

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function mount(markdown: string) {
  const container = document.createElement("div");
  document.body.append(container);
  container.innerHTML = renderMarkdown(markdown);
  const detach = remoteImages(container) as () => void;
  return { container, detach };
}

beforeEach(() => loadImage.mockReset());
afterEach(() => document.body.replaceChildren());

describe("remoteImages", () => {
  it("loads nothing by itself and offers a button per web image", () => {
    const { container } = mount(
      "![a cat](https://cats.example/cat.png) and ![x](javascript:alert(1)) and ![dog](http://dogs.example/d.jpg)",
    );
    expect(container.querySelector("img")).toBeNull();
    const links = Array.from(container.querySelectorAll("a.image-link"));
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      "https://cats.example/cat.png",
      "http://dogs.example/d.jpg",
    ]);
    const buttons = Array.from(container.querySelectorAll("button[data-testid=load-image]"));
    expect(buttons).toHaveLength(2);
    expect(links[0]!.nextSibling).toBe(buttons[0]);
    expect((buttons[0] as HTMLElement).title).toContain("cats.example");
    expect(loadImage).not.toHaveBeenCalled();
  });

  it("shows the image the shell fetched, and keeps it across re-renders", async () => {
    loadImage.mockResolvedValue({ mime: "image/png", bytes: 3, data_url: "data:image/png;base64,AAAA" });
    const markdown = "Look: ![a fox](https://foxes.example/fox.png)";
    const { container } = mount(markdown);
    (container.querySelector("button[data-testid=load-image]") as HTMLButtonElement).click();
    expect(loadImage).toHaveBeenCalledWith("https://foxes.example/fox.png");
    await settle();
    const img = container.querySelector("img[data-testid=remote-image]") as HTMLImageElement;
    expect(img.src).toBe("data:image/png;base64,AAAA");
    expect(img.alt).toBe("a fox");
    expect(container.querySelector("a.image-link, button")).toBeNull();

    // A re-render (streaming, coming back to the chat) shows it at once, without a second fetch.
    container.innerHTML = renderMarkdown(markdown + " more");
    await settle();
    expect(container.querySelector("img[data-testid=remote-image]")).not.toBeNull();
    const again = mount(markdown).container;
    expect(again.querySelector("img[data-testid=remote-image]")).not.toBeNull();
    expect(loadImage).toHaveBeenCalledTimes(1);
  });

  it("says why an image failed and lets the user retry", async () => {
    loadImage.mockRejectedValueOnce({ code: "not_an_image", message: "not an image" });
    const { container } = mount("![x](https://x.example/page)");
    const button = container.querySelector("button[data-testid=load-image]") as HTMLButtonElement;
    button.click();
    expect(button.disabled).toBe(true);
    await settle();
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe("Couldn't load · Retry");
    expect(button.dataset.error).toBe("not_an_image");
    expect(button.title).toContain("not an image");
    expect(container.querySelector("img")).toBeNull();
    expect(notify).toHaveBeenCalledWith(expect.stringContaining("x.example"), "error");
  });
});
