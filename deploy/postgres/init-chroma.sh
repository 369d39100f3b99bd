#!/bin/bash
# Runs once, on an empty database cluster (/docker-entrypoint-initdb.d):
# creates Chroma's role and database. Chroma logs in as this role, which
# owns its database and nothing else; it is not a superuser and cannot
# create roles or databases. CHROMA_DB_PASSWORD comes from the env file;
# psql reads it from its environment (\getenv, psql 15), never from its
# arguments, which any process may read.
set -euo pipefail
: "${CHROMA_DB_PASSWORD:?set CHROMA_DB_PASSWORD in .env}"
export CHROMA_DB_PASSWORD
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv password CHROMA_DB_PASSWORD
CREATE ROLE chroma LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
CREATE DATABASE chroma OWNER chroma;
REVOKE ALL ON DATABASE chroma FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE chroma TO chroma;
SQL
