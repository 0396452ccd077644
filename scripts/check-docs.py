#!/usr/bin/env python3
"""Checks the project's documents as a reader meets them on a code host.

- Every relative link and image in README.md, CONTRIBUTING.md, CHANGELOG.md, docs/ and
  ui/src/lib/README.md points at a file that exists, and every #anchor at a heading of its page.
- README.md stays a front door: at most 15,000 characters.
- CHANGELOG.md has a section for the version in the workspace's Cargo.toml.

Links inside code blocks and code spans are not links. Web addresses are not fetched (CI has no
internet); `mailto:` and `http(s):` links are left alone. Exits 1 with one line per problem.
"""

import pathlib
import re
import sys
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent
README_LIMIT = 15_000

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
HTML_ATTR = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href|srcset)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def documents():
    names = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "ui/src/lib/README.md"]
    docs = [ROOT / n for n in names if (ROOT / n).exists()]
    docs += sorted((ROOT / "docs").rglob("*.md"))
    return docs


def prose(text):
    """The text with code blocks, code spans and comments blanked out."""
    text = FENCE.sub("", text)
    text = COMMENT.sub("", text)
    return CODE_SPAN.sub("", text)


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"<[^>]+>", "", heading)  # inline HTML
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.replace("`", "").lower()
    kept = []
    for ch in text:
        if ch in " -_" or unicodedata.category(ch)[0] in "LN":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        text = FENCE.sub("", path.read_text(encoding="utf-8"))
        seen = {}
        found = set()
        for _, heading in HEADING.findall(text):
            base = slug(heading)
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        found.update(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", text))
        cache[path] = found
    return cache[path]


def targets(text):
    body = prose(text)
    found = INLINE_LINK.findall(body) + REFERENCE.findall(body) + HTML_ATTR.findall(body)
    return [t for t in found if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I)]


def check_links(doc, problems):
    rel = doc.relative_to(ROOT)
    for target in targets(doc.read_text(encoding="utf-8")):
        path_part, _, fragment = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if not path.exists():
            problems.append(f"{rel}: the link to {target} points at nothing")
            continue
        try:
            path.relative_to(ROOT)
        except ValueError:
            problems.append(f"{rel}: the link to {target} leaves the repository")
            continue
        if fragment and path.suffix == ".md" and fragment not in anchors(path):
            problems.append(f"{rel}: {target} names no heading of {path.relative_to(ROOT)}")


def main():
    problems = []
    for doc in documents():
        check_links(doc, problems)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    if len(readme) > README_LIMIT:
        problems.append(
            f"README.md: {len(readme):,} characters, over the front door's {README_LIMIT:,}: "
            "move the detail into a page of docs/"
        )
    cargo = (ROOT / "Cargo.toml").read_text()
    package = cargo[cargo.index("[workspace.package]") :]
    version = re.search(r'^version\s*=\s*"([^"]+)"', package, re.M).group(1)
    changelog_file = ROOT / "CHANGELOG.md"
    changelog = changelog_file.read_text(encoding="utf-8") if changelog_file.exists() else ""
    if not re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M):
        problems.append(f"CHANGELOG.md: no '## [{version}] - YYYY-MM-DD' section for Cargo.toml's version")
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"docs: {len(documents())} documents, every link and image found")


if __name__ == "__main__":
    main()
