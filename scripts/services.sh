#!/usr/bin/env bash
# Make sure the local services Chroma needs for development and tests are
# installed and running on this Debian machine:
#
#   PostgreSQL  127.0.0.1:5432  user postgres, trust auth (Debian cluster
#                               /etc/postgresql/<ver>/main)
#   RabbitMQ    127.0.0.1:5672  guest/guest, vhost "/"   (system node
#                               rabbit@localhost)
#   cargo       the Rust toolchain on PATH (~/.cargo/env)
#
# Idempotent and fast (well under a second) when everything is already up.
# Installs missing packages with apt-get (the first run may take minutes).
#
#   scripts/services.sh            check/install/start, exit non-zero on failure
#   source scripts/services.sh     the same, and also puts cargo on the PATH
#                                  of the calling shell
#   source scripts/services.sh --lib   only defines apt_install (below) for
#                                  the calling script; checks nothing
#
# Environment:
#   SERVICES_TIMEOUT   seconds to wait for each service to accept connections
#                      (default 90)
#
# Authentication: the project assumes PostgreSQL trusts local TCP connections
# (pg_hba.conf: "host all all 127.0.0.1/32 trust"), which is how this machine
# is set up. A stock Debian cluster uses scram-sha-256 for 127.0.0.1 instead;
# this script does NOT rewrite pg_hba.conf -- it reports the problem and
# tells you what to change (or export PGPASSWORD / use DATABASE_URL with a
# password). The application creates its database (DATABASE_URL, default
# .../chroma) itself on start-up (store::connect::ensure_database).

# apt_install PACKAGE...: installs Debian packages with apt-get, running
# apt-get update first, once per run: CHROMA_APT_UPDATED, exported, tells
# the scripts this one starts that the lists are fresh.
apt_install() {
  local sudo=
  if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then sudo=sudo; fi
  echo "apt: installing $*" >&2
  if [[ -z ${CHROMA_APT_UPDATED:-} ]]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    export CHROMA_APT_UPDATED=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

_services_main() {
  set -euo pipefail

  local timeout=${SERVICES_TIMEOUT:-90}
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then sudo="sudo"; fi
  fi

  say()  { echo "services: $*" >&2; }
  # exit, not return: works with or without errexit, executed or sourced
  # (when sourced, this function runs in a subshell)
  fail() { echo "services: ERROR: $*" >&2; exit 1; }

  # TCP connect to 127.0.0.1:$1 succeeds?
  port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

  # RabbitMQ answers the AMQP 0-9-1 header with a Connection.Start frame.
  amqp_ready() {
    timeout 3 bash -c '
      exec 3<>/dev/tcp/127.0.0.1/'"$1"' || exit 1
      printf "AMQP\x00\x00\x09\x01" >&3
      IFS= read -r -d "" -N 1 -t 2 b <&3 || exit 1
      [[ "$b" == $'"'"'\x01'"'"' ]]
    ' 2>/dev/null
  }

  pg_ready() {
    if command -v pg_isready >/dev/null; then
      pg_isready -q -h 127.0.0.1 -p 5432 -t 2
    else
      port_open 5432
    fi
  }

  # wait_for NAME CHECK-CMD...
  wait_for() {
    local name=$1; shift
    local deadline=$((SECONDS + timeout))
    until "$@"; do
      if (( SECONDS >= deadline )); then
        fail "$name did not accept connections within ${timeout}s"
      fi
      sleep 0.2
    done
  }

  # ------------------------------------------------------------ cargo ---
  if ! command -v cargo >/dev/null && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  command -v cargo >/dev/null \
    || fail "cargo not found: install the Rust toolchain (https://rustup.rs: curl -sSf https://sh.rustup.rs | sh -s -- -y) and/or 'source ~/.cargo/env'"

  # ------------------------------------------------------ installation ---
  local pkgs=()
  if ! command -v psql >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
    pkgs+=(postgresql)
  fi
  if ! command -v rabbitmq-server >/dev/null && [[ ! -x /usr/sbin/rabbitmq-server ]]; then
    pkgs+=(rabbitmq-server)
  fi
  if (( ${#pkgs[@]} )); then
    apt_install "${pkgs[@]}" || fail "apt-get install ${pkgs[*]} failed"
  fi
  export PATH="$PATH:/usr/sbin:/sbin"

  # ------------------------------------------------------- PostgreSQL ---
  if ! pg_ready; then
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$ver" && -d "/etc/postgresql/$ver/main" ]] \
      || fail "no PostgreSQL cluster in /etc/postgresql/*/main (try: pg_createcluster <version> main)"
    say "starting PostgreSQL $ver/main..."
    $sudo pg_ctlcluster --skip-systemctl-redirect "$ver" main start \
      || pg_ready \
      || fail "pg_ctlcluster $ver main start failed; see /var/log/postgresql/postgresql-$ver-main.log"
  fi

  # --------------------------------------------------------- RabbitMQ ---
  if ! amqp_ready 5672; then
    if port_open 5672; then
      say "127.0.0.1:5672 is open but RabbitMQ is not answering yet (still booting?), waiting..."
    else
      say "starting RabbitMQ..."
      # The /usr/sbin wrapper switches to the rabbitmq user and logs to
      # /var/log/rabbitmq/startup_{log,err}.
      $sudo rabbitmq-server -detached >/dev/null 2>&1 \
        || fail "rabbitmq-server -detached failed; see /var/log/rabbitmq/"
    fi
  fi

  # --------------------------------------------------------- readiness ---
  wait_for "PostgreSQL (127.0.0.1:5432)" pg_ready
  wait_for "RabbitMQ (127.0.0.1:5672; logs in /var/log/rabbitmq/)" amqp_ready 5672

  local err
  if ! err=$(psql -X -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAqc 'select 1' 2>&1 </dev/null); then
    fail "PostgreSQL is up but 'psql -h 127.0.0.1 -U postgres' does not work:
    $err
  Chroma's dev/test setup expects trust auth for local TCP connections. Either add
    host all all 127.0.0.1/32 trust
  near the top of /etc/postgresql/<ver>/main/pg_hba.conf and run
    pg_ctlcluster <ver> main reload
  or export PGPASSWORD and put the password into DATABASE_URL."
  fi

  say "ok: PostgreSQL 127.0.0.1:5432, RabbitMQ 127.0.0.1:5672, $(cargo --version 2>/dev/null || echo cargo)"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # executed
  set -euo pipefail
  _services_orig_path=$PATH
  _services_main "$@"
  if [[ ":$_services_orig_path:" != *":$HOME/.cargo/bin:"* ]] && [[ -f "$HOME/.cargo/env" ]]; then
    echo "services: note: cargo is not on your shell's PATH; run: source ~/.cargo/env" >&2
  fi
elif [[ ${1:-} == --lib ]]; then
  # sourced for apt_install only
  unset -f _services_main
else
  # sourced: keep the caller's shell options (the work runs in a subshell),
  # then put cargo on the caller's PATH
  ( _services_main "$@" ) && _services_rc=0 || _services_rc=$?
  unset -f _services_main
  if [[ $_services_rc -eq 0 && -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  return "$_services_rc"
fi
