#!/bin/bash
# docker-entrypoint.sh of the PostgreSQL 15 stand-in (Debian's packages): the part of the official postgres image's
# entrypoint docker-compose.yml relies on. On an empty data folder: initdb with POSTGRES_USER and POSTGRES_PASSWORD
# (POSTGRES_INITDB_ARGS added), POSTGRES_DB created, each /docker-entrypoint-initdb.d/*.sh run against a server that
# listens on its socket only. Then the server, on every address, a password on every connection.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  password_file=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" > "$password_file"
  # shellcheck disable=SC2086 # the official image splits POSTGRES_INITDB_ARGS too
  "$BIN/initdb" -D "$PGDATA" -U "${POSTGRES_USER:?set POSTGRES_USER}" --pwfile="$password_file" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$password_file"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start
  export PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD PGHOST=/var/run/postgresql
  if [[ ${POSTGRES_DB:-postgres} != postgres ]]; then
    psql -v ON_ERROR_STOP=1 -d postgres -c "create database \"$POSTGRES_DB\""
  fi
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [[ -e $script ]] && bash "$script"
  done
  unset PGUSER PGPASSWORD PGHOST
  "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop
fi

exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql
