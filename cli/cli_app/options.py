"""What every command shares: the Command class that puts the `Example:` line last in --help,
and the option decorators (output, parameters, timeout) so each option means one thing."""

import functools
import textwrap

import click

from cli_app.export import TABLE_MAX_ROWS

FORMATS = ("table", "csv", "json")


def _split_example(help_text: str | None) -> tuple[str | None, str | None]:
    """Move a trailing `Example:` paragraph of a docstring into the epilog, so it is the last
    thing --help prints, after the options."""
    if not help_text:
        return help_text, None
    text = help_text.rstrip()
    head, sep, example = text.rpartition("\n\n")
    # Dedented, so a paragraph of several Example: lines keeps them aligned.
    last = textwrap.dedent(example if sep else text).strip()
    if not last.startswith("Example:"):
        return help_text, None
    # \b keeps Click from re-wrapping a command line.
    return (head if sep else ""), "\b\n" + last


class Command(click.Command):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.help and not self.epilog:
            self.help, self.epilog = _split_example(self.help)


class Group(click.Group):
    command_class = Command
    group_class = type  # subgroups are Groups too

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.help and not self.epilog:
            self.help, self.epilog = _split_example(self.help)


command = functools.partial(click.command, cls=Command)
group = functools.partial(click.group, cls=Group)


def parse_params(ctx, param, values) -> dict[str, str]:
    params: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip().isidentifier():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE, e.g. --param limit=5", ctx, param)
        params[key.strip()] = val
    return params


def param_option(f):
    return click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                        callback=parse_params,
                        help="Bind a query parameter %(NAME)s (repeatable). Values are sent as "
                             "parameters, never pasted into the SQL.")(f)


def timeout_option(f):
    return click.option("--timeout", type=click.FloatRange(min=0), default=600, show_default=True,
                        help="statement_timeout in seconds for the query (0: none).")(f)


def output_options(f):
    """--export, --output-dir, --output, --format, --force: where a result goes and in what shape."""
    for decorator in reversed([
        click.option("--export", "export_flag", is_flag=True,
                     help="Write NAME_result_<YYYYmmdd_HHMMSS>.<format> in the output directory "
                          "(the current one by default) instead of printing a table."),
        click.option("--output-dir", type=click.Path(file_okay=False),
                     help="Directory for --export (implies --export), created if missing."),
        click.option("--output", "output", type=click.Path(dir_okay=False, allow_dash=True),
                     help="Write exactly to this file; '-' writes to standard output."),
        click.option("--format", "fmt", type=click.Choice(FORMATS),
                     help=f"table (aligned, values as PostgreSQL prints them, at most {TABLE_MAX_ROWS} rows), "
                          "csv (with a header) or json (an array of objects). "
                          "Default: table on the terminal, csv in files."),
        click.option("--force", is_flag=True,
                     help="Let --output replace an existing file (exports never do otherwise)."),
    ]):
        f = decorator(f)
    return f


def source_writes_option(f):
    """--allow-source-writes: the commands that write into the source (generate, traffic, watch)
    do so only on the embedded one unless this says the source given is also yours to write."""
    return click.option("--allow-source-writes", is_flag=True, envvar="ELT_ALLOW_SOURCE_WRITES",
                        help="Write even though SOURCE_DSN is not the embedded source of .pg/env "
                             "(a test copy of yours, say) [env: ELT_ALLOW_SOURCE_WRITES=1].")(f)
