#!/usr/bin/env bash
# Local infrastructure for the pipeline services and tests, without Docker.
#
#   scripts/infra.sh up      start RabbitMQ + PostgreSQL on 127.0.0.1 (idempotent)
#   scripts/infra.sh down    stop the servers this checkout started
#   scripts/infra.sh status  print each server's state; non-zero if one is down
#   scripts/infra.sh env     print the export lines the tests read (the only verb that prints passwords)
#   scripts/infra.sh browser install Debian's chromium for the dashboard's browser tests (idempotent)
#   scripts/infra.sh permissions  print each service user's RabbitMQ permissions: NAME, configure, write, read (no server needed)
#   scripts/infra.sh compose-postgres / compose-rabbitmq  the same accounts inside docker-compose (see docker-compose.yml)
#   scripts/infra.sh kubernetes  the same accounts for deploy/kubernetes: makes base/accounts/ (each password once, ignored by git)
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
# Least privilege: no default password anywhere. `up` generates one password per
# account into .infra/credentials/<account> (mode 600, ignored by git) and creates
#   RabbitMQ   a user per service, limited to its own queues (and their _error and
#              _skipped companions), the queues it sends to, and the exchanges
#              of the messages it publishes (write) or consumes (read), on the
#              default vhost; `operator`, an administrator, for
#              the tools and tests (management API, replay, a vhost per test run);
#              guest is deleted.
#   PostgreSQL `pipeline_admin`, the superuser only this script uses; `pipeline_owner`,
#              owner of the database and its `pipeline` schema, which applies the
#              schema and is what the tools and tests log in as; a login role
#              `pipeline_<service>` only for services that use the database, with
#              only the grants declared below. Every connection, the local
#              socket included, needs a password (scram-sha-256; no trust).
# Services do not create tables: the owner applies the schema (`dotnet
# Pipeline.<Service>.dll apply-schema` with the owner's connection string; the
# local runner does it before it starts the services), and the grants below follow.
# `env` prints the operator's settings and, per service, PIPELINE_<SERVICE>_*.
#
# Servers started by another checkout: when a port already answers, `up` reuses
# the servers only if the credentials of the checkout that started them work on
# it (PIPELINE_INFRA_FROM=<that checkout>, else the other worktrees of this git
# repository are tried); `env` then prints that checkout's credentials, and `down`
# never stops a server it did not start. A cluster or node made by the old script
# (pipeline/pipeline) is converted in place: the pipeline accounts lose their
# login, the roles and users below are created.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
INFRA_DIR="$REPO_ROOT/.infra"

RMQ_PORT="${PIPELINE_RABBITMQ_PORT:-5672}"
RMQ_MGMT_PORT="${PIPELINE_RABBITMQ_MGMT_PORT:-15672}"
# A non-default port gets its own node name, so two checkouts on different
# ports do not clash in the (shared) epmd name registry.
if [[ "$RMQ_PORT" == 5672 ]]; then _rmq_default_node=pipeline@localhost; else _rmq_default_node="pipeline-$RMQ_PORT@localhost"; fi
RMQ_NODE="${PIPELINE_RABBITMQ_NODENAME:-$_rmq_default_node}"
RMQ_OPERATOR=operator
RMQ_DIR="$INFRA_DIR/rabbitmq"
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_WAIT_S="${PIPELINE_RABBITMQ_WAIT_S:-90}"

PG_PORT="${PIPELINE_POSTGRES_PORT:-5432}"
PG_ADMIN=pipeline_admin
PG_OWNER=pipeline_owner
PG_DB=pipeline
# The Marten schema the services use (Marten:Schema's default).
PG_SCHEMA=pipeline
PG_BIN=/usr/lib/postgresql/15/bin
PG_WAIT_S="${PIPELINE_POSTGRES_WAIT_S:-60}"
APT_LOCK_WAIT_S="${PIPELINE_APT_LOCK_WAIT_S:-900}"

log()  { printf '[infra] %s\n' "$*" >&2; }
fail() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() { [[ "$(id -u)" == 0 ]] || fail "must run as root (installs packages, switches to the postgres user)"; }

# ========================================================== who may do what ===
# One declaration per service; a service not declared here gets no account.
#   service NAME QUEUES SENDS TABLES PUBLISHES CONSUMES
#     QUEUES     the queues it consumes from (a regex alternation); each gets its _error and _skipped companions
#     SENDS      the queues it sends commands to (regex alternation), '' for none
#     TABLES     its grants in the `pipeline` schema, 'table:rw' or 'table:r', space-separated; '' = no database login
#     PUBLISHES  the messages it publishes (contract names, space-separated): it may write their exchanges
#     CONSUMES   the messages its queues take, 'Fault:X' for Fault<X>: it may bind (read) their exchanges, and publish
#                the Fault<X> of each X it consumes (MassTransit does when a consumer fails)
# A message's exchange is its own: no service may publish a message another service owns (a detector node cannot
# cancel a training, a worker cannot forge another stage's result or fault).
SERVICES=()
declare -A SVC_QUEUES=() SVC_SENDS=() SVC_TABLES=() SVC_PUBLISHES=() SVC_CONSUMES=()
service() { SERVICES+=("$1"); SVC_QUEUES[$1]="$2"; SVC_SENDS[$1]="$3"; SVC_TABLES[$1]="$4"; SVC_PUBLISHES[$1]="$5"; SVC_CONSUMES[$1]="$6"; }

# A queue's name as contracts/Pipeline.Contracts/Stages/StageQueues.cs declares it (the one place it is written).
STAGE_QUEUES_CS="$REPO_ROOT/contracts/Pipeline.Contracts/Stages/StageQueues.cs"
q() {
  local name
  name="$(sed -n "s/.*const string $1 = \"\\([^\"]*\\)\".*/\\1/p" "$STAGE_QUEUES_CS" 2>/dev/null)"
  [[ -n "$name" ]] || fail "cannot read queue $1 from $STAGE_QUEUES_CS"
  echo "$name"
}

declare_services() {
  [[ -f "$STAGE_QUEUES_CS" ]] || fail "$STAGE_QUEUES_CS is missing: the queue names are read from it"
  local stage_queues
  stage_queues="$(q DownloadTrainingData)|$(q DownloadBaseModel)|$(q TrainModel)|$(q UploadModel)|$(q DetectImages)|$(q UploadDetections)"
  # The saga's queue and each Orchestrator's live-events queue; it sends every stage its command, and the status API's
  # replay (the dashboard's Replay) moves a failed stage's commands from its _error queue back to the stage's queue.
  local stage_commands='DownloadTrainingData DownloadBaseModel TrainModel UploadModel DetectImages UploadDetections'
  # Its live-events queues hear the progress and state changes it shows on the dashboard.
  service orchestrator "$(q Training)|live-events-[0-9a-f]{32}" "$stage_queues|($stage_queues)_error" \
    'mt_doc_trainingstate:rw outbox_messages:rw inbox_messages:rw mt_doc_modelversion:r' \
    'TrainingStateChanged TrainingCancelled TrainingStopRequested StageAttemptSuperseded TrainingReadyForCleanup' \
    "BeginTraining CancelTraining StopTraining RetryTraining StageTimedOut FailedTrainingExpired StageStarted
     TrainingDataDownloaded BaseModelDownloaded ModelTrained ModelUploaded ImagesDetected DetectionsUploaded
     TrainingProgressed TrainingMetricsImproved TrainingStateChanged $(printf 'Fault:%s ' $stage_commands)"
  service downloader "$(q DownloadTrainingData)|$(q DownloadBaseModel)|downloader-cleanup" '' '' \
    'StageStarted TrainingDataDownloaded BaseModelDownloaded' 'DownloadTrainingData DownloadBaseModel TrainingReadyForCleanup'
  # cancel-training-<id>: a queue per Trainer process, so the one running the training hears the cancel.
  service trainer "$(q TrainModel)|trainer-cleanup|cancel-training-[0-9a-z]+" '' '' \
    'StageStarted ModelTrained TrainingProgressed TrainingMetricsImproved' \
    'TrainModel TrainingReadyForCleanup TrainingCancelled TrainingStopRequested StageAttemptSuperseded'
  service detector "$(q DetectImages)|detector-cleanup" '' '' 'StageStarted ImagesDetected' 'DetectImages TrainingReadyForCleanup'
  # detector-node-<name>, or detector-node-<machine>-<id> for a node without a name: every node hears every promotion.
  # It lives on field devices, so its account publishes nothing.
  service detectornode "detector-node-[0-9a-z.-]+" '' '' '' 'ModelPromoted'
  service uploader "$(q UploadModel)|$(q UploadDetections)|$(q PromoteModel)" '' \
    'mt_doc_modelversion:rw mt_doc_currentmodelalias:rw mt_doc_projectmodelcounter:rw mt_doc_storeddetections:rw outbox_messages:rw inbox_messages:rw' \
    'StageStarted ModelUploaded DetectionsUploaded ModelPromoted' 'UploadModel UploadDetections PromoteModel'

}

# ============================================================= credentials ===
# One password per account, generated once; a checkout that reuses another's servers reads that checkout's.
CRED_DIR="$INFRA_DIR/credentials"
cred_dir() { if [[ -f "$INFRA_DIR/reused-from" ]]; then echo "$(cat "$INFRA_DIR/reused-from")/.infra/credentials"; else echo "$CRED_DIR"; fi; }
# The password of ACCOUNT; generated (40 hex digits) when missing and generating is allowed (only `up` does).
# For docker-compose (PIPELINE_PASSWORDS_FROM_ENV=1) it is <ACCOUNT>_PASSWORD from .env instead, never generated.
password() {
  if [[ "${PIPELINE_PASSWORDS_FROM_ENV:-}" == 1 ]]; then
    local variable; variable="$(tr 'a-z-' 'A-Z_' <<<"$1")_PASSWORD"
    [[ -n "${!variable:-}" ]] || fail "$variable is not set (docker-compose reads it from .env)"
    echo "${!variable}"; return 0
  fi
  local file; file="$(cred_dir)/$1"
  if [[ ! -s "$file" ]]; then
    [[ "${2:-}" == generate && ! -f "$INFRA_DIR/reused-from" ]] || fail "no password for $1 in $(cred_dir): run 'scripts/infra.sh up' first"
    mkdir -p "$CRED_DIR"; chmod 700 "$CRED_DIR"
    (umask 077; head -c 32 /dev/urandom | sha256sum | cut -c1-40 > "$file")
  fi
  cat "$file"
}
pg_role() { echo "pipeline_$1"; }
pg_connection() { echo "Host=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Username=$1;Password=$2"; }

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

# guest is deleted by scripts/infra.sh once the node is up (every account has a
# generated password); until then it answers on loopback only.
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

# A curl config line (`name = "value"`), quoted as curl's config parser reads it.
curl_config() { local v="${2//\\/\\\\}"; printf '%s = "%s"\n' "$1" "${v//\"/\\\"}"; }

# Management API answers with the operator's credentials (from DIR, default ours) and reports our AMQP port.
# Credentials go to curl as a config on stdin: an argument would show the password in every process listing.
rmq_ours_on_port() {
  local dir="${1:-$(cred_dir)}" body
  [[ -s "$dir/$RMQ_OPERATOR" ]] || return 1
  body="$(curl_config user "$RMQ_OPERATOR:$(cat "$dir/$RMQ_OPERATOR")" \
    | curl -fsS -m 5 -K - "http://127.0.0.1:$RMQ_MGMT_PORT/api/overview" 2>/dev/null)" || return 1
  grep -q "\"port\":$RMQ_PORT" <<<"$body" || return 1
}

# The checkouts whose servers this one may reuse: PIPELINE_INFRA_FROM, else the other worktrees of this repository.
reuse_candidates() {
  if [[ -n "${PIPELINE_INFRA_FROM:-}" ]]; then (cd "$PIPELINE_INFRA_FROM" && pwd -P); return 0; fi
  git -C "$REPO_ROOT" worktree list --porcelain 2>/dev/null | sed -n 's/^worktree //p' | while read -r tree; do
    [[ "$(cd "$tree" 2>/dev/null && pwd -P)" == "$REPO_ROOT" ]] || echo "$tree"
  done
}

rmq_set_user() { # NAME PASSWORD TAGS CONFIGURE WRITE READ
  # The password on stdin (rabbitmqctl reads it there when the argument is left out), never in the arguments.
  if rmq_ctl -q list_users | awk '{print $1}' | grep -qx "$1"; then
    printf '%s\n' "$2" | rmq_ctl -q change_password "$1" >/dev/null
  else
    printf '%s\n' "$2" | rmq_ctl -q add_user "$1" >/dev/null
  fi
  rmq_ctl -q set_user_tags "$1" $3 >/dev/null
  rmq_ctl -q set_permissions -p / "$1" "$4" "$5" "$6" >/dev/null
}

# The same over the management API as the operator: one HTTP call each instead of an Erlang CLI start.
# The operator's credentials and the body (which may hold a password) go as a config on stdin, not as arguments.
rmq_api() { # METHOD PATH [JSON]
  { curl_config user "$RMQ_OPERATOR:$(password "$RMQ_OPERATOR")"; [[ -z "${3:-}" ]] || curl_config data "$3"; } \
    | curl -fsS -m 10 -o /dev/null -K - -X "$1" -H 'content-type: application/json' "http://127.0.0.1:$RMQ_MGMT_PORT/api/$2"
}
json_string() { local v="${1//\\/\\\\}"; printf '"%s"' "${v//\"/\\\"}"; }
rmq_api_set_user() { # NAME PASSWORD TAGS CONFIGURE WRITE READ
  rmq_api PUT "users/$1" "{\"password\":$(json_string "$2"),\"tags\":$(json_string "$3")}" &&
  rmq_api PUT "permissions/%2F/$1" "{\"configure\":$(json_string "$4"),\"write\":$(json_string "$5"),\"read\":$(json_string "$6")}"
}

# A service user's RabbitMQ permission, KIND configure, write or read (RabbitMQ checks names):
#   its queues with their _error and _skipped companions, and the queues it sends to: all three (a queue's exchange of
#     the same name is bound to it, which is write on the queue and read on the exchange);
#   the exchanges of the messages it publishes: configure and write;
#   the exchanges of the messages it consumes: configure and read (binding them to its queues);
#   Fault<X> of each X it consumes: all three (MassTransit publishes it and binds it to MassTransit:Fault, the
#     exchange of the Fault interface, which is write on that one and read on the Fault<X> exchange).
rmq_permission() { # NAME KIND
  local own="(${SVC_QUEUES[$1]})(_error|_skipped)?" sends="${SVC_SENDS[$1]:+|${SVC_SENDS[$1]}}"
  local published='' consumed='' faults='' message
  for message in ${SVC_PUBLISHES[$1]}; do published+="|Pipeline\.Contracts:$message"; done
  for message in ${SVC_CONSUMES[$1]}; do
    if [[ "$message" == Fault:* ]]; then
      consumed+="|MassTransit:Fault--Pipeline\.Contracts:${message#Fault:}--"
    else
      consumed+="|Pipeline\.Contracts:$message"
      faults+="|MassTransit:Fault--Pipeline\.Contracts:$message--"
    fi
  done
  faults+="|MassTransit:Fault"
  case "$2" in
    configure) echo "^($own$sends$published$consumed$faults)\$" ;;
    write) echo "^($own$sends$published$faults)\$" ;;
    read) echo "^($own$sends$consumed$faults)\$" ;;
    *) fail "rmq_permission: no permission kind $2" ;;
  esac
}
# Left open: configure on a consumed message's exchange lets the consumer delete it too (MassTransit declares every
# exchange it binds, and RabbitMQ checks a declare as configure even when the exchange exists).
# The three, as rabbitmqctl set_permissions takes them.
rmq_permissions() { rmq_permission "$1" configure; rmq_permission "$1" write; rmq_permission "$1" read; }

rmq_ensure_users() {
  # The operator: the tools read queue depths over the management API, the tests make a vhost per run.
  local set=rmq_set_user
  if rmq_ours_on_port; then
    set=rmq_api_set_user
  else
    rmq_set_user "$RMQ_OPERATOR" "$(password "$RMQ_OPERATOR" generate)" administrator '.*' '.*' '.*'
  fi
  # A service's name may be a queue and an exchange at once (MassTransit binds an exchange of the queue's name to
  # it): RabbitMQ checks names, so read on a queue's name is both consuming it and binding from its exchange.
  local name
  for name in "${SERVICES[@]}"; do
    $set "$name" "$(password "$name" generate)" '' "$(rmq_permission "$name" configure)" "$(rmq_permission "$name" write)" \
      "$(rmq_permission "$name" read)" || fail "RabbitMQ: could not set user $name"
  done
  # No account keeps a default password: guest (the broker's) and pipeline (this script's before) go.
  local user
  for user in guest pipeline; do
    if rmq_ctl -q list_users | awk '{print $1}' | grep -qx "$user"; then
      log "RabbitMQ: deleting user $user (a default password)"
      rmq_ctl -q delete_user "$user" >/dev/null
    fi
  done
}

rmq_up() {
  ensure_rabbitmq_installed
  mkdir -p "$RMQ_DIR"
  rm -f "$RMQ_DIR/reused"
  if rmq_node_alive; then
    log "RabbitMQ: node $RMQ_NODE already running (data $RMQ_DIR)"
    rm -f "$INFRA_DIR/reused-from"
    rmq_ensure_users
    return 0
  fi
  if port_open "$RMQ_PORT" || port_open "$RMQ_MGMT_PORT"; then
    local checkout
    while read -r checkout; do
      [[ -n "$checkout" ]] || continue
      if rmq_ours_on_port "$checkout/.infra/credentials"; then
        log "RabbitMQ: 127.0.0.1:$RMQ_PORT is served by the broker of $checkout (its operator's password works) — reusing it and its credentials"
        echo "$checkout" > "$INFRA_DIR/reused-from"
        echo "127.0.0.1:$RMQ_PORT" > "$RMQ_DIR/reused"
        return 0
      fi
    done < <(reuse_candidates)
    fail "RabbitMQ: port 127.0.0.1:$RMQ_PORT or :$RMQ_MGMT_PORT is in use by a broker whose credentials this checkout does not have. To reuse servers another checkout started, set PIPELINE_INFRA_FROM=<that checkout>; else free the port or set PIPELINE_RABBITMQ_PORT / PIPELINE_RABBITMQ_MGMT_PORT."
  fi
  rm -f "$INFRA_DIR/reused-from"

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
  rmq_ensure_users
  # The management listener may come up a moment after the node reports booted.
  deadline=$((SECONDS + 30))
  until rmq_ours_on_port; do
    (( SECONDS < deadline )) || fail "RabbitMQ: management API http://127.0.0.1:$RMQ_MGMT_PORT does not answer for the operator; see $RMQ_DIR/log/"
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

# USER PASSWORD [DATABASE]: a password login over TCP works.
pg_login_works() {
  PGPASSWORD="$2" PGCONNECT_TIMEOUT=5 "$(psql_bin)" -h 127.0.0.1 -p "$PG_PORT" -U "$1" -d "${3:-$PG_DB}" \
    -XAtqc 'select 1' >/dev/null 2>&1
}

# SQL as the superuser, over TCP with its password: DATABASE, then psql arguments.
pg_admin() {
  local db="$1"; shift
  PGOPTIONS="-c client_min_messages=warning" PGPASSWORD="$(password "$PG_ADMIN")" "$(psql_bin)" -h "${PG_ADMIN_HOST:-127.0.0.1}" -p "$PG_PORT" -U "$PG_ADMIN" -d "$db" -X -q -v ON_ERROR_STOP=1 "$@"
}

# A cluster the old script made has the superuser pipeline/pipeline and trust on its socket: give it our superuser,
# then require passwords everywhere.
pg_adopt_legacy() {
  [[ -s "$CRED_DIR/$PG_ADMIN" ]] && pg_login_works "$PG_ADMIN" "$(cat "$CRED_DIR/$PG_ADMIN")" postgres && return 0
  pg_login_works pipeline pipeline postgres \
    || fail "PostgreSQL: cannot log in as $PG_ADMIN (password in $CRED_DIR/$PG_ADMIN) on 127.0.0.1:$PG_PORT; see $PG_LOG"
  log "PostgreSQL: converting a cluster made by the old script (superuser pipeline/pipeline) to per-service roles"
  PGPASSWORD=pipeline "$(psql_bin)" -h 127.0.0.1 -p "$PG_PORT" -U pipeline -d postgres -X -q -v ON_ERROR_STOP=1 \
    -v admin="$PG_ADMIN" -v pw="$(password "$PG_ADMIN" generate)" >/dev/null <<'SQL'
select format('create role %I superuser login', :'admin') where not exists (select from pg_roles where rolname = :'admin') \gexec
select format('alter role %I superuser login password %L', :'admin', :'pw') \gexec
SQL
}

# No trust left in pg_hba.conf: every connection, the local socket included, proves its password.
pg_require_passwords() {
  local hba="$PG_DATA/pg_hba.conf"
  if as_pg grep -Eq '^[^#]*[[:space:]]trust([[:space:]]|$)' "$hba"; then
    log "PostgreSQL: replacing trust with scram-sha-256 in $hba"
    as_pg sed -i -E '/^[^#]/ s/([[:space:]])trust([[:space:]]|$)/\1scram-sha-256\2/' "$hba"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null
  fi
}

# pipeline_grant_privileges(schema): every declared table grant in that schema (apply-schema passes its own: the
# deployment's, or a test run's), revoking first what is no longer declared.
pg_grant_function_sql() {
  local name table access roles=() grants=()
  for name in "${SERVICES[@]}"; do
    [[ -n "${SVC_TABLES[$name]}" ]] || continue
    roles+=("'$(pg_role "$name")'")
    for table in ${SVC_TABLES[$name]}; do
      access="${table##*:}"; table="${table%%:*}"
      [[ "$access" == r || "$access" == rw ]] || fail "grant '$table:$access' of $name: access must be r or rw"
      grants+=("['$(pg_role "$name")','$table','$access']")
    done
  done
  local IFS=,
  cat <<SQL
drop function if exists public.pipeline_grant_privileges();
create or replace function public.pipeline_grant_privileges(schema_name text) returns void language plpgsql as \$f\$
declare
  role_name text;
  g text[];
  sequence_name regclass;
begin
  foreach role_name in array array[${roles[*]}]::text[] loop
    execute format('grant usage on schema %I to %I', schema_name, role_name);
    execute format('revoke all on all tables in schema %I from %I', schema_name, role_name);
    execute format('revoke all on all sequences in schema %I from %I', schema_name, role_name);
  end loop;
  foreach g slice 1 in array array[${grants[*]}]::text[] loop
    continue when to_regclass(format('%I.%I', schema_name, g[2])) is null;  -- applied later, with the schema
    execute format('grant %s on %I.%I to %I',
      case g[3] when 'rw' then 'select, insert, update, delete' else 'select' end, schema_name, g[2], g[1]);
    continue when g[3] <> 'rw';
    for sequence_name in
      select d.objid::regclass from pg_depend d join pg_class c on c.oid = d.objid and c.relkind = 'S'
      where d.refobjid = format('%I.%I', schema_name, g[2])::regclass
    loop
      execute format('grant usage, select on sequence %s to %I', sequence_name, g[1]);
    end loop;
  end loop;
end \$f\$;
SQL
}

# Each database service's way into the database and its schema; its tables' grants come from the grant function.
pg_connect_sql() {
  local name
  for name in "${SERVICES[@]}"; do
    [[ -n "${SVC_TABLES[$name]}" ]] || continue
    echo "grant connect on database $PG_DB to $(pg_role "$name");"
    echo "grant usage on schema $PG_SCHEMA to $(pg_role "$name");"
  done
}

# The owner, a login role per service that uses the database (none for the others), the database and schema
# owned by the owner, and the declared grants on whatever tables exist.
pg_ensure_roles() {
  local name sql=""
  for name in "${SERVICES[@]}"; do
    [[ -n "${SVC_TABLES[$name]}" ]] || continue
    sql+="select 'create role $(pg_role "$name")' where not exists (select from pg_roles where rolname = '$(pg_role "$name")') \\gexec
alter role $(pg_role "$name") login nosuperuser nocreatedb nocreaterole password '$(password "$name" generate)';
"
  done
  pg_admin postgres >/dev/null <<SQL
select 'create role $PG_OWNER' where not exists (select from pg_roles where rolname = '$PG_OWNER') \gexec
alter role $PG_OWNER login nosuperuser nocreatedb nocreaterole password '$(password "$PG_OWNER" generate)';
$sql
select 'create database $PG_DB owner $PG_OWNER' where not exists (select from pg_database where datname = '$PG_DB') \gexec
alter database $PG_DB owner to $PG_OWNER;
revoke all on database $PG_DB from public;
-- The old script's superuser keeps owning the system catalogs, so it stays, without a login.
select 'alter role pipeline nologin password null' where exists (select from pg_roles where rolname = 'pipeline') \gexec
SQL
  pg_admin "$PG_DB" >/dev/null <<SQL
create schema if not exists $PG_SCHEMA authorization $PG_OWNER;
alter schema $PG_SCHEMA owner to $PG_OWNER;
-- What the old script's superuser created in the schema becomes the owner's.
select format('alter table %I.%I owner to $PG_OWNER', n.nspname, c.relname)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = '$PG_SCHEMA' and c.relkind in ('r', 'p') and c.relowner <> '$PG_OWNER'::regrole \gexec
select format('alter function %s owner to $PG_OWNER', p.oid::regprocedure)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = '$PG_SCHEMA' and p.proowner <> '$PG_OWNER'::regrole \gexec
$(pg_connect_sql)
$(pg_grant_function_sql)
alter function public.pipeline_grant_privileges(text) owner to $PG_OWNER;
revoke all on function public.pipeline_grant_privileges(text) from public;
select public.pipeline_grant_privileges('$PG_SCHEMA');
SQL
}

pg_up() {
  ensure_postgres_installed
  ensure_pg_user
  pg_choose_location
  local u; u="$(pg_user_name)"
  rm -f "$INFRA_DIR/postgres.reused"

  if pg_running_ours; then
    log "PostgreSQL: cluster $PG_DATA already running"
    pg_adopt_legacy
    pg_require_passwords
    pg_ensure_roles
    return 0
  fi
  if port_open "$PG_PORT"; then
    local checkout
    while read -r checkout; do
      [[ -n "$checkout" && -s "$checkout/.infra/credentials/$PG_OWNER" ]] || continue
      if pg_login_works "$PG_OWNER" "$(cat "$checkout/.infra/credentials/$PG_OWNER")"; then
        if [[ -f "$INFRA_DIR/reused-from" && "$(cat "$INFRA_DIR/reused-from")" != "$checkout" ]]; then
          fail "PostgreSQL: 127.0.0.1:$PG_PORT belongs to $checkout, RabbitMQ to $(cat "$INFRA_DIR/reused-from"): reuse both servers of one checkout"
        fi
        log "PostgreSQL: 127.0.0.1:$PG_PORT is served by the cluster of $checkout (its owner's password works) — reusing it and its credentials"
        echo "$checkout" > "$INFRA_DIR/reused-from"
        echo "127.0.0.1:$PG_PORT" > "$INFRA_DIR/postgres.reused"
        return 0
      fi
    done < <(reuse_candidates)
    fail "PostgreSQL: port 127.0.0.1:$PG_PORT is in use by a server whose credentials this checkout does not have. To reuse servers another checkout started, set PIPELINE_INFRA_FROM=<that checkout>; else free the port or set PIPELINE_POSTGRES_PORT."
  fi
  [[ ! -f "$INFRA_DIR/reused-from" ]] \
    || fail "PostgreSQL: RabbitMQ is reused from $(cat "$INFRA_DIR/reused-from") but its PostgreSQL does not answer on 127.0.0.1:$PG_PORT"

  mkdir -p "$PG_SOCK" "$(dirname "$PG_LOG")"
  chown "$u:" "$PG_SOCK" "$(dirname "$PG_LOG")"
  chmod 755 "$PG_SOCK"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "PostgreSQL: initdb $PG_DATA (superuser $PG_ADMIN, run as system user $u)"
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    chown "$u:" "$PG_DATA"
    chmod 700 "$PG_DATA"
    local pwfile; pwfile="$(mktemp)"
    password "$PG_ADMIN" generate > "$pwfile"
    chown "$u:" "$pwfile"
    # A password on every connection: TCP and the unix socket alike.
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_ADMIN" --pwfile="$pwfile" \
         --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_HOME/log/initdb.log" 2>&1; then
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
  pg_adopt_legacy
  pg_require_passwords
  pg_ensure_roles
  log "PostgreSQL: up ($PG_DATA)"
}

pg_down() {
  pg_paths
  if [[ -f "$INFRA_DIR/postgres.reused" ]]; then
    log "PostgreSQL: $(cat "$INFRA_DIR/postgres.reused") belongs to another checkout; not stopping it"
    rm -f "$INFRA_DIR/postgres.reused" "$INFRA_DIR/reused-from"
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
  if port_open "$PG_PORT" && [[ -s "$(cred_dir)/$PG_OWNER" ]] && pg_login_works "$PG_OWNER" "$(cat "$(cred_dir)/$PG_OWNER")"; then
    echo "postgres: UP   127.0.0.1:$PG_PORT served by a pipeline server from another checkout (reused)"
    return 0
  fi
  echo "postgres: DOWN (data $PG_DATA; log $PG_LOG)"
  return 1
}

# ===================================================================== env ===
print_env() {
  local name upper
  # Checked here, not inside $(...), where a missing password would only end a subshell and print an empty one.
  for name in "$RMQ_OPERATOR" "$PG_OWNER" "${SERVICES[@]}"; do password "$name" >/dev/null; done
  cat <<EOF
export PIPELINE_RABBITMQ_HOST=127.0.0.1
export PIPELINE_RABBITMQ_PORT=$RMQ_PORT
export PIPELINE_RABBITMQ_USER=$RMQ_OPERATOR
export PIPELINE_RABBITMQ_PASSWORD=$(password "$RMQ_OPERATOR")
export PIPELINE_RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$RMQ_MGMT_PORT
export PIPELINE_POSTGRES='$(pg_connection "$PG_OWNER" "$(password "$PG_OWNER")")'
EOF
  # Each service's own account, as the local runner hands it over (and the tests of the roles read it).
  for name in "${SERVICES[@]}"; do
    upper="${name^^}"
    echo "export PIPELINE_${upper}_RABBITMQ_USER=$name"
    echo "export PIPELINE_${upper}_RABBITMQ_PASSWORD=$(password "$name")"
    if [[ -n "${SVC_TABLES[$name]}" ]]; then
      echo "export PIPELINE_${upper}_POSTGRES='$(pg_connection "$(pg_role "$name")" "$(password "$name")")'"
    fi
  done
}

# ========================================================== docker-compose ===
# The same accounts for docker-compose, passwords from .env (PIPELINE_PASSWORDS_FROM_ENV=1, <ACCOUNT>_PASSWORD).

# The postgres image's first start runs this (docker-entrypoint-initdb.d) on its socket, as the superuser it made.
compose_postgres() {
  export PIPELINE_PASSWORDS_FROM_ENV=1
  local name
  for name in "$PG_ADMIN" "$PG_OWNER" "${SERVICES[@]}"; do password "$name" >/dev/null; done
  PG_ADMIN_HOST=/var/run/postgresql PG_PORT=5432
  pg_ensure_roles
}

# The rabbitmq image's entrypoint, wrapped: the users and permissions become definitions the node loads at boot.
compose_rabbitmq() {
  export PIPELINE_PASSWORDS_FROM_ENV=1
  local name
  for name in "$RMQ_OPERATOR" "${SERVICES[@]}"; do password "$name" >/dev/null; done
  local users permissions
  users="{\"name\":\"$RMQ_OPERATOR\",\"password\":$(json_string "$(password "$RMQ_OPERATOR")"),\"tags\":\"administrator\"}"
  permissions="{\"user\":\"$RMQ_OPERATOR\",\"vhost\":\"/\",\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}"
  for name in "${SERVICES[@]}"; do
    users+=",{\"name\":\"$name\",\"password\":$(json_string "$(password "$name")"),\"tags\":\"\"}"
    permissions+=",{\"user\":\"$name\",\"vhost\":\"/\",\"configure\":$(json_string "$(rmq_permission "$name" configure)")"
    permissions+=",\"write\":$(json_string "$(rmq_permission "$name" write)"),\"read\":$(json_string "$(rmq_permission "$name" read)")}"
  done
  (umask 027
   echo "{\"users\":[$users],\"vhosts\":[{\"name\":\"/\"}],\"permissions\":[$permissions]}" > /etc/rabbitmq/definitions.json
   echo 'load_definitions = /etc/rabbitmq/definitions.json' > /etc/rabbitmq/conf.d/20-pipeline-accounts.conf)
  chown rabbitmq /etc/rabbitmq/definitions.json /etc/rabbitmq/conf.d/20-pipeline-accounts.conf
  exec docker-entrypoint.sh rabbitmq-server
}

# ============================================================= Kubernetes ===
# The same accounts for deploy/kubernetes: the operators' objects and the database's setup are made from the declaration
# above into deploy/kubernetes/base/accounts/ (committed; a test compares them with this output), and each account's
# password into an ignored <account>.env beside them, generated once, never overwritten.
K8S_ACCOUNTS_DIR="${PIPELINE_KUBERNETES_ACCOUNTS:-$REPO_ROOT/deploy/kubernetes/base/accounts}"
K8S_RABBITMQ=pipeline-rabbitmq
K8S_POSTGRES=pipeline-postgres
# KEDA reads the stage queues' depths from the management API with an account that may only look.
K8S_KEDA=keda

k8s_made_by() { echo "# Made by 'scripts/infra.sh kubernetes' from the services it declares: edit the declaration there, not this file."; }

k8s_accounts_kustomization() {
  local name
  k8s_made_by
  cat <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - rabbitmq.yaml
generatorOptions:
  # The operators' objects name these Secrets and the ConfigMap, and kustomize would rename only the core references.
  disableNameSuffixHash: true
secretGenerator:
EOF
  for name in "${SERVICES[@]}" "$K8S_KEDA"; do
    printf '  - name: pipeline-%s\n    envs: [%s.env]\n' "$name" "$name"
  done
  for name in owner "${SERVICES[@]}"; do
    [[ "$name" == owner || -n "${SVC_TABLES[$name]}" ]] || continue
    printf '  - name: pipeline-%s-postgres\n    type: kubernetes.io/basic-auth\n    envs: [%s-postgres.env]\n' "$name" "$name"
  done
  cat <<EOF
  # The status API's operator and viewer tokens, and the detector node's own operator token.
  - name: pipeline-status-api
    envs: [status-api.env]
configMapGenerator:
  - name: pipeline-postgres-setup
    files: [setup.sql]
EOF
}

# A RabbitMQ user per service (and KEDA's), with the permission it has on the local servers, for the messaging topology
# operator.
k8s_rabbitmq_accounts() {
  local name tags configure write read
  k8s_made_by
  for name in "${SERVICES[@]}" "$K8S_KEDA"; do
    if [[ "$name" == "$K8S_KEDA" ]]; then
      tags='[monitoring]'; configure='^$'; write='^$'; read='^$'
    else
      tags='[]'; configure="$(rmq_permission "$name" configure)"; write="$(rmq_permission "$name" write)"; read="$(rmq_permission "$name" read)"
    fi
    cat <<EOF
---
apiVersion: rabbitmq.com/v1beta1
kind: User
metadata:
  name: pipeline-$name
spec:
  rabbitmqClusterReference:
    name: $K8S_RABBITMQ
  tags: $tags
  importCredentialsSecret:
    name: pipeline-$name
---
apiVersion: rabbitmq.com/v1beta1
kind: Permission
metadata:
  name: pipeline-$name
spec:
  rabbitmqClusterReference:
    name: $K8S_RABBITMQ
  vhost: /
  userReference:
    name: pipeline-$name
  permissions:
    configure: '$configure'
    write: '$write'
    read: '$read'
EOF
  done
}

# The database's login roles for CloudNativePG, a patch of the Cluster in ../postgres.yaml (the owner is its initdb's).
k8s_postgres_roles() {
  local name
  k8s_made_by
  cat <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: $K8S_POSTGRES
spec:
  managed:
    roles:
EOF
  for name in "${SERVICES[@]}"; do
    [[ -n "${SVC_TABLES[$name]}" ]] || continue
    printf '      - name: %s\n        ensure: present\n        login: true\n        passwordSecret:\n          name: pipeline-%s-postgres\n' \
      "$(pg_role "$name")" "$name"
  done
}

# What pg_ensure_roles does on the local servers, as the SQL CloudNativePG runs once in the new database, as the
# superuser and before its managed roles exist: they are made here without a login, and the operator gives them one.
k8s_postgres_setup() {
  local name
  k8s_made_by | sed 's/^#/--/'
  for name in "${SERVICES[@]}"; do
    [[ -n "${SVC_TABLES[$name]}" ]] || continue
    echo "do \$\$ begin if not exists (select from pg_roles where rolname = '$(pg_role "$name")') then create role $(pg_role "$name"); end if; end \$\$;"
  done
  echo "revoke all on database $PG_DB from public;"
  echo "create schema if not exists $PG_SCHEMA authorization $PG_OWNER;"
  pg_connect_sql
  pg_grant_function_sql
  echo "alter function public.pipeline_grant_privileges(text) owner to $PG_OWNER;"
  echo "revoke all on function public.pipeline_grant_privileges(text) from public;"
}

# An account's env file for its Secret: its user name and a new password, unless the file is there.
k8s_account_env() { # FILE USERNAME
  [[ -s "$1" ]] && return 0
  (umask 077; printf 'username=%s\npassword=%s\n' "$2" "$(k8s_secret)" > "$1")
  log "kubernetes: made $1"
}
k8s_secret() { head -c 32 /dev/urandom | sha256sum | cut -c1-40; }

kubernetes_accounts() {
  local dir="$K8S_ACCOUNTS_DIR" name
  mkdir -p "$dir"
  k8s_accounts_kustomization > "$dir/kustomization.yaml"
  k8s_rabbitmq_accounts > "$dir/rabbitmq.yaml"
  k8s_postgres_roles > "$dir/postgres-roles.yaml"
  k8s_postgres_setup > "$dir/setup.sql"
  for name in "${SERVICES[@]}" "$K8S_KEDA"; do k8s_account_env "$dir/$name.env" "$name"; done
  k8s_account_env "$dir/owner-postgres.env" "$PG_OWNER"
  [[ -s "$dir/status-api.env" ]] || (umask 077
    printf 'operator-token=%s\nviewer-token=%s\ndetector-node-token=%s\n' "$(k8s_secret)" "$(k8s_secret)" "$(k8s_secret)" > "$dir/status-api.env")
  for name in "${SERVICES[@]}"; do
    [[ -z "${SVC_TABLES[$name]}" ]] || k8s_account_env "$dir/$name-postgres.env" "$(pg_role "$name")"
  done
  log "kubernetes: $dir is up to date; 'kubectl apply -k deploy/kubernetes/overlays/cpu' (or gpu) deploys"
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

usage() { echo "usage: $0 up|down|status|env|browser|permissions|kubernetes (docker-compose runs compose-postgres, compose-rabbitmq)" >&2; exit 2; }

main() {
  [[ $# -eq 1 ]] || usage
  case "$1" in
    up)
      need_root
      mkdir -p "$INFRA_DIR"
      # One `up`/`down` at a time per checkout.
      exec 9>"$INFRA_DIR/.lock"
      flock -w 300 9 || fail "another scripts/infra.sh is running in $REPO_ROOT (lock $INFRA_DIR/.lock)"
      declare_services
      rmq_up
      pg_up
      # No password printed unasked: a terminal's scrollback and a CI log keep what `up` says.
      log "up; 'eval \"\$(scripts/infra.sh env)\"' sets the servers' settings and accounts in a shell (it prints passwords)"
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
    env) declare_services; print_env ;;
    browser) browser_up ;;
    compose-postgres) declare_services; compose_postgres ;;
    # Each service's RabbitMQ permission regex, tab-separated, for the tests that hold the queue names to it.
    permissions) declare_services; for name in "${SERVICES[@]}"; do printf '%s\t%s\t%s\t%s\n' "$name" $(rmq_permissions "$name"); done ;;
    compose-rabbitmq) declare_services; compose_rabbitmq ;;
    kubernetes) declare_services; kubernetes_accounts ;;
    *) usage ;;
  esac
}

main "$@"
