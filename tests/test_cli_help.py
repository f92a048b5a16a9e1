"""Every command documents itself: --help ending with an Example: line, exit codes in the
top-level help, and the README CLI reference generated from the code (scripts/cli_reference.py)."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from cli_app.main import cli
from conftest import REPO


def all_commands(command=cli, path=("cli-app",)):
    yield path, command
    if isinstance(command, click.Group):
        # Through Click's API, not .commands: the root group imports its subcommands on demand.
        for name in sorted(command.list_commands(None)):
            yield from all_commands(command.get_command(None, name), path + (name,))


COMMANDS = list(all_commands())


def test_the_walk_finds_every_verb():
    names = {" ".join(path[1:]) for path, _ in COMMANDS}
    assert names >= {"", "deploy", "generate", "traffic", "traffic start", "traffic stop", "traffic tick",
                     "status", "watch", "list", "export-all", "refresh", "sql", "lineage", "monitor",
                     "serve", "catalog"}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p[1:]) or "cli-app")
def test_every_command_has_help_ending_with_an_example(path):
    result = CliRunner().invoke(cli, [*path[1:], "--help"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.strip().splitlines()]
    assert lines[-1].startswith("Example: cli-app"), result.output
    assert len(lines) > 4


def test_top_level_help_documents_the_exit_codes():
    output = CliRunner().invoke(cli, ["--help"]).output
    assert "Exit codes:" in output
    for code in ("0  success", "1  a user error", "2  usage error"):
        assert code in output


def test_no_arguments_prints_help_and_usage_errors_exit_2():
    runner = CliRunner()
    plain = runner.invoke(cli, [], prog_name="cli-app")
    assert plain.exit_code == 0 and "Usage: cli-app" in plain.output
    assert runner.invoke(cli, ["--query", "open_orders", "list"]).exit_code == 2
    assert runner.invoke(cli, ["--export"]).exit_code == 2
    assert runner.invoke(cli, ["no-such-verb"]).exit_code == 2


def test_the_cli_reference_in_the_readme_is_up_to_date():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "cli_reference.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\n(run: .venv/bin/python scripts/cli_reference.py)"
