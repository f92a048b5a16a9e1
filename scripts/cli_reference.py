#!/usr/bin/env python3
"""scripts/cli_reference.py: the CLI reference in README.md, rendered from the code.

Every command's --help goes between the markers <!-- cli-reference:start --> and
<!-- cli-reference:end -->, so the reference cannot drift from the CLI.

    .venv/bin/python scripts/cli_reference.py          rewrite the reference
    .venv/bin/python scripts/cli_reference.py --check  exit 1 if it is stale (tests and CI run this)
"""

import argparse
import sys
from pathlib import Path

import click

from cli_app.main import cli

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"
# A fixed width, so the rendering does not depend on the terminal that runs the script.
WIDTH = 100


def walk(command: click.Command, path: list[str], parent: click.Context | None = None):
    ctx = click.Context(command, info_name=path[-1], parent=parent, terminal_width=WIDTH,
                        max_content_width=WIDTH, **command.context_settings)
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            yield from walk(command.get_command(ctx, name), path + [name], ctx)


def render() -> str:
    parts = [START, ""]
    for path, command, ctx in walk(cli, ["cli-app"]):
        parts += [f"#### `{' '.join(path)}`", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def updated(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"{TARGET}: the markers {START} and {END} are missing")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return head + render() + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the reference is stale")
    args = parser.parse_args()
    current = TARGET.read_text()
    fresh = updated(current)
    if args.check:
        if fresh != current:
            print(f"{TARGET.relative_to(REPO)} is stale: run .venv/bin/python scripts/cli_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        TARGET.write_text(fresh)
        print(f"updated {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
