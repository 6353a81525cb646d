#!/bin/sh
# Restores a dump made by backup-postgres.sh into an empty database, whole or not at all:
#
#   createdb -h db -U postgres -O plumbline plumbline_restored
#   deploy/restore-postgres.sh plumbline-2026-12-07.dump postgres://plumbline:secret@db:5432/plumbline_restored
#
# Then point the servers at the restored database (--database or [db] url); at start they apply
# any migration the dump lacks. It refuses a database that holds tables already, so that it
# never mixes two histories, and it restores in one transaction, so that a failure leaves the
# database empty again. Finally it prints what the restored database holds, to compare with the
# figures the office saw.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 BACKUP_FILE DATABASE_URL" >&2
    exit 2
fi
file=$1
database=$2

if [ ! -r "$file" ]; then
    echo "cannot read the backup $file" >&2
    exit 1
fi
tables=$(psql -X -A -t -q -d "$database" -c \
    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "refusing to restore: the database already holds $tables tables; restore into a new, empty database" >&2
    exit 1
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
    --dbname="$database" "$file"

psql -X -A -t -q -d "$database" -c "SELECT
    'restored: ' || (SELECT count(*) FROM docs) || ' documents, '
    || (SELECT count(*) FROM cases) || ' case records, '
    || (SELECT count(*) FROM blobs) || ' photos recorded, last migration '
    || (SELECT max(name) FROM schema_migrations)"
