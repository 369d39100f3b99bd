#!/usr/bin/env bash
# Runs Chroma on this machine: makes sure PostgreSQL and RabbitMQ run,
# builds the release binaries, applies migrations, then starts the API,
# the scheduler, two workers and a simulated Lustre cluster (lustre-sim:
# mds1, oss1, oss2 over SSH on 127.0.0.1:2200-2202, accepting Chroma's key)
# in the foreground. Ctrl-C stops them all gracefully (workers finish or
# hand back their steps).
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

# Chroma's SSH key (CHROMA_SSH_KEY), and the demo cluster that trusts it.
key=${CHROMA_SSH_KEY:-$HOME/.local/share/chroma/id_ed25519}
export CHROMA_SSH_KEY=$key
if [ ! -f "$key" ]; then
  command -v ssh-keygen >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-client >/dev/null
  mkdir -p "$(dirname "$key")"
  ssh-keygen -q -t ed25519 -N '' -C chroma -f "$key"
fi
sim_dir=${CHROMA_SIM_DIR:-$PWD/target/demo-cluster}
mkdir -p "$sim_dir"
cp "$key.pub" "$sim_dir/authorized_keys"

pids=()
stop() {
  trap - INT TERM EXIT
  echo "run: stopping Chroma" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

"$bin/lustre-sim" --state-dir "$sim_dir" --hosts mds1,oss1,oss2 --base-port "${CHROMA_SIM_BASE_PORT:-2200}" \
  --authorized-keys "$sim_dir/authorized_keys" > "$sim_dir/hosts.txt" & pids+=($!)
"$bin/chroma-api" & pids+=($!)
"$bin/chroma-scheduler" & pids+=($!)
CHROMA_WORKER_ID=${HOSTNAME:-local}-worker-1 "$bin/chroma-worker" & pids+=($!)
CHROMA_WORKER_ID=${HOSTNAME:-local}-worker-2 "$bin/chroma-worker" & pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://$bind/api/health" >/dev/null 2>&1 && [ "$(wc -l < "$sim_dir/hosts.txt")" -ge 3 ]; then break; fi
  sleep 0.2
done
# Add the demo cluster's hosts (already added ones answer 409).
while read -r name address fingerprint; do
  port=${address##*:}
  curl -s -o /dev/null -X POST "http://$bind/api/host" -H 'content-type: application/json' \
    -d "{\"address\": \"127.0.0.1\", \"port\": $port, \"fingerprint\": \"$fingerprint\"}" || true
done < "$sim_dir/hosts.txt"

# A demo file system on the demo hosts, once they are managed: MGT and MDT
# on mds1, four OSTs on the oss1/oss2 failover pair (skipped if it exists).
demo_filesystem() {
  command -v python3 >/dev/null || { echo "python3 not found: no demo file system" >&2; return; }
  for _ in $(seq 1 150); do
    managed=$(curl -fsS "http://$bind/api/host?state=managed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["meta"]["total_count"])' 2>/dev/null || echo 0)
    [ "$managed" -ge 3 ] && break
    sleep 0.2
  done
  curl -fsS "http://$bind/api/volume" | python3 -c '
import json, sys
volumes = json.load(sys.stdin)["response"]["objects"]
own = [v for v in volumes if [n["host"] for n in v["nodes"]] == ["mds1"]]
shared = [v for v in volumes if sorted(n["host"] for n in v["nodes"]) == ["oss1", "oss2"]]
if len(own) < 2 or len(shared) < 4:
    sys.exit("demo volumes not found")
by_name = {n["host"]: n["host_id"] for v in shared for n in v["nodes"]}
osts = []
for i, v in enumerate(shared[:4]):
    primary, failover = ("oss1", "oss2") if i % 2 == 0 else ("oss2", "oss1")
    osts.append({"volume_id": v["id"], "primary_host_id": by_name[primary], "failover_host_ids": [by_name[failover]]})
print(json.dumps({"name": "demo", "mgt": {"volume_id": own[0]["id"]}, "mdts": [{"volume_id": own[1]["id"]}], "osts": osts}))
' > "$sim_dir/demo-filesystem.json" || return
  curl -s -o /dev/null -X POST "http://$bind/api/filesystem" -H 'content-type: application/json' \
    -d @"$sim_dir/demo-filesystem.json" || true
}
demo_filesystem

cat >&2 <<MSG

Chroma is running: API on http://$bind (health: http://$bind/api/health)
Simulated Lustre servers (name, SSH address, host key), state in $sim_dir:
$(cat "$sim_dir/hosts.txt")
  e.g. ssh -i $key -p 2200 -o StrictHostKeyChecking=no root@127.0.0.1 lctl dl
Try:
  curl -s -X POST http://$bind/api/command -H 'content-type: application/json' \\
    -d '{"message":"hello","jobs":[{"key":"a","steps":[{"action":"sleep","args":{"ms":500}},{"action":"noop"}],"locks":[{"item":"host/oss1","write":true}]}]}'
  curl -s http://$bind/api/command
  curl -s http://$bind/api/host      # the demo hosts, added with their pinned keys
  curl -s http://$bind/api/volume    # their devices; the OSS pair shares four
  curl -s http://$bind/api/filesystem   # the demo file system, created for you
  curl -s http://$bind/api/target       # its MGT, MDT and four OSTs with their states
Ctrl-C stops everything.

MSG
# Stop everything as soon as any component exits.
wait -n "${pids[@]}"
