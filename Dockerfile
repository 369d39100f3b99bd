# Builds the Chroma binaries (chroma-api, chroma-scheduler, chroma-worker,
# chroma-monitor, chroma-plugins and the linux storage plugin) and the web
# console into one small runtime image. See
# docker-compose.yml.

FROM node:22-bookworm-slim AS console
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM rust:1 AS builder
WORKDIR /src
# Everything not excluded by .dockerignore (workspace sources + Cargo.lock).
COPY . .
RUN cargo build --release --locked \
        --bin chroma-api --bin chroma-scheduler --bin chroma-worker --bin chroma-monitor \
        --bin chroma-plugins --bin chroma-plugin-linux \
    && mkdir -p /out \
    && cp target/release/chroma-api target/release/chroma-scheduler \
          target/release/chroma-worker target/release/chroma-monitor \
          target/release/chroma-plugins target/release/chroma-plugin-linux /out/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin chroma \
    && mkdir -p /var/lib/chroma && chown chroma /var/lib/chroma
COPY --from=builder /out/chroma-api /out/chroma-scheduler /out/chroma-worker /out/chroma-monitor \
     /out/chroma-plugins /out/chroma-plugin-linux /usr/local/bin/
COPY --from=console /web/dist /usr/share/chroma/web
USER chroma
# Chroma's SSH key lives on a volume so every worker uses the same one.
ENV RUST_LOG=info \
    CHROMA_BIND=0.0.0.0:8080 \
    CHROMA_SSH_KEY=/var/lib/chroma/id_ed25519 \
    CHROMA_WEB_DIR=/usr/share/chroma/web \
    CHROMA_PLUGIN_DIR=/etc/chroma/plugins.d
EXPOSE 8080
CMD ["chroma-api"]
