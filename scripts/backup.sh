#!/usr/bin/env bash
# backup.sh [DATABASE] [DIRECTORY]: dump DATABASE (default aspire) into DIRECTORY
# (default /var/backups/aspire) as DATABASE-YYYY-MM-DD.dump, PostgreSQL's custom format,
# and delete that database's dumps older than 30 days. Prints the file's name.
#
# Run it as a role that can read every table: the postgres superuser (README's cron line
# runs it with `sudo -u postgres`) or the app's own role, which owns them. It connects as
# libpq does: PGHOST, PGPORT, PGUSER, PGPASSWORD or the local socket.
#
# A dump holds patients' names, phone numbers and notes, and staff password hashes:
# it is made readable by its owner only (umask 077: the file 600, the directory 700).
# Left out:
# - the rows of django_session: a session key in a cookie is a login, so a dump holding
#   them would let anyone who reads it act as a signed-in receptionist until the session
#   ends. After a restore everyone signs in again.
# - the cache table (aspire_cache), rows and all: pages that are made again on demand;
#   `manage.py migrate` on the restored database creates the table again.
set -euo pipefail
umask 077
database="${1:-aspire}"
directory="${2:-/var/backups/aspire}"
mkdir -p "$directory"
chmod 700 "$directory"
file="$directory/$database-$(date +%F).dump"
# A dump cut short (a full disk, a killed run) stays a .partial and is never taken for a backup.
pg_dump --format=custom --exclude-table-data=django_session --exclude-table=aspire_cache \
    --file="$file.partial" "$database"
mv "$file.partial" "$file"
find "$directory" -name "$database-*.dump" -mtime +30 -delete
echo "$file"
