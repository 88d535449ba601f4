#!/bin/bash
# The MySQL image's entrypoint, for MariaDB: on an empty data directory it creates the system
# tables, sets the root password (MYSQL_ROOT_PASSWORD, for root@localhost and root@'%'), runs
# /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh in name order on a server without
# networking, stops that server and then starts the real one. Arguments that start with "-" are
# server options.
set -euo pipefail
log() { printf '%s [entrypoint] %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

if [ "${1:0:1}" = "-" ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi
shift

datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
chown -R mysql:mysql "$datadir" /run/mysqld

if [ ! -d "$datadir/mysql" ]; then
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ]; then
    log "error: the data directory is new and MYSQL_ROOT_PASSWORD is not set"
    exit 1
  fi
  log "initialising $datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket="$socket" "$@" &
  pid=$!
  for _ in $(seq 1 300); do
    mariadb --protocol=socket --socket="$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { log "error: the server for the init scripts exited"; exit 1; }
    sleep 0.1
  done
  root=(mariadb --protocol=socket --socket="$socket" -uroot)
  pw=${MYSQL_ROOT_PASSWORD//\'/\'\'}
  "${root[@]}" <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  root+=(-p"$MYSQL_ROOT_PASSWORD")
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sql) log "running $f"; "${root[@]}" <"$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${root[@]}" ;;
      *.sh) log "running $f"; source "$f" ;;
      *) if [ -e "$f" ]; then log "ignoring $f"; fi ;;
    esac
  done
  mariadb-admin --socket="$socket" -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$pid" || true
  log "init done; starting the server"
fi

exec mariadbd --user=mysql --datadir="$datadir" --socket="$socket" "$@"
