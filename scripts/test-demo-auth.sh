#!/usr/bin/env bash
# Checks that the demo's login (scripts/demo-auth.sh, used by
# scripts/run.sh) never passes the admin password or the API token as a
# process argument, where `ps` shows it to every user: a stand-in curl
# records the arguments of every call, and what it was sent. The login
# body must be JSON holding the password exactly, whatever it contains.
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
  case \$arg in @-) cat > "$dir/body" ;; @*) cat "\${arg#@}" >> "$dir/sent" ;; esac
done
printf '{"response": {"token":"$token","user":{}}}'
SH
chmod +x "$dir/bin/curl"

fail() { echo "test-demo-auth: $*" >&2; exit 1; }

# A plain password, and one with every character JSON must escape.
for CHROMA_ADMIN_PASSWORD in the-demo-admin-password $'a "quoted" back\\slash\ttab\nnewline %s'; do
  rm -f "$dir/arguments" "$dir/body" "$dir/sent" "$dir/header"
  PATH="$dir/bin:$PATH" demo_login 127.0.0.1:8080 "$dir/header"
  PATH="$dir/bin:$PATH" curl -fsS -H @"$dir/header" http://127.0.0.1:8080/api/host >/dev/null

  if grep -F -e "$CHROMA_ADMIN_PASSWORD" -e "$token" "$dir/arguments"; then
    fail "a secret is in curl's arguments (above)"
  fi
  # The login body is JSON holding exactly the password.
  sent_password=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["password"], end="")' < "$dir/body") \
    || fail "the login body is not JSON: $(cat "$dir/body")"
  [ "$sent_password" = "$CHROMA_ADMIN_PASSWORD" ] || fail "the password sent differs: $sent_password"
  grep -qF "$token" "$dir/sent" || fail "the token was not sent"
  [ "$(stat -c %a "$dir/header")" = 600 ] || fail "the token's file is readable by others"
done
echo "test-demo-auth: the password and the token stay out of process arguments; any password logs in"
