#!/usr/bin/env bash
# scripts/pg.sh: the two embedded PostgreSQL 15 clusters (source and warehouse).
#
#   scripts/pg.sh up      initialise if needed, start both, write .pg/env (idempotent)
#   scripts/pg.sh down    stop both (keeps the data)
#   scripts/pg.sh clean   stop both and remove every file of theirs
#   scripts/pg.sh status  say which cluster runs
#
# PostgreSQL refuses to run as root. Invoked as root, the servers run as the OS user
# $ELT_PG_OS_USER (default: postgres), and when that user cannot enter the checkout (a clone
# under /root, mode 700) the data directories live under /var/tmp, linked from .pg/.
# Settings (environment): ELT_PG_DIR (default <repo>/.pg), SOURCE_PORT (55432),
# WAREHOUSE_PORT (55433), ELT_MAX_SLOT_WAL_KEEP_SIZE (4GB).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
pg_dir=${ELT_PG_DIR:-$repo/.pg}
source_port=${SOURCE_PORT:-55432}
warehouse_port=${WAREHOUSE_PORT:-55433}
# A stalled slot keeps WAL until this limit, then is invalidated instead of filling the disk.
# 4GB holds a paced `cli-app generate` of 1M orders several times over; see README.
slot_keep=${ELT_MAX_SLOT_WAL_KEEP_SIZE:-4GB}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

die() { echo "pg.sh: $*" >&2; exit 1; }

[ -x "$pg_bin/pg_ctl" ] || die "PostgreSQL 15 server binaries not found in $pg_bin.
Install them with: apt-get install -y postgresql-15   (or set PG_BIN)"

if [ "$(id -u)" = 0 ]; then
  os_user=${ELT_PG_OS_USER:-postgres}
  id "$os_user" >/dev/null 2>&1 || die "running as root needs a non-root OS user for the servers; '$os_user' does not exist (set ELT_PG_OS_USER)"
  # From /, so a working directory the server user cannot enter (a checkout in /root) is no bother.
  as_server() { (cd / && runuser -u "$os_user" -- "$@"); }
else
  os_user=$(id -un)
  as_server() { "$@"; }
fi

ensure_pg_cron() {
  [ -f "$("$pg_bin/pg_config" --pkglibdir)/pg_cron.so" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "pg.sh: installing postgresql-15-cron"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-cron >/dev/null \
      || die "could not install postgresql-15-cron with apt-get"
  else
    die "pg_cron is missing. Install it as root with:
  apt-get update && apt-get install -y postgresql-15-cron"
  fi
}

# Where the data directories live: inside .pg when the server user can reach it, else /var/tmp.
data_root() {
  if [ -L "$pg_dir/data" ] || [ -d "$pg_dir/data" ]; then
    readlink -f "$pg_dir/data"; return
  fi
  if as_server test -x "$pg_dir" 2>/dev/null; then
    echo "$pg_dir/data"
  else
    echo "/var/tmp/cli-app-pg-$(echo "$pg_dir" | cksum | cut -d' ' -f1)"
  fi
}

password_of() { cut -d: -f5 "$pg_dir/pgpass" | head -n 1; }

init_cluster() { # name port dbname
  local name=$1 port=$2 db=$3 dir
  dir=$(data_root)/$name
  [ -f "$dir/PG_VERSION" ] && return 0
  echo "pg.sh: initialising $name cluster in $dir"
  local pwfile
  pwfile=$(mktemp)
  password_of >"$pwfile"
  chmod 644 "$pwfile"
  as_server mkdir -p "$dir"
  as_server "$pg_bin/initdb" -D "$dir" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  as_server mkdir -p "$dir/run"
  as_server chmod 700 "$dir/run"
  as_server tee -a "$dir/postgresql.conf" >/dev/null <<CONF

# --- cli-app embedded $name cluster ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
wal_level = logical
max_wal_senders = 40
max_replication_slots = 40
max_logical_replication_workers = 24
max_sync_workers_per_subscription = 2
max_worker_processes = 48
max_slot_wal_keep_size = '$slot_keep'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$db'
max_connections = 200
logging_collector = on
log_directory = 'log'
log_filename = 'postgresql.log'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
}

# Memory, rewritten at every start so a cluster follows the machine it runs on: a quarter of
# RAM for the warehouse (up to 8GB), a sixteenth for the source (up to 2GB). The deltas and
# folds read rows by key at random, and on machines whose OS cache keeps little (these VMs:
# buff/cache stays near 1.6GB with 21GB free), shared_buffers is the only cache they have;
# at 10M orders, a fold read its rows from disk 3-4x slower with the default 128MB.
write_memory_conf() { # name dir
  local name=$1 dir=$2 ram_mb share cap mb
  ram_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
  if [ "$name" = warehouse ]; then share=4 cap=8192; else share=16 cap=2048; fi
  mb=$((ram_mb / share))
  [ "$mb" -gt "$cap" ] && mb=$cap
  [ "$mb" -lt 128 ] && mb=128
  printf "# Written by scripts/pg.sh at every start: see write_memory_conf there.\nshared_buffers = '%sMB'\n" "$mb" \
    | as_server tee "$dir/memory.conf" >/dev/null
  as_server grep -q "^include_if_exists = 'memory.conf'" "$dir/postgresql.conf" \
    || echo "include_if_exists = 'memory.conf'" | as_server tee -a "$dir/postgresql.conf" >/dev/null
}

# How pg_cron runs its jobs, rewritten at every start (the socket directory follows the cluster).
# Each job connects through the cluster's own socket: trust, in a directory only the server's OS
# user can enter, so pg_cron holds no password. Not in background workers: with them pg_cron 1.4
# starts no job while another runs past its due time (citusdata/pg_cron#200), and a metrics
# round that rebuilt for two minutes held the answers' loop for as long (bench/README.md).
write_cron_conf() { # dir
  local dir=$1
  printf "# Written by scripts/pg.sh at every start: see write_cron_conf there.\ncron.use_background_workers = off\ncron.host = '%s'\n" "$dir/run" \
    | as_server tee "$dir/cron.conf" >/dev/null
  as_server grep -q "^include_if_exists = 'cron.conf'" "$dir/postgresql.conf" \
    || echo "include_if_exists = 'cron.conf'" | as_server tee -a "$dir/postgresql.conf" >/dev/null
}

# Checkpoints, rewritten at every start. At the default max_wal_size (1GB) the warehouse, which
# writes each source change several times (its staging row, its log entry, the folds, the star
# tables), checkpointed every 24-59 s under 500 tx/s at 1M orders, back to back, and most of its
# WAL was full-page images: the first write to a page after each checkpoint copies the page whole,
# and the updates land on pages at random. Fewer checkpoints copy each page less often, and lz4
# shrinks the copies that remain.
write_wal_conf() { # dir
  local dir=$1
  printf "# Written by scripts/pg.sh at every start: see write_wal_conf there.\nmax_wal_size = '4GB'\ncheckpoint_timeout = '10min'\nwal_compression = lz4\n" \
    | as_server tee "$dir/wal.conf" >/dev/null
  as_server grep -q "^include_if_exists = 'wal.conf'" "$dir/postgresql.conf" \
    || echo "include_if_exists = 'wal.conf'" | as_server tee -a "$dir/postgresql.conf" >/dev/null
}

start_cluster() { # name port dbname
  local name=$1 port=$2 db=$3 dir
  dir=$(data_root)/$name
  write_memory_conf "$name" "$dir"
  write_cron_conf "$dir"
  write_wal_conf "$dir"
  if as_server "$pg_bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    echo "pg.sh: $name already running on 127.0.0.1:$port"
  else
    as_server "$pg_bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/startup.log" start >/dev/null \
      || die "$name cluster did not start; see $dir/startup.log and $dir/log/postgresql.log"
    echo "pg.sh: $name started on 127.0.0.1:$port"
  fi
  if ! as_server "$pg_bin/psql" -h "$dir/run" -p "$port" -U postgres -d postgres -tAqc \
      "select 1 from pg_database where datname = '$db'" | grep -q 1; then
    as_server "$pg_bin/createdb" -h "$dir/run" -p "$port" -U postgres "$db"
  fi
}

write_env() {
  local pass="passfile=$pg_dir/pgpass"
  cat >"$pg_dir/env" <<ENV
# Written by scripts/pg.sh up: the embedded clusters. Passwords live in $pg_dir/pgpass, not here.
SOURCE_DSN='postgresql://postgres@127.0.0.1:$source_port/finance_db?$pass'
WAREHOUSE_DSN='postgresql://postgres@127.0.0.1:$warehouse_port/warehouse?$pass'
ELT_REPLICATION_PASSWORD_FILE='$pg_dir/replication_password'
ELT_OWNER_PASSWORD_FILE='$pg_dir/owner_password'
ELT_ANALYST_PASSWORD_FILE='$pg_dir/analyst_password'
ENV
}

# Clusters under /var/tmp whose .pg/ was deleted (a fresh clone at the same path) carry a
# password nobody has any more: stop and remove them before starting afresh.
discard_orphans() {
  local root name
  root=$(data_root)
  [ "$root" = "$pg_dir/data" ] && return 0
  [ -d "$root" ] || return 0
  for name in warehouse source; do
    [ -f "$root/$name/PG_VERSION" ] && as_server "$pg_bin/pg_ctl" -D "$root/$name" -m immediate -w stop >/dev/null 2>&1 || true
  done
  echo "pg.sh: removing orphaned clusters in $root"
  rm -rf "$root"
}

# The warehouse roles cli-app deploy creates (roles/warehouse.sql): elt_owner runs the
# maintenance, elt_analyst every reader. Their passwords are generated once, kept mode 600, and
# found by libpq in pgpass; deploy sets them from the files. Added to an older .pg/ as well.
role_passwords() {
  local role file
  umask 077
  for role in owner analyst; do
    file=$pg_dir/${role}_password
    [ -s "$file" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$file"
    grep -q ":elt_$role:" "$pg_dir/pgpass" \
      || printf '127.0.0.1:%s:*:elt_%s:%s\n' "$warehouse_port" "$role" "$(cat "$file")" >>"$pg_dir/pgpass"
  done
  umask 022
}

up() {
  ensure_pg_cron
  mkdir -p "$pg_dir"
  chmod 755 "$pg_dir"
  if [ ! -f "$pg_dir/pgpass" ]; then
    discard_orphans
    local pw
    pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    umask 077
    printf '127.0.0.1:%s:*:postgres:%s\n127.0.0.1:%s:*:postgres:%s\n' \
      "$source_port" "$pw" "$warehouse_port" "$pw" >"$pg_dir/pgpass"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pg_dir/replication_password"
    umask 022
  fi
  role_passwords
  local root
  root=$(data_root)
  mkdir -p "$root"
  [ "$root" != "$pg_dir/data" ] && ln -sfn "$root" "$pg_dir/data"
  [ "$(id -u)" = 0 ] && chown "$os_user" "$root"
  as_server test -w "$root" || die "the server user '$os_user' cannot write $root"
  init_cluster source "$source_port" finance_db
  init_cluster warehouse "$warehouse_port" warehouse
  start_cluster source "$source_port" finance_db
  start_cluster warehouse "$warehouse_port" warehouse
  write_env
  echo "pg.sh: connection settings in $pg_dir/env"
}

down() {
  [ -e "$pg_dir/data" ] || { echo "pg.sh: no clusters in $pg_dir"; return 0; }
  local root name
  root=$(data_root)
  for name in warehouse source; do # the subscriber first, so its apply worker does not retry a vanished publisher
    if [ -f "$root/$name/PG_VERSION" ] && as_server "$pg_bin/pg_ctl" -D "$root/$name" status >/dev/null 2>&1; then
      as_server "$pg_bin/pg_ctl" -D "$root/$name" -m fast -w stop >/dev/null
      echo "pg.sh: $name stopped"
    fi
  done
}

clean() {
  down
  [ -e "$pg_dir/data" ] && rm -rf "$(data_root)"
  rm -rf "$pg_dir"
  echo "pg.sh: removed $pg_dir"
}

status() {
  local root rc=0 name
  root=$(data_root)
  for name in source warehouse; do
    if [ -f "$root/$name/PG_VERSION" ] && as_server "$pg_bin/pg_ctl" -D "$root/$name" status >/dev/null 2>&1; then
      echo "$name: running"
    else
      echo "$name: stopped"; rc=3
    fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  clean) clean ;;
  status) status ;;
  *) echo "usage: scripts/pg.sh up|down|clean|status" >&2; exit 2 ;;
esac
