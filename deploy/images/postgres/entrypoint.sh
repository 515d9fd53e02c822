#!/bin/bash
# localhost/ess-postgres entrypoint, compatible with the official image's variables:
#   POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE)  required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER (default postgres), POSTGRES_DB (default: the user), and the same with _FILE
#   POSTGRES_DATABASES  space-separated extra databases, owned by POSTGRES_USER (created on first start)
#   POSTGRES_HOST_AUTH_METHOD  remote hosts' auth (default scram-sha-256); local socket is trust
#   /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz  run once on first start, after the databases exist
# The data directory is $PGDATA (/var/lib/postgresql/data, a volume). The server listens on 5432 on all
# interfaces and logs "database system is ready to accept connections" once it does (the temporary server
# used for the first start logs to a file instead, so the line means ready).
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
shift
export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" postgres "$@"
fi

file_env() {  # VAR from $VAR, else the contents of $VAR_FILE, else the default
  local var=$1 file_var="${1}_FILE" default=${2:-} value
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "ess-postgres: both $var and $file_var are set" >&2
    exit 1
  fi
  value=$default
  if [ -n "${!var:-}" ]; then
    value=${!var}
  elif [ -n "${!file_var:-}" ]; then
    value=$(<"${!file_var}")
  fi
  export "$var"="$value"
  unset "$file_var"
}

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
socket=/var/run/postgresql

init_cluster() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
    echo "ess-postgres: POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is required for a new database" >&2
    exit 1
  fi
  local pwfile=() secret=/tmp/ess-postgres-password  # a file, not <(...): /dev/fd may be absent
  if [ -n "$POSTGRES_PASSWORD" ]; then
    (umask 077 && printf '%s\n' "$POSTGRES_PASSWORD" >"$secret")
    pwfile=(--pwfile="$secret")
  fi
  initdb --username="$POSTGRES_USER" "${pwfile[@]}" --auth-local=trust --auth-host="$auth" \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  rm -f "$secret"
  printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  local log=/tmp/ess-postgres-init.log
  if ! pg_ctl -D "$PGDATA" -l "$log" -w -o "-c listen_addresses='' -c unix_socket_directories=$socket" start \
    >/dev/null; then
    cat "$log" >&2
    exit 1
  fi
  local psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc -q --username "$POSTGRES_USER" --host "$socket")
  local db
  for db in $POSTGRES_DB ${POSTGRES_DATABASES:-}; do
    if [ -z "$("${psql[@]}" --dbname postgres -tA -v db="$db" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
      "${psql[@]}" --dbname postgres -v db="$db" -v owner="$POSTGRES_USER" <<<'CREATE DATABASE :"db" OWNER :"owner"'
      echo "ess-postgres: created database $db"
    fi
  done
  local f
  shopt -s nullglob
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)  # as the official image: executed when executable, else sourced
        echo "ess-postgres: running $f"
        if [ -x "$f" ]; then "$f"; else . "$f"; fi
        ;;
      *.sql) echo "ess-postgres: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "ess-postgres: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) echo "ess-postgres: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "ess-postgres: init process complete; starting the server"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  init_cluster
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories="$socket" "$@"
