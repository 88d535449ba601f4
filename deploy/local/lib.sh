# Shared by deploy/local/{up,down,status} and tests/run. Sourced, not executed.
# Settings (environment): SAGA_RUN_DIR (default <repo>/.run), SAGA_PORT_OFFSET (added to every
# port, default 0), KAFKA_PARTITIONS (default 4 on this stack, see below), LOG_LEVEL (default info),
# SAGA_DB_DURABILITY (durable, the default, or relaxed: a labelled benchmark mode, see
# docs/adr/0011).

SAGA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SAGA_RUN_DIR=${SAGA_RUN_DIR:-$SAGA_ROOT/.run}
SAGA_PORT_OFFSET=${SAGA_PORT_OFFSET:-0}
SAGA_DB_PORT=$((3307 + SAGA_PORT_OFFSET))
SAGA_ORDER_PORT=$((8080 + SAGA_PORT_OFFSET))
SAGA_STOCK_PORT=$((8081 + SAGA_PORT_OFFSET))
SAGA_PAYMENT_PORT=$((8082 + SAGA_PORT_OFFSET))
SAGA_COMPLETION_PORT=$((8083 + SAGA_PORT_OFFSET))
SAGA_RELAY_PORT=$((8084 + SAGA_PORT_OFFSET))
# Every part, in start order (down stops them in reverse).
SAGA_SERVICES=(order product-stock payment completion relay)
SAGA_DB_ADMIN_USER=saga_admin
# Partitions per topic on the development broker: 4, not the 12 of docker compose's Apache Kafka.
# The mock cluster walks a partition's retained log from its oldest message set for every fetch,
# so its work grows with the square of the partition count (docs/adr/0007).
SAGA_KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-4}

# Debian packages needed to build, run and test (tests/run adds its own few).
SAGA_PACKAGES=(build-essential cmake ninja-build pkg-config curl ca-certificates
  libboost-dev librdkafka-dev libmysqlcppconn-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
  prometheus-cpp-dev libcli11-dev libjemalloc-dev catch2 mariadb-server mariadb-client kcat)
# Building and running the image without a Docker engine (deploy/docker/podman/prepare, the
# `image` tests). dnsname: containers of one compose network find each other by service name.
SAGA_PODMAN_PACKAGES=(podman buildah runc debootstrap podman-compose
  golang-github-containernetworking-plugin-dnsname)

saga_log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
saga_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs whichever of the given Debian packages are missing (apt-get update first).
saga_ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  saga_log "installing missing packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# saga_build DIR BUILD_TYPE [cmake args...]: configure (once) and build.
saga_build() {
  local dir=$1 type=$2
  shift 2
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$SAGA_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  fi
  cmake --build "$dir" --parallel "$(nproc)"
}

saga_pidfile() { echo "$SAGA_RUN_DIR/pids/$1.pid"; }

# True if PID runs. An exited child that its parent has not reaped yet (a zombie) counts as
# stopped: when up's shell is gone, reaping is up to PID 1, which may take its time.
saga_pid_running() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

saga_alive() {
  local f
  f=$(saga_pidfile "$1")
  [ -f "$f" ] && saga_pid_running "$(cat "$f")"
}

# saga_stop NAME: TERM, wait up to 15 s, then KILL.
saga_stop() {
  local f pid i
  f=$(saga_pidfile "$1")
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if saga_pid_running "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
      saga_pid_running "$pid" || break
      sleep 0.05
    done
    if saga_pid_running "$pid"; then
      saga_log "$1 did not stop on TERM within 7 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

# saga_wait_http URL SECONDS: until the URL answers 2xx.
saga_wait_http() {
  local url=$1 secs=$2 i
  for i in $(seq 1 $((secs * 10))); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Waits until every consumer-group member of the consumer services holds partitions (metric
# consumer_assigned_partitions > 0 for each member), so that the first order after start does not
# wait for the groups to form. Returns 1 after `secs` seconds.
saga_wait_consumers() {
  local secs=$1 i name ready
  for i in $(seq 1 $((secs * 10))); do
    ready=1
    for name in "${SAGA_SERVICES[@]}"; do
      [ "$name" = relay ] && continue  # the relay consumes nothing
      curl -fsS --max-time 1 "http://127.0.0.1:$(saga_service_port "$name")/metrics" 2>/dev/null \
        | awk '/^consumer_assigned_partitions\{/ { n++; if ($2 + 0 <= 0) bad = 1 } END { exit !(n > 0 && !bad) }' \
        || { ready=0; break; }
    done
    [ $ready -eq 1 ] && return 0
    sleep 0.1
  done
  return 1
}

saga_mysql_admin() {
  mariadb --no-defaults --socket="$SAGA_RUN_DIR/mysql/mysqld.sock" -uroot "$@"
}

# saga_secret NAME: the stack's random secret NAME, made once (mode 0600 in a 0700 directory) and
# kept across up runs of the same run dir.
saga_secret() {
  local d=$SAGA_RUN_DIR/secrets f=$SAGA_RUN_DIR/secrets/$1
  if [ ! -s "$f" ]; then
    (umask 077; mkdir -p "$d"; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$f")
  fi
  chmod 700 "$d"
  chmod 600 "$f"
  cat "$f"
}

saga_admin_password() { saga_secret db_admin_password; }
saga_admin_token() { saga_secret admin_token; }

# The database account of each service (deploy/mysql) and its password on this stack.
saga_service_account() {
  case $1 in
    order) echo order_svc ;; product-stock) echo stock_svc ;; payment) echo payment_svc ;;
    completion) echo completion_svc ;; relay) echo relay ;;
  esac
}
saga_service_password() { saga_secret "db_$(saga_service_account "$1")_password"; }

# The service accounts that deploy/mysql creates for any host ('%', as compose needs) are moved to
# 127.0.0.1 with their grants, and given this stack's random passwords. Re-applying the SQL files
# re-creates a '%' account; its grants are carried over again and it is dropped.
saga_lock_accounts() {
  local name account pw grant
  for name in "${SAGA_SERVICES[@]}"; do
    account=$(saga_service_account "$name")
    pw=$(saga_service_password "$name")
    saga_mysql_admin -e "CREATE USER IF NOT EXISTS '$account'@'127.0.0.1' IDENTIFIED BY '$pw';
      ALTER USER '$account'@'127.0.0.1' IDENTIFIED BY '$pw';" || saga_die "account $account"
    if [ "$(saga_mysql_admin -N -e "SELECT COUNT(*) FROM mysql.user WHERE user = '$account' AND host = '%'")" != 0 ]; then
      while IFS= read -r grant; do
        case $grant in "GRANT USAGE ON "*) continue ;; esac
        saga_mysql_admin -e "${grant//@\`%\`/@\`127.0.0.1\`}" || saga_die "carrying over: $grant"
      done < <(saga_mysql_admin -N -e "SHOW GRANTS FOR '$account'@'%'")
      saga_mysql_admin -e "DROP USER '$account'@'%'" || saga_die "dropping $account@%"
    fi
  done
}

# Fails with a clear message if something already listens on 127.0.0.1:PORT.
saga_require_free_port() {
  local port=$1 what=$2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    saga_die "port $port (for $what) is already in use by another process; stop it, or move this stack with SAGA_PORT_OFFSET=N"
  fi
}

# MariaDB in a private data dir on 127.0.0.1:$SAGA_DB_PORT. Durable commits (the default), sized
# for load tests, statements on a thread pool (docs/adr/0011).
saga_start_mariadb() {
  local dir=$SAGA_RUN_DIR/mysql i
  # Durable commits by default; SAGA_DB_DURABILITY=relaxed is a separate, labelled benchmark mode
  # that flushes the redo log once a second (a crash of the machine can lose the last second).
  local flush=1
  case ${SAGA_DB_DURABILITY:-durable} in
    durable) ;;
    relaxed) flush=2; saga_log "SAGA_DB_DURABILITY=relaxed: commits are NOT durable against a machine crash" ;;
    *) saga_die "SAGA_DB_DURABILITY must be durable or relaxed, not '$SAGA_DB_DURABILITY'" ;;
  esac
  if saga_alive mariadb; then return 0; fi
  mkdir -p "$dir" "$SAGA_RUN_DIR/logs" "$SAGA_RUN_DIR/pids"
  saga_require_free_port "$SAGA_DB_PORT" MariaDB
  if [ ! -d "$dir/data/mysql" ]; then
    saga_log "initialising MariaDB data dir"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >"$SAGA_RUN_DIR/logs/mariadb-install.log" 2>&1 \
      || saga_die "mariadb-install-db failed, see $SAGA_RUN_DIR/logs/mariadb-install.log"
  fi
  saga_log "starting MariaDB on 127.0.0.1:$SAGA_DB_PORT"
  setsid /usr/sbin/mariadbd --no-defaults --datadir="$dir/data" --user="$(id -un)" \
    --bind-address=127.0.0.1 --port="$SAGA_DB_PORT" --socket="$dir/mysqld.sock" \
    --pid-file="$dir/mysqld.pid" --log-error="$SAGA_RUN_DIR/logs/mariadb.log" \
    --skip-name-resolve --max-connections=500 --innodb-buffer-pool-size=1G \
    --innodb-log-file-size=1G --innodb-io-capacity=2000 --innodb-io-capacity-max=4000 \
    --innodb-flush-log-at-trx-commit="$flush" --thread-handling=pool-of-threads \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin </dev/null >/dev/null 2>&1 &
  echo $! >"$(saga_pidfile mariadb)"
  for i in $(seq 1 300); do
    saga_mysql_admin -e 'SELECT 1' >/dev/null 2>&1 && return 0
    saga_alive mariadb || saga_die "MariaDB exited, see $SAGA_RUN_DIR/logs/mariadb.log"
    sleep 0.1
  done
  saga_die "MariaDB did not come up in 30 s, see $SAGA_RUN_DIR/logs/mariadb.log"
}

# Applies deploy/mysql/*.sql (idempotent) and the admin account used by tests and stack.env.
saga_apply_schemas() {
  local f pw
  pw=$(saga_admin_password)
  for f in "$SAGA_ROOT"/deploy/mysql/*.sql; do
    saga_mysql_admin <"$f" || saga_die "applying $f failed"
  done
  saga_mysql_admin -e "CREATE USER IF NOT EXISTS '$SAGA_DB_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$pw';
    ALTER USER '$SAGA_DB_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$pw';
    GRANT ALL PRIVILEGES ON *.* TO '$SAGA_DB_ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;"
}

# Starts the broker unless it runs; returns 1 if it was running. Either way SAGA_KAFKA_PARTITIONS
# is then the running broker's partition count (an up with another KAFKA_PARTITIONS leaves a
# running broker as it is, and the services must match it).
saga_start_devbroker() {
  local bin=$1 bs=$SAGA_RUN_DIR/devbroker.bootstrap pf=$SAGA_RUN_DIR/devbroker.partitions running i
  if saga_alive devbroker && [ -s "$bs" ]; then
    running=$(cat "$pf" 2>/dev/null || true)
    if [ -n "$running" ] && [ "$running" != "$SAGA_KAFKA_PARTITIONS" ]; then
      saga_log "the running devbroker has $running partitions per topic; KAFKA_PARTITIONS=$SAGA_KAFKA_PARTITIONS takes effect after deploy/local/down"
      SAGA_KAFKA_PARTITIONS=$running
    fi
    return 1
  fi
  rm -f "$bs"
  saga_log "starting the development Kafka broker ($SAGA_KAFKA_PARTITIONS partitions per topic)"
  echo "$SAGA_KAFKA_PARTITIONS" >"$pf"
  setsid "$bin" --partitions "$SAGA_KAFKA_PARTITIONS" --bootstrap-file "$bs" \
    </dev/null >>"$SAGA_RUN_DIR/logs/devbroker.log" 2>&1 &
  echo $! >"$(saga_pidfile devbroker)"
  for i in $(seq 1 100); do
    [ -s "$bs" ] && return 0
    sleep 0.1
  done
  saga_die "devbroker did not start, see $SAGA_RUN_DIR/logs/devbroker.log"
}

# The port and database account of each service.
saga_service_port() {
  case $1 in
    order) echo "$SAGA_ORDER_PORT" ;; product-stock) echo "$SAGA_STOCK_PORT" ;;
    payment) echo "$SAGA_PAYMENT_PORT" ;; completion) echo "$SAGA_COMPLETION_PORT" ;;
    relay) echo "$SAGA_RELAY_PORT" ;;
  esac
}
# The settings a service gets on this stack beyond the common ones of saga_start_service: its
# database password (random per stack) and what else differs from its defaults (each program's
# --help lists them).
saga_service_env() {
  echo "DB_PASSWORD=$(saga_service_password "$1")"
  case $1 in
    product-stock | payment) echo "ADMIN_TOKEN=$(saga_admin_token)" ;;
    relay) echo "RELAY_WAKE_BIND=${RELAY_WAKE_BIND-127.0.0.1:$SAGA_RELAY_PORT}" ;;
  esac
}

# saga_start_service NAME BINARY PORT [VAR=value...]
saga_start_service() {
  local name=$1 bin=$2 port=$3
  shift 3
  if saga_alive "$name"; then return 0; fi
  saga_require_free_port "$port" "$name"
  saga_log "starting $name on 127.0.0.1:$port"
  env HTTP_BIND=127.0.0.1 HTTP_PORT="$port" DB_PORT="$SAGA_DB_PORT" \
    KAFKA_BOOTSTRAP="$(cat "$SAGA_RUN_DIR/devbroker.bootstrap")" ${LOG_LEVEL:+LOG_LEVEL="$LOG_LEVEL"} \
    RELAY_WAKE_ADDR="${RELAY_WAKE_ADDR-127.0.0.1:$SAGA_RELAY_PORT}" "$@" \
    setsid "$bin" </dev/null >>"$SAGA_RUN_DIR/logs/$name.log" 2>&1 &
  echo $! >"$(saga_pidfile "$name")"
  saga_wait_http "http://127.0.0.1:$port/health/ready" 30 \
    || saga_die "$name is not ready after 30 s, see $SAGA_RUN_DIR/logs/$name.log"
}

# stack.env holds the admin password and token: mode 0600.
saga_write_stack_env() {
  (umask 077; : >"$SAGA_RUN_DIR/stack.env")
  chmod 600 "$SAGA_RUN_DIR/stack.env"
  cat >"$SAGA_RUN_DIR/stack.env" <<ENV
# Written by deploy/local/up. Use: source $SAGA_RUN_DIR/stack.env
KAFKA_BOOTSTRAP=$(cat "$SAGA_RUN_DIR/devbroker.bootstrap")
KAFKA_PARTITIONS=$SAGA_KAFKA_PARTITIONS
DB_HOST=127.0.0.1
DB_PORT=$SAGA_DB_PORT
DB_ADMIN_USER=$SAGA_DB_ADMIN_USER
DB_ADMIN_PASSWORD=$(saga_admin_password)
ADMIN_TOKEN=$(saga_admin_token)
ORDER_URL=http://127.0.0.1:$SAGA_ORDER_PORT
PRODUCT_URL=http://127.0.0.1:$SAGA_STOCK_PORT
PAYMENT_URL=http://127.0.0.1:$SAGA_PAYMENT_PORT
COMPLETION_URL=http://127.0.0.1:$SAGA_COMPLETION_PORT
RELAY_URL=http://127.0.0.1:$SAGA_RELAY_PORT
ENV
}
