#!/usr/bin/env python3
"""Fills in the AppStream metainfo template for a package, its releases from CHANGELOG.md.

Usage: metainfo.py TEMPLATE VERSION HOMEPAGE > app.confab.desktop.metainfo.xml

@VERSION@ and @HOMEPAGE@ are replaced; @RELEASES@ becomes one <release> per version section of
CHANGELOG.md (Keep a Changelog: `## [X.Y.Z] - YYYY-MM-DD`, `### Added`, `- entry`), newest first,
each with its entries as lists under their headings. The version being packaged must have its
section: a package whose release notes are missing is refused.
"""

import pathlib
import re
import sys
from xml.sax.saxutils import escape

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTION = re.compile(r"^## \[(\d+\.\d+\.\d+[^\]]*)\] - (\d{4}-\d{2}-\d{2})\s*$")


def plain(markdown):
    """An entry's Markdown as plain text: links keep their text, emphasis and code marks go."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    # Software centres refuse web addresses in release notes (appstream: plaintext-url).
    text = re.sub(r"\b[a-z]+://", "", text)
    return " ".join(text.split())


def releases(changelog):
    """[(version, date, [(heading, [entry, ...]), ...]), ...] in the file's order."""
    found = []
    heading = None
    for line in changelog.splitlines():
        section = SECTION.match(line)
        if section:
            found.append((section.group(1), section.group(2), []))
            heading = None
        elif line.startswith("## "):
            found.append((None, None, []))  # [Unreleased]: not a release
            heading = None
        elif not found or found[-1][0] is None:
            continue
        elif line.startswith("### "):
            heading = (line[4:].strip(), [])
            found[-1][2].append(heading)
        elif line.startswith("- ") and heading is not None:
            heading[1].append(line[2:].strip())
        elif line.startswith("  ") and heading is not None and heading[1] and line.strip():
            heading[1][-1] += " " + line.strip()
    return [r for r in found if r[0] is not None]


def release_xml(version, date, groups):
    lines = [f'    <release version="{escape(version)}" date="{date}">', "      <description>"]
    for heading, entries in groups:
        if not entries:
            continue
        lines.append(f"        <p>{escape(heading)}:</p>")
        lines.append("        <ul>")
        lines += [f"          <li>{escape(plain(entry))}</li>" for entry in entries]
        lines.append("        </ul>")
    lines += ["      </description>", "    </release>"]
    return "\n".join(lines)


def main():
    template, version, homepage = sys.argv[1:4]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    notes = releases(changelog)
    if not any(v == version for v, _, _ in notes):
        sys.exit(
            f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' section: write the release notes "
            "of the version in Cargo.toml before packaging it"
        )
    xml = "\n".join(release_xml(*release) for release in notes)
    text = pathlib.Path(template).read_text(encoding="utf-8")
    text = text.replace("@VERSION@", version).replace("@HOMEPAGE@", homepage)
    sys.stdout.write(text.replace("    @RELEASES@", xml))


if __name__ == "__main__":
    main()
