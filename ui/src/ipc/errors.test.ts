import { describe, expect, it } from "vitest";
import { AppError, ERROR_CODES, noticeDamage, onDatabaseDamaged } from "./index";

describe("AppError.from", () => {
  it("keeps a code the core sends, and its message", () => {
    const err = AppError.from({ code: "busy", message: "a reply is already streaming" });
    expect(err.code).toBe("busy");
    expect(err.message).toBe("a reply is already streaming");
  });

  it("treats a code the core never sends as internal, keeping the message", () => {
    const err = AppError.from({ code: "made_up", message: "odd" });
    expect(err.code).toBe("internal");
    expect(err.message).toBe("odd");
  });

  it("wraps anything else as internal", () => {
    expect(AppError.from("Command x not found").code).toBe("internal");
    expect(AppError.from(new Error("boom")).message).toBe("boom");
  });

  it("knows every generated code once", () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES).toContain("not_found");
  });
});

describe("damage found mid-session", () => {
  it("reaches the listeners when an error is damage, and only then", () => {
    const heard: string[] = [];
    const stop = onDatabaseDamaged((problem) => heard.push(problem.message));
    const damage = new AppError("database_damaged", "/data/confab.db is damaged (SQLite found: …)");
    expect(noticeDamage(damage)).toBe(damage);
    noticeDamage(new AppError("unreachable", "no server"));
    expect(heard).toEqual(["/data/confab.db is damaged (SQLite found: …)"]);
    stop();
    noticeDamage(damage);
    expect(heard).toHaveLength(1);
  });
});
