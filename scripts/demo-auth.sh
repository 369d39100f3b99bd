#!/usr/bin/env bash
# The demo's login (sourced by scripts/run.sh; checked by
# scripts/test-demo-auth.sh). Any user of the machine can read every
# process's arguments (`ps`), so neither the admin password nor the API
# token is ever one: curl reads the login from standard input (written by
# the shell's builtin printf, which starts no process) and the token's
# header from a file only this user can read.

# json_string VAR TEXT: sets the variable VAR to TEXT as a JSON string,
# quotes included, escaping `"`, `\` and control characters. Builtins only,
# so TEXT never becomes a process argument.
json_string() {
  local text=$2 out='"' c i
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case $c in
      '"') out+='\"' ;;
      '\') out+='\\' ;;
      [[:cntrl:]]) printf -v c '\\u%04x' "'$c"; out+=$c ;;
      *) out+=$c ;;
    esac
  done
  printf -v "$1" '%s"' "$out"
}

# demo_login BIND HEADER_FILE: logs in as admin with $CHROMA_ADMIN_PASSWORD
# (a shell variable; it need not be exported) and writes the header
# "authorization: Bearer TOKEN" to HEADER_FILE (mode 600). Fails if the
# API refuses the login. Then authenticate with: curl -H @HEADER_FILE …
demo_login() {
  local bind=$1 header=$2 token password
  json_string password "$CHROMA_ADMIN_PASSWORD"
  token=$(printf '{"username": "admin", "password": %s}' "$password" \
    | curl -fsS -X POST "http://$bind/api/session" -H 'content-type: application/json' --data-binary @- \
    | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' || true)
  [ -n "$token" ] || return 1
  (umask 077; printf 'authorization: Bearer %s\n' "$token" > "$header")
}
