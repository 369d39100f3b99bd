# Sourced by scripts/backup.sh and scripts/restore.sh (bash): reads the
# settings they need from an env file (/etc/chroma/chroma.env, compose's
# .env syntax: one VARIABLE=value a line) without running it as shell
# code, and splits the database URL so that its password reaches libpq in
# PGPASSWORD, never on a command line or in a message. Needs fail().

# setting FILE NAME: the last value FILE gives NAME, quotes removed; empty
# when it gives none.
setting() {
  local file=$1 name=$2 line value=
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line#export }
    case $line in
      "$name="*) value=${line#"$name="} ;;
    esac
  done <"$file"
  value=${value%$'\r'}
  case $value in
    \"*\") value=${value:1:${#value}-2} ;;
    \'*\') value=${value:1:${#value}-2} ;;
  esac
  printf '%s' "$value"
}

# pct_decode TEXT: TEXT with its %XX escapes decoded (a URL's parts).
pct_decode() {
  local s=${1//\\/\\\\}
  printf '%b' "${s//%/\\x}"
}

# load_settings [ENV_FILE]: sets and exports DATABASE_URL (for chroma-api)
# and PGPASSWORD, and sets DB_CONNINFO (the URL without its password),
# DB_MAINT_CONNINFO (the same server's database postgres), DB_NAME,
# DB_SHOWN (user@host:port/name, for messages) and SSH_KEY. A variable the
# file does not set is taken from the environment.
load_settings() {
  local file=${1:-} url key
  url=${DATABASE_URL:-}
  key=${CHROMA_SSH_KEY:-}
  if [ -n "$file" ]; then
    [ -f "$file" ] || fail "env file $file does not exist"
    [ -r "$file" ] || fail "env file $file is not readable (run as root?)"
    local from_file
    from_file=$(setting "$file" DATABASE_URL)
    [ -n "$from_file" ] && url=$from_file
    from_file=$(setting "$file" CHROMA_SSH_KEY)
    [ -n "$from_file" ] && key=$from_file
  fi
  [ -n "$url" ] || fail "DATABASE_URL is set neither in ${file:-the environment (give --env-file)} nor in the environment"
  case $url in
    postgres://*|postgresql://*) ;;
    *) fail "DATABASE_URL${file:+ in $file} is not a postgres:// URL" ;;
  esac
  local rest=${url#*://} query= authority path= userinfo= hostport user password=
  if [[ $rest == *\?* ]]; then query=?${rest#*\?}; rest=${rest%%\?*}; fi
  authority=${rest%%/*}
  [[ $rest == */* ]] && path=${rest#*/}
  hostport=$authority
  if [[ $authority == *@* ]]; then userinfo=${authority%@*}; hostport=${authority##*@}; fi
  user=${userinfo%%:*}
  [[ $userinfo == *:* ]] && password=${userinfo#*:}
  [ -n "$path" ] || fail "DATABASE_URL${file:+ in $file} names no database"
  DB_NAME=$(pct_decode "$path")
  DB_CONNINFO="postgresql://${user:+$user@}$hostport/$path$query"
  DB_MAINT_CONNINFO="postgresql://${user:+$user@}$hostport/postgres$query"
  DB_SHOWN="${user:+$(pct_decode "$user")@}$hostport/$DB_NAME"
  if [ -n "$password" ]; then
    PGPASSWORD=$(pct_decode "$password")
    export PGPASSWORD
  fi
  export DATABASE_URL=$url
  SSH_KEY=${key:-${HOME:-/root}/.local/share/chroma/id_ed25519}
}
