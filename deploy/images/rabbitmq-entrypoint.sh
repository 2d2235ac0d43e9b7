#!/bin/bash
# docker-entrypoint.sh of the RabbitMQ stand-in (Debian's rabbitmq-server, with the management plugin): the official
# image's entrypoint, as far as docker-compose.yml relies on it. Debian's rabbitmq-server drops to the rabbitmq user itself.
set -euo pipefail
mkdir -p /etc/rabbitmq/conf.d
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec "$@"
