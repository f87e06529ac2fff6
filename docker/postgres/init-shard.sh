#!/bin/bash
# Runs once, when a shard server's data folder is created (docker-compose.cluster.yml): its
# order shard databases (TENK_SHARD_DATABASES, e.g. shard_0,shard_1), owned by the tenk role,
# each with pg_stat_statements as on the primary. migrate then makes their tables.
set -euo pipefail
: "${TENK_SHARD_DATABASES:?the shard databases of this server, e.g. TENK_SHARD_DATABASES=shard_0,shard_1}"
for db in ${TENK_SHARD_DATABASES//,/ }; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE $db OWNER ${POSTGRES_USER}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
done
