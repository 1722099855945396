#!/usr/bin/env bash
# restore.sh DUMP NEW_DATABASE [APP_ROLE]: restore a dump made by backup.sh into a new
# database owned by the app's role (default aspire), every table, sequence and index
# owned by that role too, so that the app can run `manage.py migrate` on it (which
# also makes the cache table again). Run it as the postgres superuser, as backup.sh.
#
# All or nothing: one transaction, stopped at the first error.
set -euo pipefail
dump="$1"
database="$2"
role="${3:-aspire}"
createdb --owner="$role" "$database"
# --no-owner --role: every object is made by the app's role, whoever owned it when dumped.
pg_restore --no-owner --role="$role" --single-transaction --exit-on-error --dbname="$database" "$dump"
echo "Restored $dump into $database, owned by $role. Now run: manage.py migrate (with DATABASE_URL on $database)."
