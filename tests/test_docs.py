"""Every relative link and anchor in README.md and docs/*.md resolves.

A link `page.md`, `page.md#heading` or `#heading` must name an existing file and, for a
Markdown file, a heading of it under GitHub's slug rules. Web and mail links are not checked.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def documentation_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def prose_lines(text: str) -> Iterator[str]:
    """The lines outside fenced code blocks."""
    fence: str | None = None
    for line in text.splitlines():
        marker = FENCE.match(line)
        if fence is None and marker:
            fence = marker.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            yield line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces become hyphens."""
    text = INLINE_CODE.sub(lambda code: code.group(2), heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading keeps its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2, ... as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(text):
        heading = HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> Iterator[str]:
    """The targets of inline links and link reference definitions, outside code."""
    for line in prose_lines(text):
        definition = REFERENCE_DEFINITION.match(line)
        if definition:
            yield definition.group(1)
            continue
        for link in INLINE_LINK.finditer(INLINE_CODE.sub("", line)):
            yield link.group(1)


def broken_links(page: Path) -> list[str]:
    """What is wrong with each relative link of a Markdown page; empty when all resolve."""
    problems = []
    for target in links(page.read_text(encoding="utf-8")):
        if not target or EXTERNAL.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        destination = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not destination.exists():
            problems.append(f"{page.name}: {target}: no such file")
        elif (
            fragment
            and destination.suffix == ".md"
            and unquote(fragment) not in anchors(destination.read_text(encoding="utf-8"))
        ):
            problems.append(f"{page.name}: {target}: no heading with this anchor")
    return problems


@pytest.mark.parametrize("page", documentation_files(), ids=lambda page: page.name)
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_documentation_pages_exist() -> None:
    names = {page.name for page in documentation_files()}
    assert {"README.md", "configuration.md", "benchmarks.md"} <= names


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Quick start", "quick-start"),
        ("Using `etl-watcher-sdk`", "using-etl-watcher-sdk"),
        ("Verifying the webhook's signature", "verifying-the-webhooks-signature"),
        ("503: database unavailable", "503-database-unavailable"),
        ("Anomaly detection (`bench/anomalies.py`)", "anomaly-detection-benchanomaliespy"),
        ("Timeliness, freshness and alerts", "timeliness-freshness-and-alerts"),
        ("The `load_lineage` flag", "the-load_lineage-flag"),
        ("Fixes (2026-11-28, 01:15\N{EN DASH}01:50 UTC)", "fixes-2026-11-28-01150150-utc"),
    ],
)
def test_slug_follows_github(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_repeated_headings_are_numbered() -> None:
    text = "# Setup\n## Setup\n```sh\n# Setup\n```\n### Setup\n"
    assert anchors(text) == {"setup", "setup-1", "setup-2"}


def test_a_broken_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Some section\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md#some-section) [ok](#page) [web](https://example.com/x.md#nope)\n"
        "[missing file](nowhere.md) [missing anchor](other.md#no-such-section)\n"
        "[missing local anchor](#nothing) `[in code](ignored.md)`\n"
        "```\n[in a block](ignored.md)\n```\n"
        "[ref]: gone.md\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "page.md: nowhere.md: no such file",
        "page.md: other.md#no-such-section: no heading with this anchor",
        "page.md: #nothing: no heading with this anchor",
        "page.md: gone.md: no such file",
    ]
