#!/usr/bin/env bash
# Checks that the demo's login (scripts/demo-auth.sh, used by
# scripts/run.sh) never passes the admin password or the API token as a
# process argument, where `ps` shows it to every user: a stand-in curl
# records the arguments of every call, and what it was sent.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/demo-auth.sh
source scripts/demo-auth.sh

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin"
token=0123456789abcdef0123456789abcdef
cat > "$dir/bin/curl" <<SH
#!/bin/sh
printf '%s\n' "\$*" >> "$dir/arguments"
for arg in "\$@"; do
  case \$arg in @-) cat >> "$dir/sent" ;; @*) cat "\${arg#@}" >> "$dir/sent" ;; esac
done
printf '{"response": {"token":"$token","user":{}}}'
SH
chmod +x "$dir/bin/curl"

CHROMA_ADMIN_PASSWORD=the-demo-admin-password
PATH="$dir/bin:$PATH" demo_login 127.0.0.1:8080 "$dir/header"
PATH="$dir/bin:$PATH" curl -fsS -H @"$dir/header" http://127.0.0.1:8080/api/host >/dev/null

fail() { echo "test-demo-auth: $*" >&2; exit 1; }
if grep -F -e "$CHROMA_ADMIN_PASSWORD" -e "$token" "$dir/arguments"; then
  fail "a secret is in curl's arguments (above)"
fi
grep -qF "$CHROMA_ADMIN_PASSWORD" "$dir/sent" || fail "the password was not sent"
grep -qF "$token" "$dir/sent" || fail "the token was not sent"
[ "$(stat -c %a "$dir/header")" = 600 ] || fail "the token's file is readable by others"
echo "test-demo-auth: the password and the token stay out of process arguments"
