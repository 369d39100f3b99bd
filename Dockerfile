# Chroma's images: the runtime (chroma-api, chroma-scheduler, chroma-worker,
# chroma-monitor, chroma-plugins, the linux storage plugin and the web
# console) and, as target `lustre-sim`, the simulated Lustre cluster the
# compose test runs against. See docker-compose.yml and README.md, "Deploy".
#
# Where a registry is reachable this builds everything from source:
#
#   docker build -t chroma .                          # the runtime
#   docker build --target lustre-sim -t lustre-sim .
#
# Builder and runtime are both Debian bookworm (glibc 2.36), so binaries
# linking aws-lc or anything else against glibc run where they were built.
# Without a registry, scripts/images.sh builds the same runtime and
# lustre-sim stages from a debootstrapped base (BASE_IMAGE) and a local
# cargo build (BINARIES and CONSOLE name an image holding /out and
# /web/dist); the builder and console stages are then skipped.
ARG BASE_IMAGE=debian:bookworm-slim
ARG RUST_IMAGE=rust:1-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim
ARG BINARIES=builder
ARG CONSOLE=console

FROM ${NODE_IMAGE} AS console
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
# Everything not excluded by .dockerignore (workspace sources + Cargo.lock).
COPY . .
# The registry, git checkouts and target/ are cache mounts: a rebuild after
# a source change recompiles the workspace's crates, not its dependencies.
# The binaries are those packaging/binaries lists for an image.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    bins=$(awk '!/^#/ && NF && $3 != "-" { print $1 }' packaging/binaries) \
    && cargo build --release --locked $(echo "$bins" | sed 's/^/--bin /') \
    && mkdir -p /out \
    && for bin in $bins; do cp "target/release/$bin" /out/; done

# Named stages for the two sources above, so COPY --from can follow the
# build arguments.
FROM ${BINARIES} AS binaries
FROM ${CONSOLE} AS console-files

# The simulated cluster: three servers (deploy/lustre-sim/cluster.json) on
# ports 2200-2202, trusting Chroma's key from the shared chroma-ssh volume.
FROM ${BASE_IMAGE} AS lustre-sim
COPY --from=binaries /out/lustre-sim /usr/bin/
COPY deploy/healthcheck.sh /usr/local/bin/chroma-healthcheck
COPY deploy/lustre-sim/cluster.json /etc/lustre-sim/cluster.json
EXPOSE 2200 2201 2202
# Its three ports (deploy/healthcheck.sh).
HEALTHCHECK --interval=5s --timeout=3s --retries=10 CMD ["chroma-healthcheck"]
CMD ["lustre-sim", "--state-dir", "/var/lib/lustre-sim", "--config", "/etc/lustre-sim/cluster.json", \
     "--bind", "0.0.0.0", "--base-port", "2200", "--authorized-keys", "/var/lib/chroma/id_ed25519.pub"]

FROM ${BASE_IMAGE} AS runtime
# curl answers the API's healthcheck (deploy/healthcheck.sh).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin chroma \
    && mkdir -p /var/lib/chroma && chown chroma: /var/lib/chroma && chmod 0700 /var/lib/chroma
# Every chroma-* binary of /out: the runtime's in packaging/binaries (a
# COPY cannot read that list, so it takes them by name pattern). /usr/bin,
# as the packages install them, so the image uses the packages' plugin
# manifest (packaging/etc/plugins.d) as it is.
COPY --from=binaries /out/chroma-* /usr/bin/
COPY --from=console-files /web/dist /usr/share/chroma/web
# The storage plugins the image ships (docs/plugins.md), the packages'
# manifests; add your own by mounting a directory of manifests over
# /etc/chroma/plugins.d.
COPY packaging/etc/plugins.d/ /etc/chroma/plugins.d/
COPY deploy/healthcheck.sh /usr/local/bin/chroma-healthcheck
USER chroma
# Chroma's SSH key lives on a volume so the API, the workers, the monitor
# and the plugins all use the same one.
ENV RUST_LOG=info \
    CHROMA_BIND=0.0.0.0:8080 \
    CHROMA_SSH_KEY=/var/lib/chroma/id_ed25519 \
    CHROMA_WEB_DIR=/usr/share/chroma/web \
    CHROMA_PLUGIN_DIR=/etc/chroma/plugins.d
EXPOSE 8080
# The check suits the binary the container runs (deploy/healthcheck.sh).
# The timings are docker-compose.yml's (x-health): the same whether an
# engine takes a service's timings without its test or not. The start
# period forgives a slow first start (the API hashes the first admin's
# password, slow in a debug build).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 CMD ["chroma-healthcheck"]
CMD ["chroma-api"]
