// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { touches } from "./mutations";

/** The records of what `change` does to a fresh container. */
async function recordsOf(change: (root: HTMLElement) => void, setUp = ""): Promise<MutationRecord[]> {
  const root = document.createElement("div");
  root.innerHTML = setUp;
  const observer = new MutationObserver(() => {});
  observer.observe(root, { childList: true, subtree: true });
  change(root);
  const records = observer.takeRecords();
  observer.disconnect();
  return records;
}

describe("touches", () => {
  it("sees an element added or removed, by itself or inside another", async () => {
    const added = await recordsOf((root) => (root.innerHTML = "<ul><li><pre><code>x</code></pre></li></ul>"));
    expect(touches(added, "pre")).toBe(true);
    const removed = await recordsOf((root) => root.firstElementChild!.remove(), "<div><pre></pre></div><p>b</p>");
    expect(touches(removed, "pre")).toBe(true);
  });

  it("ignores changes that bring or take none of it", async () => {
    const lines = await recordsOf(
      (root) => root.querySelector("code")!.append(document.createElement("span"), "more text"),
      "<pre><code>x</code></pre>",
    );
    expect(touches(lines, "pre")).toBe(false);
    expect(touches(lines, "a.image-link")).toBe(false);
  });
});
