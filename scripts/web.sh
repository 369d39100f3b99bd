#!/usr/bin/env bash
# Builds the web console: web/ (TypeScript, React, Vite) into web/dist,
# which chroma-api serves at / (CHROMA_WEB_DIR). Installs Node.js and npm
# with apt-get if missing, and the console's packages from the npm
# registry, exactly as web/package-lock.json pins them, when that file is
# newer than what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  echo "web: installing Node.js and npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "web: Node.js $(node --version) is too old; building the console (Vite) needs Node.js 20 or newer" >&2
  exit 1
fi
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "web: installing the console's packages (npm ci)" >&2
  npm --prefix web ci --no-audit --no-fund --loglevel=error
fi
echo "web: building the console" >&2
npm --prefix web run --silent build >/dev/null
