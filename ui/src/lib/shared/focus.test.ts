// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keepTabInside, moveInMenu, rememberFocus } from "./focus";

beforeEach(() => {
  document.body.innerHTML = `
    <button id="opener">Settings</button>
    <div id="dialog" tabindex="-1">
      <input id="url" />
      <button id="hidden" style="display: none">Hidden</button>
      <button id="cancel">Cancel</button>
      <button id="option" role="option" tabindex="-1">An option</button>
      <button id="save" disabled>Save</button>
    </div>
    <button id="behind">Behind</button>`;
  // jsdom lays nothing out: what is not display:none counts as shown.
  vi.spyOn(HTMLElement.prototype, "getClientRects").mockImplementation(function (this: HTMLElement) {
    return (this.style.display === "none" ? [] : [{}]) as unknown as DOMRectList;
  });
});
afterEach(() => vi.restoreAllMocks());

const el = (id: string) => document.getElementById(id)!;
function tab(shift = false) {
  const event = new KeyboardEvent("keydown", { key: "Tab", shiftKey: shift, cancelable: true });
  keepTabInside(event, el("dialog"));
  return event.defaultPrevented;
}

describe("keepTabInside", () => {
  it("goes round the dialog's controls, skipping hidden, disabled and arrow-key ones", () => {
    el("cancel").focus();
    expect(tab()).toBe(true);
    expect(document.activeElement).toBe(el("url"));
    expect(tab(true)).toBe(true);
    expect(document.activeElement).toBe(el("cancel"));
  });

  it("lets Tab move on between the first and the last", () => {
    el("url").focus();
    expect(tab()).toBe(false);
  });

  it("brings the focus back in from behind the dialog", () => {
    el("behind").focus();
    tab();
    expect(document.activeElement).toBe(el("url"));
  });
});

describe("rememberFocus", () => {
  it("gives the focus back to the opener once the dialog is gone", () => {
    el("opener").focus();
    const restore = rememberFocus();
    el("url").focus();
    el("dialog").remove();
    restore();
    expect(document.activeElement).toBe(el("opener"));
  });

  it("leaves the focus where something else has put it", () => {
    el("opener").focus();
    const restore = rememberFocus();
    el("behind").focus();
    restore();
    expect(document.activeElement).toBe(el("behind"));
  });

  it("does nothing when the opener has gone too", () => {
    el("opener").focus();
    const restore = rememberFocus();
    el("opener").remove();
    el("dialog").remove();
    restore();
    expect(document.activeElement).toBe(document.body);
  });
});

describe("moveInMenu", () => {
  const items = () => ["url", "cancel", "option"].map(el);
  function key(name: string) {
    const event = new KeyboardEvent("keydown", { key: name, cancelable: true });
    return [moveInMenu(event, items()), event.defaultPrevented];
  }

  it("moves with the arrows round the ends, and to the ends with Home and End", () => {
    el("url").focus();
    expect(key("ArrowUp")).toEqual([true, true]);
    expect(document.activeElement?.id).toBe("option");
    key("ArrowDown");
    expect(document.activeElement?.id).toBe("url");
    key("ArrowDown");
    expect(document.activeElement?.id).toBe("cancel");
    key("End");
    expect(document.activeElement?.id).toBe("option");
    key("Home");
    expect(document.activeElement?.id).toBe("url");
  });

  it("leaves other keys alone", () => {
    el("cancel").focus();
    expect(key("a")).toEqual([false, false]);
    expect(key("Enter")).toEqual([false, false]);
    expect(document.activeElement?.id).toBe("cancel");
  });
});
