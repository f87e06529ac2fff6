#!/bin/bash
# A streaming replica of postgres-primary: cloned with pg_basebackup -R on first start,
# exactly as tools/infra does it, then run as a hot standby.
set -euo pipefail
PGDATA=/var/lib/postgresql/data/pgdata
# The replicator role's password: the pg_password secret (pg_basebackup -R keeps it in primary_conninfo).
PGPASSWORD="$(cat /run/secrets/pg_password)"
export PGPASSWORD
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chown -R postgres:postgres /var/lib/postgresql/data && chmod 700 "$PGDATA"
  until gosu postgres pg_basebackup -h postgres-primary -U replicator -D "$PGDATA" -R -X stream -S tenk_replica -C -c fast; do
    echo "waiting for the primary..."; sleep 2
  done
fi
exec gosu postgres postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on -c max_connections=400
