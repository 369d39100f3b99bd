#!/usr/bin/env bash
# Backs up what a Chroma installation cannot rebuild into one tar archive,
# readable by its owner only (mode 0600):
#
#   database.dump        the Chroma database (pg_dump -Fc): users, servers,
#                        file systems, targets, commands, jobs, alerts,
#                        events, metric history
#   ssh/id_ed25519[.pub] Chroma's SSH key pair (CHROMA_SSH_KEY): the key
#                        every managed server trusts
#   config/...           the configuration files and directories given
#                        (default /etc/chroma/chroma.env and
#                        /etc/chroma/plugins.d), under their absolute paths
#   MANIFEST             when, by which Chroma version, the schema's last
#                        applied migration, where the key and files were
#
# RabbitMQ is not backed up: it holds only messages in flight, which the
# scheduler publishes again from the database when it starts.
#
#   scripts/backup.sh [--env-file FILE] [--config PATH]... [--output DIR]
#
# Options:
#   --env-file FILE    where DATABASE_URL and CHROMA_SSH_KEY are read
#                      (default /etc/chroma/chroma.env when it exists);
#                      a variable the file does not set is taken from the
#                      environment
#   --config PATH      a configuration file or directory to include;
#                      repeat for several. Without any, --env-file and
#                      the plugins.d directory beside it (when they exist)
#   --output DIR       where the archive goes (default: the current
#                      directory); it is named chroma-backup-<UTC time>.tar
#   --chroma-api PATH  the chroma-api binary (default $CHROMA_API, else
#                      chroma-api on PATH), for its version and the schema
#
# Needs pg_dump (postgresql-client) of the server's major version or newer.
# The database password is handed to pg_dump in its environment, never on
# a command line, and never printed. The services may keep running (the
# dump is one consistent snapshot); stop them first when the backup is the
# last before an upgrade or a move. Prints the archive's path.
set -euo pipefail
umask 077

say() { echo "backup: $*" >&2; }
fail() { say "$*"; exit 1; }

env_file=
env_file_given=no
configs=()
output=.
chroma_api=${CHROMA_API:-chroma-api}
while [ $# -gt 0 ]; do
  case $1 in
    --env-file) env_file=${2:?--env-file needs a file}; env_file_given=yes; shift 2 ;;
    --config) configs+=("${2:?--config needs a file or directory}"); shift 2 ;;
    --output) output=${2:?--output needs a directory}; shift 2 ;;
    --chroma-api) chroma_api=${2:?--chroma-api needs a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument $1 (see --help)" ;;
  esac
done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/chroma-settings.sh
source "$script_dir/chroma-settings.sh"

if [ "$env_file_given" = no ] && [ -f /etc/chroma/chroma.env ]; then
  env_file=/etc/chroma/chroma.env
fi
load_settings "$env_file"
if [ ${#configs[@]} -eq 0 ] && [ -n "$env_file" ]; then
  configs=("$env_file")
  [ -d "$(dirname "$env_file")/plugins.d" ] && configs+=("$(dirname "$env_file")/plugins.d")
fi
for c in "${configs[@]}"; do
  [ -e "$c" ] || fail "configuration $c does not exist"
  [ -r "$c" ] || fail "configuration $c is not readable (run as root?)"
done
[ -d "$output" ] && [ -w "$output" ] || fail "output directory $output does not exist or is not writable"
command -v pg_dump >/dev/null || fail "pg_dump not found: install postgresql-client"
command -v "$chroma_api" >/dev/null || fail "chroma-api not found (${chroma_api}): give --chroma-api PATH"
[ -f "$SSH_KEY" ] || fail "Chroma's SSH key $SSH_KEY does not exist (CHROMA_SSH_KEY)"
[ -r "$SSH_KEY" ] || fail "Chroma's SSH key $SSH_KEY is not readable (run as root or as the chroma user)"

work=$(mktemp -d "${TMPDIR:-/tmp}/chroma-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ssh" "$work/config"

version=$("$chroma_api" --version) || fail "$chroma_api --version failed"
status=$("$chroma_api" migrate --status) || fail "chroma-api migrate --status failed (is the database at $DB_SHOWN reachable?)"
schema=$(awk '$1 == "applied" { last = $2 } END { print last }' <<<"$status")
[ -n "$schema" ] || fail "the database at $DB_SHOWN has no migration applied: nothing to back up"

say "dumping the database $DB_SHOWN"
pg_dump --format=custom --no-owner --no-privileges --file="$work/database.dump" "$DB_CONNINFO" \
  || fail "pg_dump of $DB_SHOWN failed"

cp -p "$SSH_KEY" "$work/ssh/id_ed25519"
if [ -f "$SSH_KEY.pub" ]; then
  cp -p "$SSH_KEY.pub" "$work/ssh/id_ed25519.pub"
else
  say "warning: no public key $SSH_KEY.pub beside the private key (Chroma makes it again)"
fi

config_list=()
for c in "${configs[@]}"; do
  abs=$(realpath -- "$c")
  mkdir -p "$work/config$(dirname "$abs")"
  cp -a -- "$abs" "$work/config$abs"
  config_list+=("$abs")
done

created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  echo "# Chroma backup (scripts/backup.sh); scripts/restore.sh reads it."
  echo "format=1"
  echo "created=$created"
  echo "chroma_version=${version#chroma-api }"
  echo "schema=$schema"
  echo "database=$DB_SHOWN"
  echo "ssh_key=$SSH_KEY"
  for c in "${config_list[@]}"; do echo "config=$c"; done
} >"$work/MANIFEST"

archive=$output/chroma-backup-$(date -u -d "$created" +%Y%m%dT%H%M%SZ).tar
[ -e "$archive" ] && fail "$archive already exists"
tar -C "$work" -cf "$archive" MANIFEST database.dump ssh config
chmod 0600 "$archive"
say "backed up Chroma ${version#chroma-api } (schema $schema) to $archive"
echo "$archive"
