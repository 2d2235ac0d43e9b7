#!/usr/bin/env bash
# Local infrastructure for the pipeline services and tests, without Docker.
#
#   scripts/infra.sh up      start RabbitMQ + PostgreSQL on 127.0.0.1 (idempotent)
#   scripts/infra.sh down    stop the servers this checkout started
#   scripts/infra.sh status  print each server's state; non-zero if one is down
#   scripts/infra.sh env     print the export lines the tests read
#   scripts/infra.sh browser install Debian's chromium for the dashboard's browser tests (idempotent)
#
# Both servers are private instances whose state lives under the repository's
# ignored .infra/ folder (the PostgreSQL data dir moves to
# /var/tmp/pipeline-infra-<hash> only when the repo path is not traversable by
# the unprivileged postgres user). No systemd/service: daemons are started
# directly and detached.
#
# Overridable ports (env): PIPELINE_RABBITMQ_PORT (5672),
# PIPELINE_RABBITMQ_MGMT_PORT (15672), PIPELINE_POSTGRES_PORT (5432).
# Overridable node name: PIPELINE_RABBITMQ_NODENAME (pipeline@localhost, or
# pipeline-<port>@localhost when PIPELINE_RABBITMQ_PORT is not 5672).
#
# If a port already answers with *our* credentials (pipeline/pipeline) — e.g.
# servers started by this same script from another checkout — `up` reuses them
# instead of failing; `down` never stops a server it did not start.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
INFRA_DIR="$REPO_ROOT/.infra"

RMQ_PORT="${PIPELINE_RABBITMQ_PORT:-5672}"
RMQ_MGMT_PORT="${PIPELINE_RABBITMQ_MGMT_PORT:-15672}"
# A non-default port gets its own node name, so two checkouts on different
# ports do not clash in the (shared) epmd name registry.
if [[ "$RMQ_PORT" == 5672 ]]; then _rmq_default_node=pipeline@localhost; else _rmq_default_node="pipeline-$RMQ_PORT@localhost"; fi
RMQ_NODE="${PIPELINE_RABBITMQ_NODENAME:-$_rmq_default_node}"
RMQ_USER=pipeline
RMQ_PASS=pipeline
RMQ_DIR="$INFRA_DIR/rabbitmq"
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_WAIT_S="${PIPELINE_RABBITMQ_WAIT_S:-90}"

PG_PORT="${PIPELINE_POSTGRES_PORT:-5432}"
PG_USER=pipeline
PG_PASS=pipeline
PG_DB=pipeline
PG_BIN=/usr/lib/postgresql/15/bin
PG_WAIT_S="${PIPELINE_POSTGRES_WAIT_S:-60}"
APT_LOCK_WAIT_S="${PIPELINE_APT_LOCK_WAIT_S:-900}"

log()  { printf '[infra] %s\n' "$*" >&2; }
fail() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() { [[ "$(id -u)" == 0 ]] || fail "must run as root (installs packages, switches to the postgres user)"; }

# ---------------------------------------------------------------- packages ---
apt_install() {
  # Waits for a dpkg lock held by a concurrent install (bounded by
  # DPkg::Lock::Timeout) instead of failing; runs `apt-get update` only when
  # the first attempt fails (e.g. empty package lists).
  local pkgs=("$@")
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y --no-install-recommends -o "DPkg::Lock::Timeout=$APT_LOCK_WAIT_S")
  log "installing ${pkgs[*]} (waiting up to ${APT_LOCK_WAIT_S}s for the dpkg lock if another install runs; see /tmp/rabbit-install.log)"
  if ! apt-get install "${opts[@]}" "${pkgs[@]}"; then
    log "install failed; running apt-get update and retrying"
    apt-get -o "DPkg::Lock::Timeout=$APT_LOCK_WAIT_S" update
    apt-get install "${opts[@]}" "${pkgs[@]}" || fail "could not install ${pkgs[*]}"
  fi
}

ensure_rabbitmq_installed() {
  if [[ -x "$RMQ_BIN/rabbitmq-server" ]] && dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null | grep -q 'install ok installed'; then
    return 0
  fi
  # Someone else may be mid-install: dpkg shows it half-installed; the lock wait covers it.
  apt_install rabbitmq-server
  [[ -x "$RMQ_BIN/rabbitmq-server" ]] || fail "rabbitmq-server installed but $RMQ_BIN/rabbitmq-server is missing"
}

ensure_postgres_installed() {
  [[ -x "$PG_BIN/pg_ctl" && -x "$PG_BIN/initdb" && -x "$PG_BIN/postgres" ]] || apt_install postgresql-15
  [[ -x "$PG_BIN/pg_ctl" ]] || fail "PostgreSQL 15 binaries missing in $PG_BIN"
  command -v psql >/dev/null 2>&1 || [[ -x "$PG_BIN/psql" ]] || apt_install postgresql-client-15
}

# ------------------------------------------------------------------ helpers ---
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

psql_bin() { if [[ -x "$PG_BIN/psql" ]]; then echo "$PG_BIN/psql"; else command -v psql; fi; }
pg_isready_bin() { if [[ -x "$PG_BIN/pg_isready" ]]; then echo "$PG_BIN/pg_isready"; else command -v pg_isready; fi; }

# ================================================================ RabbitMQ ===
rmq_env() {
  # Everything the node and the CLI tools need to agree on. HOME carries the
  # Erlang cookie (.infra/rabbitmq/.erlang.cookie): RabbitMQ 3.10's server and
  # its CLI tools both read $HOME/.erlang.cookie; RABBITMQ_ERLANG_COOKIE is
  # deprecated there.
  export HOME="$RMQ_DIR"
  export RABBITMQ_NODENAME="$RMQ_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RMQ_PORT"
  export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
  export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
  export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  export RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
  export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
  # Erlang distribution (epmd :4369, inter-node port 20000+amqp port) stays on
  # loopback too.
  export ERL_EPMD_ADDRESS=127.0.0.1
  # A failing Erlang CLI writes erl_crash.dump into the working folder unless told where.
  export ERL_CRASH_DUMP="$RMQ_DIR/log/erl_crash.dump"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rmq_ctl()  { (rmq_env; "$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE" "$@"); }
rmq_diag() { (rmq_env; "$RMQ_BIN/rabbitmq-diagnostics" -n "$RMQ_NODE" "$@"); }

rmq_write_config() {
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  if [[ ! -s "$RMQ_DIR/.erlang.cookie" ]]; then
    (umask 077; head -c 64 /dev/urandom | sha256sum | cut -c1-32 | tr 'a-f' 'A-F' > "$RMQ_DIR/.erlang.cookie")
  fi
  chmod 400 "$RMQ_DIR/.erlang.cookie"
  : > "$RMQ_DIR/rabbitmq-env.conf"   # keep /etc/rabbitmq/rabbitmq-env.conf out of it
  [[ -f "$RMQ_DIR/advanced.config" ]] || echo '[].' > "$RMQ_DIR/advanced.config"
  echo '[rabbitmq_management].' > "$RMQ_DIR/enabled_plugins"
  cat > "$RMQ_DIR/rabbitmq.conf" <<EOF
# Generated by scripts/infra.sh — private local node, loopback only.
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
management.tcp.ip     = 127.0.0.1
management.tcp.port   = $RMQ_MGMT_PORT

# guest/guest keeps working (loopback-only, the broker default); the services
# and tests use pipeline/pipeline, created by scripts/infra.sh.
loopback_users.guest = true

# consumer_timeout: the broker closes a channel whose delivery stays unacked
# longer than this (30 min by default). The Trainer holds its TrainModel
# delivery unacked for the whole training, so a crashed Trainer's work goes
# back to the queue by itself and another Trainer resumes it from the last
# checkpoint; a training may run for hours, hence 24 h. A hung consumer is
# caught sooner by the Orchestrator's watchdog, not by this bound.
consumer_timeout = 86400000
EOF
}

# A checkout that never started its own node has no cookie: asking the CLI would only make it fail writing one.
rmq_node_alive() { [[ -s "$RMQ_DIR/.erlang.cookie" ]] && rmq_diag -q ping >/dev/null 2>&1; }

# Management API answers with our credentials and reports our AMQP port.
rmq_ours_on_port() {
  local body
  body="$(curl -fsS -m 5 -u "$RMQ_USER:$RMQ_PASS" "http://127.0.0.1:$RMQ_MGMT_PORT/api/overview" 2>/dev/null)" || return 1
  grep -q "\"port\":$RMQ_PORT" <<<"$body" || return 1
}

rmq_ensure_user() {
  if rmq_ctl -q list_users | awk '{print $1}' | grep -qx "$RMQ_USER"; then
    rmq_ctl -q change_password "$RMQ_USER" "$RMQ_PASS" >/dev/null
  else
    rmq_ctl -q add_user "$RMQ_USER" "$RMQ_PASS" >/dev/null
  fi
  # administrator: the tools read queue depths through the management HTTP API.
  rmq_ctl -q set_user_tags "$RMQ_USER" administrator >/dev/null
  rmq_ctl -q set_permissions -p / "$RMQ_USER" '.*' '.*' '.*' >/dev/null
}

rmq_up() {
  ensure_rabbitmq_installed
  mkdir -p "$RMQ_DIR"
  rm -f "$RMQ_DIR/reused"
  if rmq_node_alive; then
    log "RabbitMQ: node $RMQ_NODE already running (data $RMQ_DIR)"
    rmq_ensure_user
    return 0
  fi
  if port_open "$RMQ_PORT" || port_open "$RMQ_MGMT_PORT"; then
    if rmq_ours_on_port; then
      log "RabbitMQ: 127.0.0.1:$RMQ_PORT already served by a pipeline broker (pipeline/pipeline works; likely another checkout) — reusing it"
      echo "127.0.0.1:$RMQ_PORT" > "$RMQ_DIR/reused"
      return 0
    fi
    fail "RabbitMQ: port 127.0.0.1:$RMQ_PORT or :$RMQ_MGMT_PORT is in use by something that is not our broker (pipeline/pipeline rejected by http://127.0.0.1:$RMQ_MGMT_PORT/api/overview). Free it or set PIPELINE_RABBITMQ_PORT / PIPELINE_RABBITMQ_MGMT_PORT."
  fi

  rmq_write_config
  local startlog="$RMQ_DIR/log/startup.log"
  log "RabbitMQ: starting node $RMQ_NODE on 127.0.0.1:$RMQ_PORT (management :$RMQ_MGMT_PORT); log $RMQ_DIR/log"
  (
    rmq_env
    cd "$RMQ_DIR"
    exec 9>&-   # do not hand the infra.sh lock to the daemon
    exec setsid nohup "$RMQ_BIN/rabbitmq-server" >"$startlog" 2>&1 </dev/null
  ) &
  local bgpid=$!
  echo "$bgpid" > "$RMQ_DIR/launcher.pid"

  local deadline=$((SECONDS + RMQ_WAIT_S))
  until rmq_ctl -q await_startup --timeout 5 >/dev/null 2>&1; do
    if ! kill -0 "$bgpid" 2>/dev/null; then
      tail -n 30 "$startlog" >&2 || true
      fail "RabbitMQ: node $RMQ_NODE exited during startup; see $startlog and $RMQ_DIR/log/"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 30 "$startlog" >&2 || true
      fail "RabbitMQ: node $RMQ_NODE not up after ${RMQ_WAIT_S}s; see $startlog and $RMQ_DIR/log/"
    fi
    sleep 2
  done
  rmq_diag -q check_port_connectivity >/dev/null 2>&1 \
    || fail "RabbitMQ: node started but its listeners do not answer; see $RMQ_DIR/log/"
  rmq_ensure_user
  # The management listener may come up a moment after the node reports booted.
  deadline=$((SECONDS + 30))
  until rmq_ours_on_port; do
    (( SECONDS < deadline )) || fail "RabbitMQ: management API http://127.0.0.1:$RMQ_MGMT_PORT does not answer for pipeline/pipeline; see $RMQ_DIR/log/"
    sleep 1
  done
  log "RabbitMQ: up (node $RMQ_NODE)"
}

rmq_down() {
  if [[ -f "$RMQ_DIR/reused" ]]; then
    log "RabbitMQ: $(cat "$RMQ_DIR/reused") belongs to another checkout; not stopping it"
    rm -f "$RMQ_DIR/reused"
    return 0
  fi
  [[ -x "$RMQ_BIN/rabbitmqctl" ]] || { log "RabbitMQ: not installed"; return 0; }
  if rmq_node_alive; then
    log "RabbitMQ: stopping node $RMQ_NODE"
    # With the pid file, `stop` waits until the OS process has exited.
    rmq_ctl -q stop "$RMQ_DIR/rabbitmq.pid" >/dev/null 2>&1 || rmq_ctl -q stop >/dev/null 2>&1 \
      || fail "RabbitMQ: rabbitmqctl stop failed; see $RMQ_DIR/log/"
    local deadline=$((SECONDS + 30))
    while rmq_node_alive; do
      (( SECONDS < deadline )) || fail "RabbitMQ: node $RMQ_NODE still running 30s after stop"
      sleep 1
    done
    log "RabbitMQ: stopped"
  else
    log "RabbitMQ: node $RMQ_NODE not running"
  fi
}

rmq_status() {
  if [[ -x "$RMQ_BIN/rabbitmqctl" ]] && rmq_node_alive; then
    echo "rabbitmq: UP   node $RMQ_NODE, amqp://127.0.0.1:$RMQ_PORT, http://127.0.0.1:$RMQ_MGMT_PORT, data $RMQ_DIR"
    return 0
  fi
  if rmq_ours_on_port; then
    echo "rabbitmq: UP   127.0.0.1:$RMQ_PORT served by a pipeline broker from another checkout (reused)"
    return 0
  fi
  echo "rabbitmq: DOWN (node $RMQ_NODE; logs $RMQ_DIR/log)"
  return 1
}

# ============================================================== PostgreSQL ===
pg_user_name() {
  if id -u postgres >/dev/null 2>&1; then echo postgres
  else echo pipeline-pg; fi
}

ensure_pg_user() {
  local u; u="$(pg_user_name)"
  if ! id -u "$u" >/dev/null 2>&1; then
    log "PostgreSQL: creating system user $u"
    useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$u"
  fi
}

as_pg() { runuser -u "$(pg_user_name)" -- "$@"; }

# Decides where the cluster lives. .infra/postgres by default; if the postgres
# user cannot traverse the repository path, /var/tmp/pipeline-infra-<hash>.
pg_paths() {
  PG_HOME="$INFRA_DIR/postgres"
  if [[ -f "$INFRA_DIR/postgres.location" ]]; then
    PG_HOME="$(cat "$INFRA_DIR/postgres.location")"
  fi
  PG_DATA="$PG_HOME/data"
  PG_SOCK="$PG_HOME/run"
  PG_LOG="$PG_HOME/log/postgres.log"
}

pg_choose_location() {
  local u; u="$(pg_user_name)"
  mkdir -p "$INFRA_DIR"
  if [[ -f "$INFRA_DIR/postgres.location" ]]; then pg_paths; return 0; fi
  local home="$INFRA_DIR/postgres"
  mkdir -p "$home"
  chmod 755 "$home"
  local sockpath_len=$(( ${#home} + ${#PG_PORT} + 20 ))
  if ! runuser -u "$u" -- test -x "$home" || (( sockpath_len > 100 )); then
    local hash; hash="$(printf '%s' "$REPO_ROOT" | sha1sum | cut -c1-12)"
    home="/var/tmp/pipeline-infra-$hash/postgres"
    log "PostgreSQL: $INFRA_DIR is not usable by user $u (not traversable, or socket path too long); cluster goes to $home instead"
    mkdir -p "$home"
    chmod 755 "$(dirname "$home")" "$home"
    echo "$home" > "$INFRA_DIR/postgres.location"
  fi
  pg_paths
}

pg_ready_tcp() { "$(pg_isready_bin)" -q -h 127.0.0.1 -p "$PG_PORT" -t 3 >/dev/null 2>&1; }

pg_running_ours() {
  [[ -n "${PG_DATA:-}" && -f "$PG_DATA/PG_VERSION" ]] || return 1
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_login_works() {
  PGPASSWORD="$PG_PASS" PGCONNECT_TIMEOUT=5 "$(psql_bin)" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "${1:-$PG_DB}" \
    -XAtqc 'select 1' >/dev/null 2>&1
}

pg_ensure_db() {
  # Over TCP with the password: works for our cluster and for a reused one.
  local exists
  exists="$(PGPASSWORD="$PG_PASS" "$(psql_bin)" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -XAtqc \
    "select 1 from pg_database where datname = '$PG_DB'")" \
    || fail "PostgreSQL: cannot log in as $PG_USER on 127.0.0.1:$PG_PORT; see $PG_LOG"
  if [[ "$exists" != 1 ]]; then
    log "PostgreSQL: creating database $PG_DB"
    PGPASSWORD="$PG_PASS" "$(psql_bin)" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -Xqc "create database $PG_DB" >/dev/null
  fi
}

pg_up() {
  ensure_postgres_installed
  ensure_pg_user
  pg_choose_location
  local u; u="$(pg_user_name)"
  rm -f "$INFRA_DIR/postgres.reused"

  if pg_running_ours; then
    log "PostgreSQL: cluster $PG_DATA already running"
    pg_ensure_db
    return 0
  fi
  if port_open "$PG_PORT"; then
    if pg_login_works postgres || pg_login_works "$PG_DB"; then
      log "PostgreSQL: 127.0.0.1:$PG_PORT already served by a pipeline server (pipeline/pipeline works; likely another checkout) — reusing it"
      echo "127.0.0.1:$PG_PORT" > "$INFRA_DIR/postgres.reused"
      pg_ensure_db
      return 0
    fi
    fail "PostgreSQL: port 127.0.0.1:$PG_PORT is in use by a server that rejects pipeline/pipeline. Free it or set PIPELINE_POSTGRES_PORT."
  fi

  mkdir -p "$PG_SOCK" "$(dirname "$PG_LOG")"
  chown "$u:" "$PG_SOCK" "$(dirname "$PG_LOG")"
  chmod 755 "$PG_SOCK"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "PostgreSQL: initdb $PG_DATA (superuser $PG_USER, run as system user $u)"
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    chown "$u:" "$PG_DATA"
    chmod 700 "$PG_DATA"
    local pwfile; pwfile="$(mktemp)"
    printf '%s\n' "$PG_PASS" > "$pwfile"
    chown "$u:" "$pwfile"
    # TCP: scram-sha-256 with the password; unix socket (inside .infra): trust.
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
         --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$PG_HOME/log/initdb.log" 2>&1; then
      rm -f "$pwfile"
      fail "PostgreSQL: initdb failed; see $PG_HOME/log/initdb.log"
    fi
    rm -f "$pwfile"
  fi

  log "PostgreSQL: starting $PG_DATA on 127.0.0.1:$PG_PORT (socket dir $PG_SOCK); log $PG_LOG"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PG_WAIT_S" \
       -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCK" start >/dev/null 9>&-; then
    tail -n 20 "$PG_LOG" >&2 || true
    fail "PostgreSQL: pg_ctl start failed; see $PG_LOG"
  fi
  local deadline=$((SECONDS + PG_WAIT_S))
  until pg_ready_tcp; do
    (( SECONDS < deadline )) || fail "PostgreSQL: not ready on 127.0.0.1:$PG_PORT after ${PG_WAIT_S}s; see $PG_LOG"
    sleep 1
  done
  pg_ensure_db
  log "PostgreSQL: up ($PG_DATA)"
}

pg_down() {
  pg_paths
  if [[ -f "$INFRA_DIR/postgres.reused" ]]; then
    log "PostgreSQL: $(cat "$INFRA_DIR/postgres.reused") belongs to another checkout; not stopping it"
    rm -f "$INFRA_DIR/postgres.reused"
    return 0
  fi
  if id -u "$(pg_user_name)" >/dev/null 2>&1 && pg_running_ours; then
    log "PostgreSQL: stopping $PG_DATA"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null \
      || fail "PostgreSQL: pg_ctl stop failed; see $PG_LOG"
    log "PostgreSQL: stopped"
  else
    log "PostgreSQL: cluster $PG_DATA not running"
  fi
}

pg_status() {
  pg_paths
  if id -u "$(pg_user_name)" >/dev/null 2>&1 && pg_running_ours && pg_ready_tcp; then
    echo "postgres: UP   127.0.0.1:$PG_PORT, database $PG_DB, data $PG_DATA, socket $PG_SOCK"
    return 0
  fi
  if port_open "$PG_PORT" && pg_login_works "$PG_DB"; then
    echo "postgres: UP   127.0.0.1:$PG_PORT served by a pipeline server from another checkout (reused)"
    return 0
  fi
  echo "postgres: DOWN (data $PG_DATA; log $PG_LOG)"
  return 1
}

# ===================================================================== env ===
print_env() {
  cat <<EOF
export PIPELINE_RABBITMQ_HOST=127.0.0.1
export PIPELINE_RABBITMQ_PORT=$RMQ_PORT
export PIPELINE_RABBITMQ_USER=$RMQ_USER
export PIPELINE_RABBITMQ_PASSWORD=$RMQ_PASS
export PIPELINE_RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$RMQ_MGMT_PORT
export PIPELINE_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Username=$PG_USER;Password=$PG_PASS'
EOF
}

# ----------------------------------------------------------------- browser ---
# The dashboard's browser tests drive Debian's Chromium (Playwright is pointed at it; it downloads no browser).
CHROMIUM="${PIPELINE_CHROMIUM:-/usr/bin/chromium}"
browser_up() {
  if [[ -x "$CHROMIUM" ]]; then log "chromium: $CHROMIUM"; return 0; fi
  need_root
  apt_install chromium
  [[ -x "$CHROMIUM" ]] || fail "chromium installed but $CHROMIUM is missing"
  log "chromium: $CHROMIUM"
}

usage() { echo "usage: $0 up|down|status|env|browser" >&2; exit 2; }

main() {
  [[ $# -eq 1 ]] || usage
  case "$1" in
    up)
      need_root
      mkdir -p "$INFRA_DIR"
      # One `up`/`down` at a time per checkout.
      exec 9>"$INFRA_DIR/.lock"
      flock -w 300 9 || fail "another scripts/infra.sh is running in $REPO_ROOT (lock $INFRA_DIR/.lock)"
      rmq_up
      pg_up
      echo
      print_env
      ;;
    down)
      need_root
      mkdir -p "$INFRA_DIR"
      exec 9>"$INFRA_DIR/.lock"
      flock -w 300 9 || fail "another scripts/infra.sh is running in $REPO_ROOT (lock $INFRA_DIR/.lock)"
      local rc=0
      rmq_down || rc=1
      pg_down || rc=1
      return $rc
      ;;
    status)
      local rc=0
      rmq_status || rc=1
      pg_status || rc=1
      return $rc
      ;;
    env) print_env ;;
    browser) browser_up ;;
    *) usage ;;
  esac
}

main "$@"
