#!/usr/bin/env bash
# Run once by the postgres image on its first start (docker-entrypoint-initdb.d), as the superuser it made:
# the owner, the services' roles and their grants, from scripts/infra.sh's one declaration, passwords from .env.
set -euo pipefail
bash /pipeline/scripts/infra.sh compose-postgres
