#!/bin/bash
# Runs once, when the primary's data folder is created: what tools/infra's provision step does.
set -euo pipefail
# The image's entrypoint has read POSTGRES_PASSWORD_FILE (the pg_password secret) into POSTGRES_PASSWORD.
POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-$(cat "${POSTGRES_PASSWORD_FILE}")}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD '${POSTGRES_PASSWORD}';
GRANT pg_monitor TO ${POSTGRES_USER};
SQL
for db in shop ${TENK_SHARD_DATABASES//,/ }; do
  if [ "$db" != "shop" ]; then psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE $db OWNER ${POSTGRES_USER}"; fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
done
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
