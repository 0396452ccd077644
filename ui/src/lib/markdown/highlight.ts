// Syntax highlighting for code blocks in replies: highlight.js core with a chosen set of common
// languages, registered one by one so the bundle carries only these. Its output (spans with
// `hljs-*` classes around escaped text) still goes through the Markdown sanitizer.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import makefile from "highlight.js/lib/languages/makefile";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import powershell from "highlight.js/lib/languages/powershell";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import shellSession from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import "./highlight.css";

/**
 * Blocks longer than this stay plain text: a reply re-renders on every streamed delta, and
 * highlighting costs about half a millisecond per kilobyte.
 */
export const MAX_HIGHLIGHT_CHARS = 20_000;

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, makefile,
  markdown, php, plaintext, powershell, python, ruby, rust, sql, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
// highlight.js's "shell" is a terminal session (prompts, output); models mostly write ```shell
// for scripts, so it means Bash here and the session grammar answers to ```console.
hljs.registerLanguage("console", shellSession);
hljs.registerAliases(["shell"], { languageName: "bash" });

/** Highlighted HTML for blocks seen lately: while a reply streams, only its last block changes. */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 64;

/**
 * `code` as highlighted HTML (escaped text inside `hljs-*` spans), or null when it should stay
 * plain: no language, one this build does not know, or a block too long to highlight per frame.
 * Never guesses a language.
 */
export function highlightCode(code: string, language: string): string | null {
  const lang = language.toLowerCase();
  if (!lang || code.length > MAX_HIGHLIGHT_CHARS || !hljs.getLanguage(lang)) return null;
  const key = `${lang}\u0000${code}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh its place, so the oldest entry is the one evicted.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let html: string;
  try {
    html = hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  } catch {
    return null;
  }
  cache.set(key, html);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return html;
}
