# Sourced by scripts/test.sh and scripts/bench.sh: run a command against a throwaway
# PostgreSQL cluster made by pg_virtualenv, with DATABASE_URL and ASPIRE_PG_CTL set.
#
# As root, pg_virtualenv keeps its "regress" cluster in /etc/postgresql and refuses to
# start if one is there. A run that was killed (a CI timeout, a machine restart) leaves
# one behind: drop it when pg_virtualenv made it and it is not running; a running one
# belongs to another run, so stop with a clear message instead.
clear_stale_regress_clusters() {
    [ "$(id -u)" = 0 ] || return 0
    local conf
    for conf in /etc/postgresql/*/regress; do
        [ -f "$conf/.by_pg_virtualenv" ] || continue
        local version
        version="$(basename "$(dirname "$conf")")"
        if pg_ctlcluster "$version" regress status >/dev/null 2>&1; then
            echo "A throwaway PostgreSQL $version/regress is running (another test run?)." >&2
            echo "Stop it with: pg_dropcluster --stop $version regress" >&2
            return 1
        fi
        echo "==> Dropping the throwaway PostgreSQL $version/regress left by a killed run"
        rm -f "$conf/.by_pg_virtualenv"  # as pg_virtualenv does: pg_dropcluster leaves files it did not make
        pg_dropcluster "$version" regress 2>/dev/null || true
        rm -rf "$conf" "/var/lib/postgresql/$version/regress"
    done
}

# with_throwaway_postgres CMD [ARGS...]: run CMD inside pg_virtualenv.
with_throwaway_postgres() {
    clear_stale_regress_clusters
    pg_virtualenv bash -c '
        # The load test stops and starts this cluster mid-load (tests/e2e/test_gunicorn_load.py).
        export ASPIRE_PG_CTL="pg_ctlcluster $PGVERSION regress"
        export DATABASE_URL="$(.venv/bin/python -c "import os, urllib.parse as u; print(\"postgres://%s:%s@%s:%s/%s\" % (os.environ[\"PGUSER\"], u.quote(os.environ[\"PGPASSWORD\"], safe=\"\"), os.environ[\"PGHOST\"], os.environ[\"PGPORT\"], os.environ[\"PGDATABASE\"]))")"
        exec "$@"
    ' with-throwaway-postgres "$@"
}
