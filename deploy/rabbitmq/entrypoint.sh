#!/bin/bash
# Writes /etc/rabbitmq/rabbitmq.conf from RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS (the first user, created on an empty node) and
# starts RabbitMQ in the foreground as user rabbitmq.
set -euo pipefail
: "${RABBITMQ_DEFAULT_USER:?set RABBITMQ_DEFAULT_USER}"
: "${RABBITMQ_DEFAULT_PASS:?set RABBITMQ_DEFAULT_PASS}"
(
  umask 027
  cat >/etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.default = 5672
default_user = $RABBITMQ_DEFAULT_USER
default_pass = $RABBITMQ_DEFAULT_PASS
default_vhost = /
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
CONF
)
chgrp rabbitmq /etc/rabbitmq/rabbitmq.conf
unset RABBITMQ_DEFAULT_PASS
mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
chown -R rabbitmq: /var/lib/rabbitmq /var/log/rabbitmq
exec "$@"
