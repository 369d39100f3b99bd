#!/usr/bin/env bash
# Runs the whole test suite against real services: makes sure PostgreSQL
# and RabbitMQ run, checks formatting, lints, the compose file, builds the
# binaries the end-to-end tests start as child processes, then runs every
# test. TEST_LOG=1 shows in-process logs; child logs go to target/test-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh

step() { echo "test: $*" >&2; }

# A link that dies of SIGBUS ("ld terminated with signal 7") is most often
# a full disk under target/: say how much room there is from the start.
step "free space under $PWD: $(df -h --output=avail . | tail -1 | tr -d ' '), memory: $(free -h | awk '/^Mem:/ {print $7}') available"

if ! command -v docker-compose >/dev/null; then
  step "installing docker-compose (to check docker-compose.yml)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null
fi
if [ ! -x /usr/sbin/sshd ]; then
  step "installing openssh-server (the SSH client is tested against a real sshd)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server >/dev/null
fi
if [ ! -x /usr/sbin/pacemakerd ]; then
  step "installing pacemaker and corosync (the HA lab, tests/tests/pacemaker_lab.rs)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pacemaker corosync pacemaker-cli-utils >/dev/null
fi
if [ ! -x /usr/lib/ocf/resource.d/heartbeat/ZFS ]; then
  step "installing resource-agents (the HA lab's ocf:heartbeat:ZFS, tests/tests/ha_real.rs)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q resource-agents >/dev/null
fi
# The OpenAPI fuzz (tests/tests/openapi.rs) runs schemathesis, pinned, from
# a virtualenv of its own; the test finds it through SCHEMATHESIS.
SCHEMATHESIS_VERSION=4.32.5
if ! target/venv/bin/schemathesis --version 2>/dev/null | grep -qF "version $SCHEMATHESIS_VERSION"; then
  step "installing schemathesis $SCHEMATHESIS_VERSION (the OpenAPI fuzz)"
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv >/dev/null
  fi
  python3 -m venv target/venv
  target/venv/bin/pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
export SCHEMATHESIS="$PWD/target/venv/bin/schemathesis"
# The alert delivery test (tests/tests/alert_delivery.rs) runs an SMTP
# server with STARTTLS and AUTH: aiosmtpd, pinned, in the same virtualenv.
AIOSMTPD_VERSION=1.4.6
if ! target/venv/bin/python3 -c "import sys, aiosmtpd; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
  step "installing aiosmtpd $AIOSMTPD_VERSION (the alert delivery test)"
  target/venv/bin/pip install -q --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
fi
# The console's browser tests (tests/tests/console.rs) drive Debian's
# Chromium with playwright-core (from web/package-lock.json).
if ! command -v chromium >/dev/null; then
  step "installing chromium (the console's browser tests)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
export CHROMIUM=${CHROMIUM:-$(command -v chromium)}
step "building the web console"
scripts/web.sh
# One build from scratch: incremental state would only take disk space
# (several GiB across the workspace's test binaries).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

step "docker-compose config"
# The check needs the required secrets (.env.example); any values will do.
POSTGRES_PASSWORD=check CHROMA_DB_PASSWORD=check RABBITMQ_PASSWORD=check CHROMA_ADMIN_PASSWORD=check \
  docker-compose -f docker-compose.yml -f deploy/compose.lustre-sim.yml config -q

step "the demo's secrets stay out of process arguments"
scripts/test-demo-auth.sh

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo build --bins"
cargo build --workspace --bins --quiet
step "Debian packages: build, install into a clean root, start the services"
scripts/test-deb.sh
step "containers: images without a registry, the compose stack under podman (3 workers, one killed)"
scripts/test-compose.sh
step "cargo test"
cargo test --workspace --quiet -- --test-threads="${TEST_THREADS:-2}"
step "all passed"
