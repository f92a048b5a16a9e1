#!/usr/bin/env bash
# scripts/setup.sh: everything the project needs on a fresh machine, idempotent.
#   - PostgreSQL 15 server and pg_cron (apt-get, when root; otherwise it says what to install)
#   - Debian's chromium, which the dashboard's browser test drives through Playwright (so no
#     browser download from outside the package registries is needed)
#   - .venv built from the system Python 3.11 (readable by every user, unlike a pyenv under
#     /root), with the project installed in editable mode.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${ELT_VENV:-$repo/.venv}
python=${PYTHON:-/usr/bin/python3}

need_apt=()
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need_apt+=(postgresql-15)
[ -f /usr/lib/postgresql/15/lib/pg_cron.so ] || need_apt+=(postgresql-15-cron)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x "$python" ] || need_apt+=(python3)
"$python" -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]}; install as root with:" >&2
    echo "  apt-get update && apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

"$python" -c 'import sys; assert sys.version_info[:2] >= (3, 11), sys.version' \
  || { echo "setup: $python is older than Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

stamp=$venv/.installed
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  echo "setup: installing the project into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$repo[test]" 2>&1 | grep -v "is ignored" || true
  "$venv/bin/python" -c 'import cli_app, psycopg, yoyo, pytest_postgresql, hypothesis' \
    || { echo "setup: the install into $venv failed" >&2; exit 1; }
  touch "$stamp"
fi
echo "setup: ready ($venv)"
