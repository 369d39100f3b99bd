#!/usr/bin/env bash
# Regenerates the console's API types, web/src/api/schema.ts, from the
# OpenAPI document the API serves (GET /api/openapi.json), with
# openapi-typescript as web/package.json pins it. Run it after changing a
# handler's request or response shape, and commit the result;
# tests/tests/web_types.rs fails while the file is stale. It needs no
# running service: the document is built in-process.
#
# openapi-typescript 7 drives the TypeScript compiler API, which
# TypeScript 7 no longer ships, so web/package.json keeps TypeScript 6
# under the name `typescript` for it alone and the console is checked
# by TypeScript 7 (`@typescript/native`, whose `tsc` is the one on the
# build's PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

# The console's packages, as scripts/web.sh installs them.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "web-types: installing the console's packages (npm ci)" >&2
  npm --prefix web ci --no-audit --no-fund --loglevel=error
fi
echo "web-types: generating web/src/api/schema.ts" >&2
UPDATE_WEB_TYPES=1 CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0} \
  cargo test --quiet -p integration-tests --test web_types
