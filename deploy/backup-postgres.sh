#!/bin/sh
# Backs up Plumbline's PostgreSQL database into one file, in pg_dump's custom format (compressed,
# restorable table by table). Run it from a machine that reaches the database, with PostgreSQL's
# client programs at least as new as the server:
#
#   deploy/backup-postgres.sh postgres://plumbline:secret@db:5432/plumbline plumbline-2026-12-07.dump
#
# The dump is one consistent snapshot while the servers keep running. It holds the records only:
# the photos live in the object store, which keeps its own copies (see docs/deploy.md). The file
# appears under its name only once it was written whole and reads back as a dump.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 DATABASE_URL BACKUP_FILE" >&2
    exit 2
fi
database=$1
file=$2
partial="$file.partial"

pg_dump --format=custom --no-owner --no-privileges --file="$partial" "$database"
# A dump that does not list back is not a backup.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$file"
echo "backed up the Plumbline database into $file ($(wc -c <"$file") bytes)"
