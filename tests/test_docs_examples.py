"""Every example the docs give runs (issue 13, point 1): each command line of a shell block in
README.md (```bash, ```sh, ```shell, ```console) and each `Example:` line of every command's
--help (which README's CLI reference is generated from) is collected here, not listed, so an
example added later is run too. Each runs in a scratch directory against one deployed,
replicated pair shared by the module (created by `cli-app deploy` itself, as a user would), with
the CLI pointed at it through the environment (cli_app/config.py). It must exit 0, and print
what the README shows after it where a ```console block shows output (`$ ` marks the command;
a line `...` stands for any lines).

cli-app lines run in-process through Click's CliRunner, which is how the installed command runs
them too (main() adds only the one-line error handling); a line that needs a shell (a pipe, a
redirection, another program) runs in bash, and so does one whose output the README shows. SKIPS lists, each with its reason, what cannot run
in a test; a skip rule that matches nothing fails, so the list cannot rot."""

import fnmatch
import os
import re
import shlex
import subprocess
from dataclasses import dataclass

import click
import psycopg
import pytest
from click.testing import CliRunner

from cli_app import deploy
from cli_app.main import cli
from conftest import REPO, SOURCE_PORT, TEST_PG_DIR, WAREHOUSE_PORT, Replication, dsn

README = REPO / "README.md"
SHELL_BLOCKS = ("bash", "sh", "shell", "console")

# (pattern on the command line, why it cannot run here). A rule on a block's line skips the
# whole block when the block only makes sense as a whole (its exports set up what follows).
SKIPS = [
    (r"^make (demo|setup|up|down|clean|deploy)\b",
     "installs packages and starts the demo's own clusters on ports 55432/55433: what CI does "
     "before the suite, not something a test may do"),
    (r"^make test\b", "the test suite itself"),
    (r"^make psql-", "opens an interactive psql on the demo's clusters"),
    (r"db\.example\.com", "BLOCK: points SOURCE_DSN at an imagined shop database"),
    (r"^docker compose", "BLOCK: needs Docker, absent from CI (tests/test_docker_compose.py checks the file)"),
    (r"^cli-app generate --orders 1000000\b",
     "loads a million orders (minutes); tests/test_generate.py and test_cli_ops.py load a few"),
    (r"^cli-app traffic (start|stop)\b",
     "pg_cron serves one database per cluster (cron.database_name), not the test's; "
     "test_cli_ops.py runs the same verbs' siblings (traffic tick)"),
    (r"^cli-app watch\b", "runs for 30 s by design; test_cli_ops.py watches for 1 s"),
    (r"^cli-app monitor\b", "opens pg_activity, a full-screen interactive program"),
    (r"^cli-app serve\b", "serves until stopped, by design; tests/test_serve.py runs it as a process and "
                          "drives it over HTTP and in a browser"),
    (r"^cli-app resync\b",
     "refuses unless the slot was lost, by design; tests/test_resync.py loses one and resyncs"),
]


@dataclass(frozen=True)
class Example:
    where: str
    command: str
    output: str | None = None       # what the README shows it prints, when it does
    block: tuple[str, ...] = ()     # every command of its README block


def strip_comment(line: str) -> str:
    """The line without a trailing # comment (outside quotes), as the shell reads it."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                continue
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_examples(text: str) -> list[Example]:
    examples: list[Example] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w+)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, i = i + 1, i + 1
        while not lines[i].startswith("```"):
            i += 1
        body, i = lines[start:i], i + 1
        if fence.group(1) not in SHELL_BLOCKS:
            continue
        found: list[tuple[int, str, list[str]]] = []  # (line number, command, output lines)
        console = fence.group(1) == "console"
        j = 0
        while j < len(body):
            raw = body[j]
            number = start + j + 1
            if console and not raw.startswith("$ "):
                if found:
                    found[-1][2].append(raw)
                j += 1
                continue
            logical = raw[2:] if console else raw
            while logical.endswith("\\") and j + 1 < len(body):
                j += 1
                logical = logical[:-1].rstrip() + " " + body[j].strip()
            command = strip_comment(logical).strip()
            if command:
                found.append((number, command, []))
            j += 1
        commands = tuple(c for _, c, _ in found)
        examples += [Example(f"README.md:{n}", c, "\n".join(out) if console else None, commands)
                     for n, c, out in found]
    return examples


def help_examples() -> list[Example]:
    examples = []

    def walk(command: click.Command, path: list[str], parent=None):
        ctx = click.Context(command, info_name=path[-1], parent=parent, **command.context_settings)
        for match in re.finditer(r"^\s*Example: (.+?)\s*$", command.get_help(ctx), re.MULTILINE):
            examples.append(Example(f"`{' '.join(path)} --help`", match.group(1)))
        if isinstance(command, click.Group):
            for name in sorted(command.list_commands(ctx)):
                walk(command.get_command(ctx, name), path + [name], ctx)

    walk(cli, ["cli-app"])
    return examples


def all_examples() -> list[Example]:
    """README's then the help's, each command once: where it can run, and shows its output if
    anywhere, else where it first appears."""
    seen: dict[str, Example] = {}
    for example in readme_examples(README.read_text()) + help_examples():
        known = seen.get(example.command)
        rank = lambda e: (skip_reason(e) is None, e.output is not None)  # noqa: E731
        if known is None or rank(example) > rank(known):
            seen[example.command] = example
    return list(seen.values())


def skip_reason(example: Example) -> str | None:
    for pattern, reason in SKIPS:
        if reason.startswith("BLOCK: ") and any(re.search(pattern, c) for c in example.block):
            return reason.removeprefix("BLOCK: ")
        if re.search(pattern, example.command):
            return reason
    return None


EXAMPLES = all_examples()


@pytest.fixture(scope="module")
def documented_pair(source_server, warehouse_server):
    """A source and a warehouse database deployed and subscribed by `cli-app deploy`, with some
    shop traffic replicated and every aggregate rebuilt: what a reader of the README has after
    `make demo`. Yields the environment that points the CLI at it."""
    names = {SOURCE_PORT: ("docs_source", source_server.template_dbname),
             WAREHOUSE_PORT: ("docs_warehouse", warehouse_server.template_dbname)}
    for port, (name, template) in names.items():
        with psycopg.connect(dsn(port, "postgres"), autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name} template {template}")
    source = psycopg.connect(dsn(SOURCE_PORT, "docs_source"), autocommit=True)
    warehouse = psycopg.connect(dsn(WAREHOUSE_PORT, "docs_warehouse"), autocommit=True)
    env = {
        "SOURCE_DSN": dsn(SOURCE_PORT, "docs_source"),
        "WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, "docs_warehouse"),
        "ELT_PG_DIR": str(TEST_PG_DIR / "no-pg-env"),  # no .pg/env of the checkout may leak in
        "ELT_QUERIES_DIR": "",
        "ELT_ALLOW_SOURCE_WRITES": "1",  # the test's source is ours to write, as the embedded one is
        "ELT_REPLICATION_PASSWORD_FILE": str(TEST_PG_DIR / "replication_password"),
        "ELT_OWNER_PASSWORD_FILE": str(TEST_PG_DIR / "owner_password"),
        "ELT_ANALYST_PASSWORD_FILE": str(TEST_PG_DIR / "analyst_password"),
    }
    replication = Replication(source, warehouse)
    replication.name = deploy.SUBSCRIPTION
    try:
        deploy.database_privileges(warehouse)
        # A slot of the same name left by an interrupted run would make the subscription fail.
        source.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots"
                       " where slot_name = %s and not active", [deploy.SUBSCRIPTION])
        source.execute("call shop.add_customers(40)")
        source.execute("call shop.add_products(15)")
        source.execute("call shop.place_orders(200)")
        source.execute("call shop.simulate(3)")
        deployed = CliRunner().invoke(cli, ["deploy"], env=env)
        assert deployed.exit_code == 0, deployed.output
        replication.wait_for_sync()
        warehouse.execute("call elt.rebuild_all()")
        yield {"env": env, "source": source, "warehouse": warehouse, "replication": replication}
    finally:
        deploy.unsubscribe(warehouse, deploy.SUBSCRIPTION)
        source.close()
        warehouse.close()
        for port, (name, _) in names.items():
            with psycopg.connect(dsn(port, "postgres"), autocommit=True) as conn:
                conn.execute(f"drop database if exists {name} with (force)")


def needs_shell(command: str) -> bool:
    return not command.startswith("cli-app ") or re.search(r"[|<>;&`$]", command) is not None


def matches(expected: str, actual: str) -> bool:
    """Line by line, trailing spaces aside; a line `...` stands for any number of lines."""
    want = [line.rstrip() for line in expected.strip("\n").splitlines()]
    got = [line.rstrip() for line in actual.strip("\n").splitlines()]
    pattern = "\n".join("*" if line == "..." else line.replace("[", "[[]") for line in want)
    return fnmatch.fnmatchcase("\n".join(got), pattern) if "..." in want else got == want


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.where} {e.command}"[:120] for e in EXAMPLES])
def test_the_example_runs(example, documented_pair, tmp_path, monkeypatch):
    reason = skip_reason(example)
    if reason:
        pytest.skip(reason)
    env = documented_pair["env"]
    # What the pg_cron job maintain-answers does about every 0.1 s on a deployed warehouse.
    documented_pair["replication"].catch_up()
    documented_pair["warehouse"].execute("call elt.fold()")
    monkeypatch.chdir(tmp_path)
    # What the README shows printed is checked as the installed command prints it.
    if needs_shell(example.command) or example.output is not None:
        result = subprocess.run(["bash", "-c", example.command], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120, env={**os.environ, **env,
                                                  "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"})
        code, stdout, said = result.returncode, result.stdout, result.stdout + result.stderr
    else:
        result = CliRunner().invoke(cli, shlex.split(example.command)[1:], env=env, prog_name="cli-app")
        code, stdout, said = result.exit_code, result.stdout, result.output
        if result.exception and not isinstance(result.exception, SystemExit):
            said += f"\n{type(result.exception).__name__}: {result.exception}"
    assert code == 0, f"{example.where}: `{example.command}` exited {code}:\n{said}"
    if example.output is not None:
        assert matches(example.output, stdout), (
            f"{example.where}: `{example.command}` printed\n{stdout}\nwhere the README shows\n{example.output}")


def test_the_docs_hold_examples_and_every_skip_is_used():
    readme = [e for e in EXAMPLES if e.where.startswith("README")]
    helps = [e for e in EXAMPLES if not e.where.startswith("README")]
    assert len(readme) >= 5 and len(helps) >= len(cli.list_commands(None))
    for pattern, reason in SKIPS:
        assert any(re.search(pattern, c) for e in EXAMPLES for c in (e.command, *e.block)), (
            f"the skip {pattern!r} ({reason}) matches no example any more: remove it")
    # The one reason an example may fail to be collected: a shell block this parser cannot read.
    assert not [e for e in EXAMPLES if e.command.startswith("$ ")]


def test_the_collector_reads_blocks_as_the_shell_does():
    text = ("```bash\nmake demo   # starts # everything\n# a comment\ncli-app sql \"select '#' as x\" \\\n"
            "  --output -\n```\n```text\ncli-app not-shell\n```\n"
            "```console\n$ cli-app list\nname\n...\n$ cli-app status\n```\n")
    found = readme_examples(text)
    assert [(e.command, e.output) for e in found] == [
        ("make demo", None), ("cli-app sql \"select '#' as x\" --output -", None),
        ("cli-app list", "name\n..."), ("cli-app status", "")]
    assert matches("a\n...\nz", "a\nb\nc\nz") and not matches("a\n...\nz", "a\nb")
    assert matches("x  [1]", "x  [1]  ")
