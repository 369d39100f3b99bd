#!/usr/bin/env bash
# Runs Chroma on this machine: makes sure PostgreSQL and RabbitMQ run,
# builds the release binaries, applies migrations, then starts the API,
# the scheduler and two workers in the foreground. Ctrl-C stops them all
# gracefully (workers finish or hand back their steps).
#
# Settings come from the environment (see README.md, "Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh

cargo build --release --bins
bin=target/release
export RUST_LOG=${RUST_LOG:-info}
bind=${CHROMA_BIND:-127.0.0.1:8080}

"$bin/chroma-api" migrate

pids=()
stop() {
  trap - INT TERM EXIT
  echo "run: stopping Chroma" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

"$bin/chroma-api" & pids+=($!)
"$bin/chroma-scheduler" & pids+=($!)
CHROMA_WORKER_ID=${HOSTNAME:-local}-worker-1 "$bin/chroma-worker" & pids+=($!)
CHROMA_WORKER_ID=${HOSTNAME:-local}-worker-2 "$bin/chroma-worker" & pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://$bind/api/health" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
cat >&2 <<MSG

Chroma is running: API on http://$bind (health: http://$bind/api/health)
Try:
  curl -s -X POST http://$bind/api/command -H 'content-type: application/json' \\
    -d '{"message":"hello","jobs":[{"key":"a","steps":[{"action":"sleep","args":{"ms":500}},{"action":"noop"}],"locks":[{"item":"host/oss1","write":true}]}]}'
  curl -s http://$bind/api/command
Ctrl-C stops everything.

MSG
# Stop everything as soon as any component exits.
wait -n "${pids[@]}"
