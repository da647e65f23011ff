import { backupScript } from "../backup/script";

/**
 * TimescaleDB: `pg_dump -Fc` of the database (libpq env: PGHOST, PGUSER, PGPASSWORD,
 * PGDATABASE). Restore recreates the database and wraps pg_restore in
 * timescaledb_pre_restore()/timescaledb_post_restore() when the extension exists.
 */
export const TIMESCALE_BACKUP_SCRIPT = backupScript(String.raw`
do_backup() {
    dir="$(new_backup_dir full)"
    pg_dump --format=custom --no-password --file="$dir/$PGDATABASE.dump" "$PGDATABASE"
    # The archive's table of contents must read back.
    pg_restore --list "$dir/$PGDATABASE.dump" > /dev/null
    finish_backup "$dir" full
}

# do_restore <id|latest> [target database]: replaces the target (default: the configured database).
do_restore() {
    dir="$(backup_path "$1")"
    target="$PGDATABASE"
    [ $# -ge 2 ] && target="$2"
    dump="$(ls "$dir"/*.dump)"
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
