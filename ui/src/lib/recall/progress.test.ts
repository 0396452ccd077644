import { describe, expect, it } from "vitest";
import { fraction, modelName, progressText, statusText } from "./progress";
import type { RecallStatus } from "../../ipc";

const status = (s: Partial<RecallStatus>): RecallStatus => ({
  embedding_model: null,
  words_only_reason: null,
  indexed: 0,
  total: 0,
  indexing: false,
  ...s,
});

describe("recall progress", () => {
  it("names the model without its server", () => {
    expect(modelName("http://localhost:1234#text-embedding-nomic")).toBe("text-embedding-nomic");
    expect(modelName("odd")).toBe("odd");
  });

  it("counts with separators", () => {
    expect(progressText(status({ indexed: 1234, total: 50000, indexing: true }))).toBe(
      "Indexing for recall: 1,234 of 50,000 messages",
    );
  });

  it("says what recall uses and why words alone", () => {
    expect(statusText(status({ embedding_model: "http://h#e", indexed: 3, total: 3 }))).toBe(
      "By words and by meaning with e: all 3 messages indexed.",
    );
    expect(statusText(status({ embedding_model: "http://h#e", indexed: 1, total: 3 }))).toContain("(paused)");
    expect(statusText(status({ words_only_reason: "no embedding model" }))).toBe("By words alone: no embedding model.");
    expect(statusText(status({}))).toBe("Looking for an embedding model…");
  });

  it("never divides by zero", () => {
    expect(fraction(status({}))).toBe(1);
    expect(fraction(status({ indexed: 5, total: 10 }))).toBe(0.5);
    expect(fraction(status({ indexed: 12, total: 10 }))).toBe(1);
  });
});
