import { backupScript } from "../backup/script";

/**
 * SQL Server: `BACKUP DATABASE … WITH CHECKSUM, COMPRESSION` daily and `BACKUP LOG` between
 * (the database is in the FULL recovery model, so logs give point-in-time restore), each
 * followed by `RESTORE VERIFYONLY … WITH CHECKSUM`. SQL Server writes the files itself into
 * the backups volume it mounts at the same path; this script (sqlcmd in SQL Server's image,
 * SQLSERVER, SQLCMDPASSWORD, DATABASE) makes the directory it may write and the manifest.
 *
 * Restore: `restore <full id|latest> [YYYY-MM-DDTHH:MM:SS]` restores that full backup and
 * every later log backup (up to the stop time, when given), then recovers the database.
 *
 * The apps' databases (APP_DATABASES, space-separated; SIMPLE recovery, set by the step
 * app-logins) are in each full backup, one `app-<database>.bak` each, verified the same way and
 * a file of the manifest; `restore <full id|latest> <app database>` puts one back in place.
 */
export const SQLSERVER_BACKUP_SCRIPT = backupScript(String.raw`
SQLCMD="${"$"}{SQLCMD:-/opt/mssql-tools18/bin/sqlcmd}"
tsql() { "$SQLCMD" -S "$SQLSERVER" -U sa -C -b -l 30 -Q "$1"; }

# SQL Server runs as mssql (uid 10001, group 0): it must be able to write the new directory.
# (On Kubernetes the job runs as mssql itself and owns what it makes.)
sqlserver_dir() {
    dir="$(new_backup_dir "$1")"
    if [ "$(id -u)" = 0 ]; then chown 10001:0 "$dir"; fi
    chmod 0770 "$dir"
    echo "$dir"
}

do_backup() {
    kind=full
    [ $# -ge 1 ] && kind="$1"
    if [ "$kind" = log ] && [ -z "$(latest_backup full)" ]; then
        backup_log "no full backup yet: a log backup needs one, taking a full backup first"
        do_backup full > /dev/null
    fi
    if [ "$kind" = log ]; then
        dir="$(sqlserver_dir log)"; file="$dir/$DATABASE.trn"
        tsql "BACKUP LOG [$DATABASE] TO DISK = N'$file' WITH CHECKSUM, COMPRESSION, INIT, FORMAT; RESTORE VERIFYONLY FROM DISK = N'$file' WITH CHECKSUM;"
    else
        dir="$(sqlserver_dir full)"; file="$dir/$DATABASE.bak"
        before="$(row_counts "$DATABASE")"
        tsql "BACKUP DATABASE [$DATABASE] TO DISK = N'$file' WITH CHECKSUM, COMPRESSION, INIT, FORMAT; RESTORE VERIFYONLY FROM DISK = N'$file' WITH CHECKSUM;"
        # The rows of every table before and after: the backup holds a number between them.
        printf '%s\n%s\n' "$before" "$(row_counts "$DATABASE")" | awk -F'|' 'NF == 2 {
                if (!($1 in low) || $2 < low[$1]) low[$1] = $2; if (!($1 in high) || $2 > high[$1]) high[$1] = $2 }
            END { for (t in low) print t "|" low[t] "|" high[t] }' |
            while IFS='|' read -r table least most; do record_count "$dir" "table:$table" "$least" "$most"; done
        for app_db in ${"$"}{APP_DATABASES:-}; do
            file="$dir/app-$app_db.bak"
            tsql "BACKUP DATABASE [$app_db] TO DISK = N'$file' WITH CHECKSUM, COMPRESSION, INIT, FORMAT; RESTORE VERIFYONLY FROM DISK = N'$file' WITH CHECKSUM;"
        done
    fi
    finish_backup "$dir" "$kind"
}

# row_counts <database>: "[schema].[table]|rows" of every user table (sys.partitions: heap or clustered index).
row_counts() {
    "$SQLCMD" -S "$SQLSERVER" -U sa -C -b -l 30 -d "$1" -h -1 -W -s '|' -Q "SET NOCOUNT ON; SELECT QUOTENAME(s.name) + '.' + QUOTENAME(t.name), SUM(p.rows) FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id JOIN sys.partitions AS p ON p.object_id = t.object_id AND p.index_id IN (0, 1) WHERE t.is_ms_shipped = 0 GROUP BY s.name, t.name"
}

# drill_sql <dir> <scratch>: the full backup restored as <scratch>, its files beside the
# database's own (one per file of sys.master_files), then DBCC CHECKDB on the copy.
drill_sql() {
    echo "SET NOCOUNT ON;"
    drop_sql "$2"
    echo "DECLARE @sql nvarchar(max) = N'RESTORE DATABASE [$2] FROM DISK = N''$1/$DATABASE.bak'' WITH CHECKSUM, RECOVERY';"
    echo "SELECT @sql += N', MOVE N''' + REPLACE(name, N'''', N'''''') + N''' TO N''' + CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(400)) + N'$2_' + CAST(file_id AS nvarchar(10)) + CASE type WHEN 1 THEN N'.ldf' ELSE N'.mdf' END + N'''' FROM sys.master_files WHERE database_id = DB_ID(N'$DATABASE');"
    echo "EXEC (@sql);"
    echo "DBCC CHECKDB (N'$2') WITH NO_INFOMSGS, ALL_ERRORMSGS;"
}

drop_sql() {
    echo "IF DB_ID(N'$1') IS NOT NULL BEGIN ALTER DATABASE [$1] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [$1]; END;"
}

# do_drill <dir>: restores the full backup as <database>_drill, checks its integrity, prints
# each counted table's rows there, and drops it. (It needs room for one more copy on the data volume.)
do_drill() (
    scratch="${"$"}{DATABASE}_drill"
    # DRY_RUN=1: the statements on stderr, nothing run (and so nothing counted).
    if [ "$(printenv DRY_RUN || true)" = 1 ]; then { drill_sql "$1" "$scratch"; drop_sql "$scratch"; } >&2; return 0; fi
    trap 'tsql "$(drop_sql "$scratch")" > /dev/null' EXIT
    tsql "$(drill_sql "$1" "$scratch")" >&2
    row_counts "$scratch" | while IFS='|' read -r table rows; do echo "table:$(echo "$table" | sed 's/ /%20/g') $rows"; done
)

# The restore statements: the full backup, each later log backup, then recovery.
restore_sql() {
    full="$1"; stopat="$2"
    stopat_id="$(echo "$stopat" | tr -d ':-')Z"
    stop_clause=""
    [ -n "$stopat" ] && stop_clause=", STOPAT = N'$stopat'"
    echo "IF DB_ID(N'$DATABASE') IS NOT NULL ALTER DATABASE [$DATABASE] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;"
    echo "RESTORE DATABASE [$DATABASE] FROM DISK = N'$full/$DATABASE.bak' WITH CHECKSUM, REPLACE, NORECOVERY;"
    for log in $(ls -1 "$BACKUP_ROOT/$STORE" | sort); do
        case "$log" in *-log) ;; *) continue ;; esac
        [ "$log" \> "$(basename "$full")" ] || continue
        verify_manifest "$BACKUP_ROOT/$STORE/$log" || return 1
        echo "RESTORE LOG [$DATABASE] FROM DISK = N'$BACKUP_ROOT/$STORE/$log/$DATABASE.trn' WITH CHECKSUM, NORECOVERY$stop_clause;"
        if [ -n "$stopat" ] && [ "$log" \> "$stopat_id" ]; then break; fi
    done
    echo "RESTORE DATABASE [$DATABASE] WITH RECOVERY;"
    echo "ALTER DATABASE [$DATABASE] SET MULTI_USER;"
}

# latest_full_before <YYYY-MM-DDTHH:MM:SS>: the newest complete full backup taken before that time.
latest_full_before() {
    until_id="$(echo "$1" | tr -d ':-')Z"
    for dir in $(ls -1d "$BACKUP_ROOT/$STORE"/*-full 2>/dev/null | sort -r); do
        [ "$(basename "$dir")" \< "$until_id" ] || continue
        [ -f "$dir/manifest" ] && { echo "$dir"; return 0; }
    done
    backup_log "no full backup of $STORE before $1: a point-in-time restore starts from one"
    return 1
}

# restore_app_sql <full dir> <app database>: that database back in place from its file of the full backup.
restore_app_sql() {
    echo "IF DB_ID(N'$2') IS NOT NULL ALTER DATABASE [$2] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;"
    echo "RESTORE DATABASE [$2] FROM DISK = N'$1/app-$2.bak' WITH CHECKSUM, REPLACE, RECOVERY;"
    echo "ALTER DATABASE [$2] SET MULTI_USER;"
}

do_restore() {
    stopat=""
    [ $# -ge 2 ] && stopat="$2"
    case "$stopat" in [a-z_]*)
        # An app's database: its file of that full backup (no log backups: SIMPLE recovery).
        if [ "$1" = latest ]; then full="$(latest_backup full)"; else full="$BACKUP_ROOT/$STORE/$1"; fi
        full="$(backup_path "$(basename "$full")")"
        [ -f "$full/app-$stopat.bak" ] || { backup_log "$(basename "$full") holds no database $stopat (app databases: ${"$"}{APP_DATABASES:-none})"; return 1; }
        sql="$(restore_app_sql "$full" "$stopat")"
        backup_log "restoring app database $stopat:"
        echo "$sql" >&2
        if [ "$(printenv DRY_RUN || true)" = 1 ]; then echo "$sql"; return 0; fi
        tsql "$sql"
        backup_log "restored $stopat from $(basename "$full")"
        return 0
        ;;
    esac
    case "$stopat" in "" | [0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]) ;;
        *) backup_log "the point in time must be YYYY-MM-DDTHH:MM:SS (UTC), e.g. 2026-11-23T09:30:00, not '$stopat'"; return 1 ;; esac
    if [ "$1" = latest ] && [ -n "$stopat" ]; then full="$(latest_full_before "$stopat")" || return 1
    elif [ "$1" = latest ]; then full="$(latest_backup full)"; else full="$BACKUP_ROOT/$STORE/$1"; fi
    full="$(backup_path "$(basename "$full")")"
    grep -qx "kind full" "$full/manifest" || { backup_log "$(basename "$full") is not a full backup: restore starts from one"; return 1; }
    sql="$(restore_sql "$full" "$stopat")"
    backup_log "restoring $DATABASE:"
    echo "$sql" >&2
    if [ "$(printenv DRY_RUN || true)" = 1 ]; then echo "$sql"; return 0; fi
    tsql "$sql"
    backup_log "restored $DATABASE from $(basename "$full")$([ -n "$stopat" ] && echo " to $stopat")"
}
`);
