"""Named queries: one .sql file per query, its header comment the description.

The built-in ones live in cli_app/queries/ (packaged). More directories come from ELT_QUERIES_DIR
(separated by the OS path separator) and --queries-dir; a file there overrides a built-in of the
same name. Adding a file adds a query.

A query takes parameters as psycopg named placeholders, %(limit)s, so values are always bound by
the driver, never pasted into the SQL (a literal % is then written %%). A header line
`-- param limit=10: how many rows` gives a parameter a default and a description; the default
`null` makes it an optional filter, bound as NULL when not given, so the query reads
`(%(status)s::text is null or status = %(status)s)`. `-- param limit=3 max=1000: ...` gives an
upper bound too: the parameter is then a whole number from 1 to that maximum, and a larger one
is refused, never quietly cut (the API publishes it)."""

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import click

BUILTIN_DIR = Path(__file__).parent / "queries"
ENV_DIRS = "ELT_QUERIES_DIR"

PLACEHOLDER = re.compile(r"(?<!%)%\((\w+)\)s")
PARAM_LINE = re.compile(r"^param\s+(\w+)\s*(?:=\s*([^:]*?))?\s*(?:\bmax\s*=\s*(\d+))?\s*(?::\s*(.*))?$")


# The default that makes a parameter an optional filter: bound as SQL NULL when not given.
NULL_DEFAULT = "null"


@dataclass
class Param:
    name: str
    default: str | None = None
    description: str = ""
    maximum: int | None = None

    def check(self, query: str, value: str) -> str:
        """The value, when it is within the declared maximum (if any); else a clear refusal."""
        if self.maximum is None:
            return value
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or not 1 <= number <= self.maximum:
            raise click.ClickException(
                f"query {query}: {self.name} must be a whole number from 1 to {self.maximum} "
                f"(the maximum the query declares), not {value!r}")
        return str(number)

    @property
    def optional(self) -> bool:
        return self.default == NULL_DEFAULT


@dataclass
class NamedQuery:
    name: str
    sql: str
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def parse(cls, name: str, text: str, path: Path | None = None) -> "NamedQuery":
        description: list[str] = []
        declared: dict[str, Param] = {}
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if not stripped.startswith("--"):
                break
            comment = stripped[2:].strip()
            match = PARAM_LINE.match(comment)
            if match:
                pname, default, maximum, doc = match.groups()
                declared[pname] = Param(pname, default if default else None, doc or "",
                                        int(maximum) if maximum else None)
            elif comment:
                description.append(comment)
        params = {p: declared.get(p, Param(p)) for p in dict.fromkeys(PLACEHOLDER.findall(text))}
        return cls(name, text, " ".join(description), params, path)

    def bind(self, given: dict[str, str]) -> dict[str, str] | None:
        """The parameters to send, or None when the query has none (then % needs no escaping).
        An unknown or a missing parameter is a clear error."""
        for key in given:
            if key not in self.params:
                known = ", ".join(self.params) or "none"
                hint = difflib.get_close_matches(key, self.params, n=1)
                raise click.ClickException(
                    f"query {self.name} has no parameter {key!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else ".")
                    + f" Its parameters: {known}.")
        if not self.params:
            return None
        bound = {}
        for name, param in self.params.items():
            if name in given:
                bound[name] = param.check(self.name, given[name])
            elif param.optional:
                bound[name] = None
            elif param.default is not None:
                bound[name] = param.default
            else:
                raise click.ClickException(
                    f"query {self.name} needs parameter {name!r}: add --param {name}=VALUE")
        return bound

    @property
    def summary(self) -> str:
        return self.description.split(". ")[0].rstrip(".") if self.description else ""


def query_dirs(extra: tuple[str, ...] = ()) -> list[Path]:
    dirs = [BUILTIN_DIR]
    dirs += [Path(d) for d in os.environ.get(ENV_DIRS, "").split(os.pathsep) if d]
    dirs += [Path(d) for d in extra]
    return dirs


def load_all(extra: tuple[str, ...] = ()) -> dict[str, NamedQuery]:
    found: dict[str, NamedQuery] = {}
    for directory in query_dirs(extra):
        if not directory.is_dir():
            raise click.ClickException(f"query directory {directory} does not exist "
                                       f"(from {ENV_DIRS} or --queries-dir)")
        for path in sorted(directory.glob("*.sql")):
            try:
                text = path.read_text()
            except (OSError, UnicodeDecodeError) as e:
                raise click.ClickException(f"cannot read the query file {path}: "
                                           f"{getattr(e, 'strerror', None) or e}") from None
            found[path.stem] = NamedQuery.parse(path.stem, text, path)
    return dict(sorted(found.items()))


def find(name: str, extra: tuple[str, ...] = ()) -> NamedQuery:
    queries = load_all(extra)
    if name in queries:
        return queries[name]
    hint = difflib.get_close_matches(name, queries, n=1)
    raise click.ClickException(
        f"no query named {name!r}"
        + (f"; did you mean {hint[0]!r}?" if hint else ".")
        + " `cli-app list` shows them all.")
