#!/bin/bash
# Starts PostgreSQL as user postgres; on an empty $PGDATA first creates the
# cluster with superuser $POSTGRES_USER (password $POSTGRES_PASSWORD,
# required) and runs /docker-entrypoint-initdb.d/*.sh against it.
set -euo pipefail
: "${POSTGRES_USER:=postgres}"
export POSTGRES_USER
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres: "$PGDATA" /var/run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # A failed initialisation leaves an empty directory, so that the next
  # start tries again rather than serving a half-made cluster.
  trap 'as_postgres pg_ctl -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true; find "$PGDATA" -mindepth 1 -delete' ERR
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (the password of the superuser)}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  # Other containers reach it over the compose network, with a password
  # (the socket, inside the container only, trusts as the official image does).
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.auto.conf"
  # Init scripts run against a server that listens on its socket only.
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "$script" ] || continue
    echo "postgres-entrypoint: running $script" >&2
    # shellcheck disable=SC1090
    (export PGUSER=$POSTGRES_USER PGHOST=/var/run/postgresql; cd /tmp; as_postgres env PATH="$PATH" bash "$script")
  done
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  trap - ERR
fi
if [ "${1:-}" = postgres ]; then
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi
exec "$@"
