"""The design lives in the repository (issue 13, point 3): every citation of a design note
(`docs/<note>.md#section`, in code comments, SQL, the READMEs) leads to a file of docs/ and a
heading in it, every relative link of a Markdown file leads to a file that exists, and nothing
cites a document the clone does not hold (the design card these notes were adapted from)."""

import re
import subprocess
from pathlib import Path

from conftest import REPO

CITATION = re.compile(r"\bdocs/([\w.-]+\.md)(?:#([\w-]+))?")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    files = []
    for name in names.splitlines():
        path = REPO / name
        if path.suffix in (".py", ".sql", ".md", ".sh", ".toml", ".yml", ".txt", "") and path.is_file():
            try:
                files.append((path, path.read_text()))
            except UnicodeDecodeError:
                continue
    return files


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces
    to hyphens."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)}


def test_every_citation_of_a_design_note_leads_to_its_heading():
    broken, cited = [], 0
    for path, text in tracked_text_files():
        for note, anchor in CITATION.findall(text):
            cited += 1
            target = REPO / "docs" / note
            if not target.is_file():
                broken.append(f"{path.relative_to(REPO)}: docs/{note} does not exist")
            elif anchor and anchor not in anchors(target.read_text()):
                broken.append(f"{path.relative_to(REPO)}: docs/{note} has no heading #{anchor}")
    assert broken == []
    assert cited >= 5  # the code does cite the notes


def test_relative_markdown_links_lead_somewhere():
    broken = []
    for path, text in tracked_text_files():
        if path.suffix != ".md":
            continue
        for link in MARKDOWN_LINK.findall(text):
            if re.match(r"^[a-z]+:", link):
                continue  # https:, mailto:
            target, _, anchor = link.partition("#")
            resolved = (path.parent / target) if target else path
            if not resolved.exists():
                broken.append(f"{path.relative_to(REPO)}: {link}")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
                broken.append(f"{path.relative_to(REPO)}: {link} (no such heading)")
    assert broken == []


def test_nothing_cites_a_document_the_clone_does_not_hold():
    gone = "DESIGN" + ".md"  # spelled apart, so this file does not cite it either
    assert [str(p.relative_to(REPO)) for p, text in tracked_text_files() if gone in text] == []
