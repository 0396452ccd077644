import { describe, expect, it } from "vitest";
import { head, isLong, prettyArguments, sizeLabel, visible } from "./text";

describe("visible", () => {
  it("escapes what a person cannot see, as the core does", () => {
    const tags = [..."ignore"].map((c) => String.fromCodePoint(0xe0000 + c.codePointAt(0)!)).join("");
    const text = `Reads a file.${tags} a\u200Bb \u202Ecba\u202C \x1b[2J`;
    const out = visible(text);
    expect(out.startsWith("Reads a file.\\u{E0069}\\u{E0067}")).toBe(true);
    expect(out).toContain("a\\u{200B}b");
    expect(out).toContain("\\u{202E}cba\\u{202C}");
    expect(out).toContain("\\u{001B}[2J");
  });

  it("leaves text in any script, line breaks and tabs alone", () => {
    const text = "Liest eine Datei.\n\tКиото 京都 🍁 — مرحبا <b>&amp;</b>";
    expect(visible(text)).toBe(text);
  });
});

describe("prettyArguments", () => {
  it("indents JSON and keeps anything else as written", () => {
    expect(prettyArguments('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyArguments("{not json")).toBe("{not json");
    expect(prettyArguments("  ")).toBe("{}");
  });
});

describe("long results", () => {
  it("are collapsed to their first lines", () => {
    const many = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
    expect(isLong(many)).toBe(true);
    expect(head(many).split("\n")).toHaveLength(12);
    expect(isLong("short")).toBe(false);
    expect(isLong("x".repeat(5000))).toBe(true);
    expect(head("x".repeat(5000))).toHaveLength(1500);
  });

  it("say their size", () => {
    expect(sizeLabel(812)).toBe("812 bytes");
    expect(sizeLabel(3500)).toBe("3.4 KiB");
    expect(sizeLabel(1024 * 1024)).toBe("1.0 MiB");
  });
});
