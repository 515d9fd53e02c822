#!/bin/sh
# Run once by the postgres image on an empty data directory (official image: /docker-entrypoint-initdb.d):
# one database per service of this pilot, named in POSTGRES_DATABASES, owned by POSTGRES_USER.
set -eu
for db in ${POSTGRES_DATABASES:-}; do
  exists=$(psql -v ON_ERROR_STOP=1 -tA --username "$POSTGRES_USER" --dbname postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" != "1" ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
      -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
  fi
done
