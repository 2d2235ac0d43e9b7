#!/usr/bin/env bash
# The whole pipeline in containers on this machine, from docker-compose.yml, as root on a fresh Debian 12 machine:
#   scripts/compose.sh demo    what `up` does, then a training on the shapes dataset through every stage to Completed
#   scripts/compose.sh up      a Docker engine (Debian's docker.io, started by hand where no systemd runs), the images,
#                              .env (a fresh password per account, once), the stack with four Detectors, the dashboard
#                              on http://127.0.0.1:5080 (STATUS_API_PORT)
#   scripts/compose.sh images  the stand-in base images only
#   scripts/compose.sh down    the stack stopped, its containers and volumes removed
#   scripts/compose.sh pipeline ARGS   the command line (tools/Pipeline.Cli) against the stack: pipeline queues, show ...
# No image registry answers here, so the images docker-compose.yml names by default (the official .NET, RabbitMQ and
# PostgreSQL ones) are replaced by stand-ins made from Debian's packages (debootstrap) and this machine's .NET, built
# once (deploy/images/). PIPELINE_OFFICIAL_IMAGES=1 keeps the official ones, for a machine that can pull them.
# Settings (env): COMPOSE_PROJECT_NAME (pipeline), DETECTOR_REPLICAS (4), PIPELINE_COMPOSE_ITERATIONS (the demo's
# training, 200), PIPELINE_COMPOSE_ENV (the .env file, .env), PIPELINE_DEBIAN_MIRROR (http://deb.debian.org/debian).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD

export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-pipeline}"
# docker-compose builds through the engine's API: the Docker CLI here lacks BuildKit's buildx, and its legacy builder
# would only add a deprecation notice.
export COMPOSE_DOCKER_CLI_BUILD=0
ENV_FILE="${PIPELINE_COMPOSE_ENV:-$REPO_ROOT/.env}"
REPLICAS="${DETECTOR_REPLICAS:-4}"
ITERATIONS="${PIPELINE_COMPOSE_ITERATIONS:-200}"
MIRROR="${PIPELINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# The rootfs folders and the .NET context are large and short-lived: outside the checkout, removed once imported.
WORK_DIR=/var/tmp/pipeline-compose-images

STANDIN_DEBIAN=pipeline-local/debian:bookworm
STANDIN_ASPNET=pipeline-local/dotnet-aspnet:10.0
STANDIN_SDK=pipeline-local/dotnet-sdk:10.0
STANDIN_RABBITMQ=pipeline-local/rabbitmq:3.10
STANDIN_POSTGRES=pipeline-local/postgres:15

log() { echo "[compose] $*" >&2; }
fail() { echo "[compose] error: $*" >&2; exit 1; }
elapsed() { local s=$(( SECONDS - $1 )); printf '%d min %02d s' $(( s / 60 )) $(( s % 60 )); }

compose() { docker-compose --env-file "$ENV_FILE" "$@"; }

# ----------------------------------------------------------------- engine ---
ensure_engine() {
  [[ $(id -u) == 0 ]] || fail "run as root: it installs and starts the Docker engine"
  if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null || ! command -v debootstrap >/dev/null; then
    log "installing Debian's docker.io, docker-compose and debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose debootstrap >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose debootstrap >/dev/null; }
  fi
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd (log: /var/log/pipeline-dockerd.log)"
    nohup dockerd >/var/log/pipeline-dockerd.log 2>&1 &
    local waited=0
    until docker info >/dev/null 2>&1; do
      (( waited++ < 60 )) || fail "dockerd did not answer within 60 s: see /var/log/pipeline-dockerd.log"
      sleep 1
    done
  fi
}

# --------------------------------------------------------------- images ---
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# A Debian 12 root filesystem with the given packages, made by debootstrap into $WORK_DIR/<name>.
rootfs() {
  local name=$1 packages=$2 dir="$WORK_DIR/$1"
  rm -rf "$dir"
  mkdir -p "$WORK_DIR"
  debootstrap --variant=minbase --include="$packages" bookworm "$dir" "$MIRROR" >"$WORK_DIR/$name.log" 2>&1 \
    || fail "debootstrap of $name failed: see $WORK_DIR/$name.log"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
}

import_rootfs() {
  local name=$1 image=$2; shift 2
  tar -C "$WORK_DIR/$name" -c . | docker import "$@" - "$image" >/dev/null
  rm -rf "${WORK_DIR:?}/$name"
}

debian_image() {
  # What .NET needs (ICU, OpenSSL, zlib, time zones, certificates), libgomp for libtorch, wget for the health checks,
  # python3 for the build's TorchSharp patch (Directory.Build.targets).
  rootfs debian ca-certificates,libicu72,libssl3,zlib1g,tzdata,wget,libgomp1,python3-minimal
  import_rootfs debian "$STANDIN_DEBIAN"
}

rabbitmq_image() {
  rootfs rabbitmq rabbitmq-server
  local dir="$WORK_DIR/rabbitmq"
  install -m 755 deploy/images/rabbitmq-entrypoint.sh "$dir/usr/local/bin/docker-entrypoint.sh"
  echo '[rabbitmq_management].' > "$dir/etc/rabbitmq/enabled_plugins"
  mkdir -p "$dir/etc/rabbitmq/conf.d"
  import_rootfs rabbitmq "$STANDIN_RABBITMQ" --change 'ENV RABBITMQ_LOGS=-' --change 'EXPOSE 5672 15672' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["rabbitmq-server"]'
}

postgres_image() {
  rootfs postgres postgresql-15,postgresql-client-15
  local dir="$WORK_DIR/postgres"
  install -m 755 deploy/images/postgres-entrypoint.sh "$dir/usr/local/bin/docker-entrypoint.sh"
  # The package's own cluster (15/main, on whichever port was free in the chroot) would be what psql and pg_isready
  # find: the entrypoint makes the one cluster, on 5432.
  rm -rf "$dir/etc/postgresql/15/main" "$dir/var/lib/postgresql/15"
  import_rootfs postgres "$STANDIN_POSTGRES" --change 'EXPOSE 5432' --change 'ENV PGPORT=5432' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["postgres"]'
}

# The NuGet packages the services restore (their project.assets.json after a restore here), one folder each.
service_packages() {
  local project
  for project in services/*/Pipeline.*.csproj; do dotnet restore "$project" -v q >/dev/null || fail "dotnet restore $project failed"; done
  python3 - <<'PY'
import glob, json
paths = set()
for assets in glob.glob("services/*/obj/project.assets.json"):
    for library in json.load(open(assets))["libraries"].values():
        if library["type"] == "package":
            paths.add(library["path"])
print("\n".join(sorted(paths)))
PY
}

dotnet_images() {
  local dotnet context="$WORK_DIR/dotnet" packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  dotnet="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  rm -rf "$context"
  mkdir -p "$context/runtime" "$context/sdk" "$context/packages"
  # Hard links where the folders share a file system: the context costs no copy.
  cp -al "$dotnet/dotnet" "$dotnet/host" "$dotnet/shared" "$context/runtime/" 2>/dev/null || cp -a "$dotnet/dotnet" "$dotnet/host" "$dotnet/shared" "$context/runtime/"
  local entry
  for entry in "$dotnet"/*; do
    case "$(basename "$entry")" in dotnet|host|shared) ;; *) cp -al "$entry" "$context/sdk/" 2>/dev/null || cp -a "$entry" "$context/sdk/" ;; esac
  done
  local package
  while read -r package; do
    mkdir -p "$context/packages/$(dirname "$package")"
    cp -al "$packages/$package" "$context/packages/$package" 2>/dev/null || cp -a "$packages/$package" "$context/packages/$package"
  done < <(service_packages)
  cat > "$context/NuGet.Config" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="image" value="/root/.nuget/packages" />
  </packageSources>
</configuration>
XML
  local target image
  for target in aspnet sdk; do
    image=$STANDIN_ASPNET; [[ $target == sdk ]] && image=$STANDIN_SDK
    DOCKER_BUILDKIT=0 docker build -f deploy/images/dotnet.Dockerfile --target "$target" \
      --build-arg DEBIAN_IMAGE="$STANDIN_DEBIAN" -t "$image" "$context" >"$WORK_DIR/$target.log" 2>&1 \
      || fail "building $image failed: see $WORK_DIR/$target.log"
  done
  rm -rf "$context"
}

# Each stand-in is made once per engine; its rootfs is downloaded from Debian's mirror, the three side by side.
standin_images() {
  local started=$SECONDS pids=()
  has_image "$STANDIN_DEBIAN" || debian_image & pids+=($!)
  has_image "$STANDIN_RABBITMQ" || rabbitmq_image & pids+=($!)
  has_image "$STANDIN_POSTGRES" || postgres_image & pids+=($!)
  local pid; for pid in "${pids[@]}"; do wait "$pid" || fail "a stand-in image failed (see above)"; done
  has_image "$STANDIN_SDK" && has_image "$STANDIN_ASPNET" || dotnet_images
  log "stand-in images ready in $(elapsed "$started")"
}

use_images() {
  if [[ "${PIPELINE_OFFICIAL_IMAGES:-}" == 1 ]]; then
    return
  fi
  standin_images
  export DOTNET_SDK_IMAGE=$STANDIN_SDK DOTNET_BASE_IMAGE=$STANDIN_ASPNET RABBITMQ_IMAGE=$STANDIN_RABBITMQ POSTGRES_IMAGE=$STANDIN_POSTGRES
}

# ----------------------------------------------------------------- stack ---
# .env from .env.example, each 'change-me' replaced by a fresh secret; an existing file is the user's and stays.
ensure_env() {
  [[ -f "$ENV_FILE" ]] && return
  log "writing $ENV_FILE: a fresh password for every account"
  local line key
  (umask 077
   while IFS= read -r line; do
     key=${line%%=*}
     if [[ $line == *=change-me* ]]; then
       echo "$key=$(head -c 32 /dev/urandom | sha256sum | cut -c1-40)"
     else
       echo "$line"
     fi
   done < .env.example > "$ENV_FILE")
}

env_value() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }
# A variable as docker-compose sees it: this shell's, else .env's, else the default.
setting() { local value="${!1:-}"; [[ -n $value ]] || value=$(env_value "$1"); echo "${value:-$2}"; }
api() { echo "http://127.0.0.1:$(setting STATUS_API_PORT 5080)"; }

up() {
  local started=$SECONDS
  ensure_engine
  use_images
  ensure_env
  local datasets; datasets=$(datasets_folder)
  mkdir -p "$datasets"
  log "building the images (services/Dockerfile)"
  compose build >/dev/null || fail "docker-compose build failed"
  log "starting the stack with $REPLICAS Detectors"
  compose up -d --scale detector="$REPLICAS" || fail "docker-compose up failed"
  local waited=0
  until curl -fs -o /dev/null "$(api)/health/ready"; do
    (( waited++ < 180 )) || fail "the status API is not ready after 180 s: docker-compose logs orchestrator"
    sleep 1
  done
  log "up in $(elapsed "$started"): the dashboard is on $(api) ('pipeline dashboard' prints a login)"
}

datasets_folder() {
  local folder; folder=$(setting DATASETS_FOLDER ./datasets)
  folder=${folder:-./datasets}
  [[ $folder == /* ]] || folder="$REPO_ROOT/${folder#./}"
  echo "$folder"
}

# The command line, built here, given the stack's addresses and the operator's accounts from .env.
pipeline() {
  PIPELINE_RABBITMQ_HOST=127.0.0.1 PIPELINE_RABBITMQ_PORT="$(setting RABBITMQ_PORT 5672)" PIPELINE_RABBITMQ_USER=operator \
  PIPELINE_RABBITMQ_PASSWORD="$(env_value OPERATOR_PASSWORD)" \
  PIPELINE_RABBITMQ_MANAGEMENT_URL="http://127.0.0.1:$(setting RABBITMQ_MANAGEMENT_PORT 15672)" \
  PIPELINE_API="$(api)" PIPELINE_API_TOKEN="$(env_value STATUS_API_OPERATOR_TOKEN)" \
  PIPELINE_DATASETS_FOLDER="$(datasets_folder)" PIPELINE_DATASETS_URI=file:///datasets \
    dotnet tools/Pipeline.Cli/bin/Release/net10.0/Pipeline.Cli.dll "$@"
}

build_cli() {
  log "building the command line"
  dotnet build tools/Pipeline.Cli -c Release -v q -nologo >/dev/null || fail "building tools/Pipeline.Cli failed"
}

demo() {
  local started=$SECONDS
  build_cli
  up
  local manifest training_started=$SECONDS
  manifest=$(pipeline shapes "$(datasets_folder)/shapes" | tail -n 1)
  log "training on $manifest ($ITERATIONS iterations)"
  pipeline begin "$manifest" --iterations "$ITERATIONS" --org demo --project shapes --watch
  # On standard output, with the training's own summary.
  echo "[compose] trained to Completed in $(elapsed "$training_started"); fresh start to Completed in $(elapsed "$started")"
}

down() {
  ensure_engine
  [[ -f "$ENV_FILE" ]] || ENV_FILE=.env.example
  compose down --volumes --remove-orphans
}

case "${1:-}" in
  demo) demo ;;
  up) up ;;
  images) ensure_engine; standin_images ;;
  down) down ;;
  pipeline) shift; [[ -f tools/Pipeline.Cli/bin/Release/net10.0/Pipeline.Cli.dll ]] || build_cli; pipeline "$@" ;;
  *) echo "usage: $0 demo|up|images|down|pipeline ARGS" >&2; exit 2 ;;
esac
