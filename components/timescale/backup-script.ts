import { backupScript } from "../backup/script";

/**
 * TimescaleDB: `pg_dump -Fc` of the database (libpq env: PGHOST, PGUSER, PGPASSWORD,
 * PGDATABASE). Restore recreates the database and wraps pg_restore in
 * timescaledb_pre_restore()/timescaledb_post_restore() when the extension exists.
 * The apps' databases (APP_DATABASES, space-separated) go into the same backup, one
 * `app-<database>.dump` each (with --create: the database's owner and grants come back with
 * it), each a file of the manifest; `restore <id> <app database>` puts one back in place.
 */
export const TIMESCALE_BACKUP_SCRIPT = backupScript(String.raw`
do_backup() {
    dir="$(new_backup_dir full)"
    pg_dump --format=custom --no-password --file="$dir/$PGDATABASE.dump" "$PGDATABASE"
    # The archive's table of contents must read back.
    pg_restore --list "$dir/$PGDATABASE.dump" > /dev/null
    for app_db in ${"$"}{APP_DATABASES:-}; do
        pg_dump --format=custom --create --no-password --file="$dir/app-$app_db.dump" "$app_db"
        pg_restore --list "$dir/app-$app_db.dump" > /dev/null
    done
    # The rows of every table, counted in the dump itself: what a restore must give back (the
    # drill compares). TimescaleDB's catalog is restored by its own functions, so only chunks
    # are counted of its schemas.
    pg_restore --data-only --file=- "$dir/$PGDATABASE.dump" | awk '
        /^COPY / { table = substr($0, 6); sub(/ (\(.*\) )?FROM stdin;$/, "", table); rows = 0; copying = 1; next }
        copying && $0 == "\\." { copying = 0
            if (table ~ /^_timescaledb_(catalog|config)\./) next
            if (table ~ /^_timescaledb_internal\./ && table !~ /\.(_hyper|compress_hyper)_[0-9]+_[0-9]+_chunk$/) next
            print rows " " table; next }
        copying { rows++ }' | while read -r rows table; do record_count "$dir" "table:$table" "$rows" "$rows"; done
    finish_backup "$dir" full
}

# The database a drill restores into, dropped again afterwards.
drop_database() {
    psql -v ON_ERROR_STOP=1 -v target="$1" -d postgres -q <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'target' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS :"target";
SQL
}

# do_drill <dir>: restores into <database>_drill (the same restore as do_restore), prints each
# counted table's rows there, and drops it.
do_drill() (
    scratch="${"$"}{PGDATABASE}_drill"
    trap 'drop_database "$scratch" > /dev/null' EXIT
    do_restore "$(basename "$1")" "$scratch" > /dev/null
    sed -n 's/^count \(table:[^ ]*\) .*/\1/p' "$1/manifest" | while read -r what; do
        table="$(echo "${"$"}{what#table:}" | sed 's/%20/ /g')"
        echo "$what $(psql -v ON_ERROR_STOP=1 -tA -d "$scratch" -c "SELECT count(*) FROM ONLY $table")"
    done
)

# do_restore <id|latest> [target database]: replaces the target (default: the configured database).
do_restore() {
    dir="$(backup_path "$1")"
    target="$PGDATABASE"
    [ $# -ge 2 ] && target="$2"
    if [ -f "$dir/app-$target.dump" ]; then
        # An app's database, in place: dropped, then re-created by the dump with its owner and grants.
        backup_log "restoring app database $target from $(basename "$dir")"
        drop_database "$target" > /dev/null
        pg_restore --create --exit-on-error --dbname=postgres "$dir/app-$target.dump"
        backup_log "restored $(basename "$dir") into $target"
        return 0
    fi
    dump="$dir/$PGDATABASE.dump"
    backup_log "restoring $(basename "$dir") into database $target"
    psql -v ON_ERROR_STOP=1 -v target="$target" -d postgres -q <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'target' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS :"target";
CREATE DATABASE :"target";
SQL
    timescale="$(psql -tA -d "$target" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'")"
    if [ "$timescale" = 1 ]; then
        psql -v ON_ERROR_STOP=1 -q -d "$target" -c "CREATE EXTENSION IF NOT EXISTS timescaledb" -c "SELECT timescaledb_pre_restore()"
        # The dump re-creates the extension, which exists already: pg_restore reports that and goes on.
        pg_restore --no-owner --dbname="$target" "$dump" || backup_log "pg_restore reported errors (above); checking the result"
        psql -v ON_ERROR_STOP=1 -q -d "$target" -c "SELECT timescaledb_post_restore()"
    else
        pg_restore --no-owner --exit-on-error --dbname="$target" "$dump"
    fi
    backup_log "restored $(basename "$dir") into $target"
}
`);
