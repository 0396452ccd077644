import { describe, expect, it } from "vitest";
import { sourceLabel } from "./optionSources";

describe("sourceLabel", () => {
  it("names each layer, the project by name", () => {
    expect(sourceLabel("chat", "Work")).toBe("· set for this chat");
    expect(sourceLabel("project", "Work")).toBe("· from project “Work”");
    expect(sourceLabel("project", null)).toBe("· from project");
    expect(sourceLabel("app_settings", null)).toBe("· from app settings");
    expect(sourceLabel("built_in", null)).toBe("· built-in default");
    expect(sourceLabel(undefined, null)).toBe("");
  });
});
