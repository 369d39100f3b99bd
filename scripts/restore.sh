#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh: the database, Chroma's SSH
# key pair and the configuration files, then applies the migrations this
# Chroma has and the backup's schema lacks (`chroma-api migrate`).
#
#   scripts/restore.sh [--env-file FILE] [--replace] [--force] [--no-config] ARCHIVE
#
# Stop Chroma's services first (systemctl stop chroma.target). Before it
# changes anything, it checks that:
#   - the database DATABASE_URL names is empty or missing (it is created,
#     as chroma-api would, when the role may), or --replace is given;
#   - no other session is connected to it (a running service), unless
#     --force is given;
#   - this chroma-api knows the backup's schema (a backup of a newer
#     Chroma needs that version or newer installed first).
# The database is then replaced in one transaction (its public schema is
# dropped and the dump restored): a failure leaves it as it was. A key or
# configuration file that differs from the backup's is kept beside it as
# NAME.before-restore-<UTC time>.
#
# Options:
#   --env-file FILE    where DATABASE_URL and CHROMA_SSH_KEY are read
#                      (default /etc/chroma/chroma.env when it exists);
#                      a variable the file does not set is taken from the
#                      environment. The key goes to CHROMA_SSH_KEY, or
#                      where the backup found it when that is unset
#   --replace          replace a database that holds data
#   --force            go on while other sessions are connected to it
#   --no-config        keep this machine's configuration files
#   --chroma-api PATH  the chroma-api binary (default $CHROMA_API, else
#                      chroma-api on PATH)
#
# Needs pg_restore and psql (postgresql-client). Run it as root (or the
# user the services run as) so the key lands with the right owner: as
# root, the key is given to the owner of its directory.
set -euo pipefail
umask 077

say() { echo "restore: $*" >&2; }
fail() { say "$*"; exit 1; }

env_file=
env_file_given=no
replace=no
force=no
config=yes
archive=
chroma_api=${CHROMA_API:-chroma-api}
while [ $# -gt 0 ]; do
  case $1 in
    --env-file) env_file=${2:?--env-file needs a file}; env_file_given=yes; shift 2 ;;
    --replace) replace=yes; shift ;;
    --force) force=yes; shift ;;
    --no-config) config=no; shift ;;
    --chroma-api) chroma_api=${2:?--chroma-api needs a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) [ -z "$archive" ] || fail "one archive only ($archive and $1 given)"; archive=$1; shift ;;
  esac
done
[ -n "$archive" ] || fail "which backup? give the archive scripts/backup.sh made (see --help)"
[ -f "$archive" ] && [ -r "$archive" ] || fail "backup $archive does not exist or is not readable"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/chroma-settings.sh
source "$script_dir/chroma-settings.sh"

for tool in pg_restore psql; do
  command -v "$tool" >/dev/null || fail "$tool not found: install postgresql-client"
done
command -v "$chroma_api" >/dev/null || fail "chroma-api not found (${chroma_api}): give --chroma-api PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/chroma-restore.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf "$archive" || fail "$archive is not a tar archive"
[ -f "$work/MANIFEST" ] && [ -f "$work/database.dump" ] \
  || fail "$archive is not a Chroma backup (no MANIFEST or database.dump)"
manifest() { awk -F= -v k="$1" '$1 == k { sub(/^[^=]*=/, ""); print }' "$work/MANIFEST"; }
[ "$(manifest format)" = 1 ] || fail "$archive has a backup format this script does not know ($(manifest format))"
schema=$(manifest schema)
[ -n "$schema" ] || fail "$archive's MANIFEST names no schema"

if [ "$env_file_given" = no ] && [ -f /etc/chroma/chroma.env ]; then
  env_file=/etc/chroma/chroma.env
fi
# The key goes where the settings put it, else where the backup found it.
key=
[ -n "$env_file" ] && [ -f "$env_file" ] && key=$(setting "$env_file" CHROMA_SSH_KEY)
key=${key:-${CHROMA_SSH_KEY:-$(manifest ssh_key)}}
load_settings "$env_file"

# ---------------------------------------------- checks: nothing changes
# sql QUERY: one value from the database (psql's errors on stderr).
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$DB_CONNINFO" -c "$1"; }

exists=yes
if ! probe=$(sql 'select 1' 2>&1); then
  case $probe in
    *"database \"$DB_NAME\" does not exist"*) exists=no ;;
    *) fail "cannot reach the database $DB_SHOWN: $probe" ;;
  esac
fi
if [ "$exists" = yes ]; then
  relations=$(sql "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
      and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')")
  if [ "$relations" != 0 ] && [ "$replace" = no ]; then
    fail "the database $DB_SHOWN is not empty ($relations tables and other relations): give --replace to replace it with the backup. Nothing was changed."
  fi
  sessions=$(sql "select coalesce(string_agg(coalesce(nullif(application_name, ''), 'a session')
      || coalesce(' from ' || host(client_addr), ''), ', '), '')
    from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
  if [ -n "$sessions" ] && [ "$force" = no ]; then
    fail "others are connected to the database $DB_SHOWN ($sessions): stop Chroma's services first (systemctl stop chroma.target), or give --force. Nothing was changed."
  fi
fi

# What this chroma-api knows; on a missing database, chroma-api creates it.
if ! status=$("$chroma_api" migrate --status 2>"$work/status.err"); then
  fail "chroma-api migrate --status failed on $DB_SHOWN: $(tail -n 3 "$work/status.err")$([ "$exists" = no ] \
    && echo " (to create the database as PostgreSQL's superuser: createdb -O <chroma's role> $DB_NAME)"). Nothing was restored."
fi
newest=$(awk '$1 == "applied" || $1 == "pending" { last = $2 } END { print last }' <<<"$status")
if ! awk -v s="$schema" '$2 == s { found = 1 } END { exit !found }' <<<"$status"; then
  fail "the backup's schema $schema (Chroma $(manifest chroma_version)) is unknown to this chroma-api (its newest: $newest): install that Chroma version or a newer one first. Nothing was restored."
fi

# -------------------------------------------------------------- restore
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# keep_aside PATH: moves PATH away when it exists (NAME.before-restore-…).
keep_aside() {
  if [ -e "$1" ]; then
    mv -- "$1" "$1.before-restore-$stamp"
    say "kept the previous $1 as $1.before-restore-$stamp"
  fi
}

say "restoring the database $DB_SHOWN (schema $schema)"
pg_restore --no-owner --no-privileges --file="$work/restore.sql" "$work/database.dump" \
  || fail "pg_restore could not read the dump in $archive"
{
  echo "set client_min_messages = warning;"
  echo "drop schema if exists public cascade;"
  echo "create schema public;"
} >"$work/clean.sql"
psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$DB_CONNINFO" \
  -f "$work/clean.sql" -f "$work/restore.sql" >/dev/null \
  || fail "restoring the database $DB_SHOWN failed; it was left as it was"

if ! cmp -s "$work/ssh/id_ed25519" "$key" 2>/dev/null; then
  keep_aside "$key"
  [ -e "$key.pub" ] && keep_aside "$key.pub"
  mkdir -p -- "$(dirname "$key")"
  install -m 0600 "$work/ssh/id_ed25519" "$key"
  [ -f "$work/ssh/id_ed25519.pub" ] && install -m 0644 "$work/ssh/id_ed25519.pub" "$key.pub"
  if [ "$(id -u)" = 0 ]; then
    owner=$(stat -c %u:%g "$(dirname "$key")")
    chown "$owner" "$key"
    [ -e "$key.pub" ] && chown "$owner" "$key.pub"
  fi
  say "restored Chroma's SSH key to $key"
elif [ -f "$work/ssh/id_ed25519.pub" ] && [ ! -e "$key.pub" ]; then
  install -m 0644 "$work/ssh/id_ed25519.pub" "$key.pub"
fi

if [ "$config" = yes ]; then
  while IFS= read -r path; do
    [ -n "$path" ] || continue
    saved=$work/config$path
    [ -e "$saved" ] || fail "$archive lists $path but does not hold it"
    if [ -e "$path" ] && diff -r -q -- "$saved" "$path" >/dev/null 2>&1; then
      continue
    fi
    keep_aside "$path"
    mkdir -p -- "$(dirname "$path")"
    cp -a -- "$saved" "$path"
    say "restored $path"
  done < <(manifest config)
  if [ -n "$env_file" ] && [ -f "$env_file" ] && [ "$(setting "$env_file" DATABASE_URL)" != "$DATABASE_URL" ]; then
    say "warning: $env_file now names another DATABASE_URL than the database restored into: check it before starting Chroma"
  fi
fi

if [ "$schema" != "$newest" ]; then
  say "upgrading the schema from $schema to $newest (chroma-api migrate)"
  "$chroma_api" migrate || fail "chroma-api migrate failed after the restore: see its message above"
fi
say "restored $archive (Chroma $(manifest chroma_version), made $(manifest created)); start Chroma's services"
