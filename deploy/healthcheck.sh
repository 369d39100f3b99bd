#!/bin/bash
# Container healthchecks of Chroma's images (installed as
# /usr/local/bin/chroma-healthcheck). docker-compose.yml sets only the
# checks' timings: the ports each service is checked on are written here,
# in auto, once.
#
#   chroma-healthcheck http URL           the URL answers 2xx (the API's /api/health
#                                         answers 503 while the database or broker is down)
#   chroma-healthcheck connected PORT...  the container holds an established TCP
#                                         connection to each remote PORT
#   chroma-healthcheck listening PORT...  something in the container listens on each PORT
#   chroma-healthcheck                    what suits the container's main process
#                                         (/proc/1/comm; the image's HEALTHCHECK)
#
# The scheduler, the workers, the monitor and the plugin host answer
# GET /readyz on their ops endpoint (CHROMA_OPS_BIND, which
# docker-compose.yml sets): 200 once their database and broker answer and
# they consume what they should, 503 naming what fails. Without
# CHROMA_OPS_BIND, `connected` checks the connections they live on
# (RabbitMQ's 5672, PostgreSQL's 5432), reading /proc/net/tcp{,6}, which in
# a container shows only the container's own sockets.
set -u

# Whether /proc/net/tcp{,6} has a socket in state $1 (hex, 01 established,
# 0A listening) whose local ($2 = 2) or remote ($2 = 3) port is $3.
socket() {
  local state=$1 field=$2 port hex file laddr raddr st rest
  printf -v hex '%04X' "$3"
  for file in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$file" ] || continue
    while read -r _ laddr raddr st rest; do
      [ "$st" = "$state" ] || continue
      if [ "$field" = 2 ]; then port=${laddr##*:}; else port=${raddr##*:}; fi
      [ "$port" = "$hex" ] && return 0
    done <"$file"
  done
  return 1
}

# The service's /readyz on its ops port, if CHROMA_OPS_BIND is set; else
# the connection check "$@".
ready_or() {
  if [ -n "${CHROMA_OPS_BIND:-}" ]; then
    exec curl -fsS --max-time 4 -o /dev/null "http://127.0.0.1:$((${CHROMA_OPS_BIND##*:} + ${CHROMA_OPS_PORT_OFFSET:-0}))/readyz"
  fi
  exec "$0" connected "$@"
}

# The check for the service running as PID 1.
auto() {
  local port=${CHROMA_BIND:-127.0.0.1:8080} scheme=http
  port=${port##*:}
  case $(cat /proc/1/comm) in
    chroma-api)
      if [ -n "${CHROMA_TLS_CERT:-}" ]; then scheme=https; fi
      exec curl -fsSk --max-time 4 -o /dev/null "$scheme://127.0.0.1:$port/api/health"
      ;;
    chroma-schedule*) ready_or 5432 5672 ;; # comm is cut at 15 characters
    chroma-worker) ready_or 5672 ;;
    chroma-monitor | chroma-plugins) ready_or 5432 ;;
    lustre-sim) exec "$0" listening 2200 2201 2202 ;; # deploy/lustre-sim/cluster.json
    *) exit 0 ;; # a one-shot such as chroma-api migrate, or a shell
  esac
}

case ${1:-} in
  "") auto ;;
  http)
    exec curl -fsS --max-time 4 -o /dev/null "$2"
    ;;
  connected | listening)
    mode=$1
    shift
    [ $# -gt 0 ] || { echo "chroma-healthcheck $mode: name at least one port" >&2; exit 2; }
    for port in "$@"; do
      if [ "$mode" = connected ]; then
        socket 01 3 "$port" || { echo "no connection to port $port" >&2; exit 1; }
      else
        socket 0A 2 "$port" || { echo "nothing listens on port $port" >&2; exit 1; }
      fi
    done
    ;;
  *)
    echo "usage: chroma-healthcheck http URL | connected PORT... | listening PORT..." >&2
    exit 2
    ;;
esac
