import { backupScript } from "../backup/script";

/**
 * Valkey/Redis: an RDB snapshot streamed from the server (`--rdb`, the CLI from REDIS_CLI, over TLS with REDIS_CACERT;
 * the password from REDISCLI_AUTH/VALKEYCLI_AUTH), its keys counted by REDIS_CHECK_RDB. Restore runs while the server is stopped:
 * a server with AOF on ignores an RDB file, so a temporary server (REDIS_SERVER, on a unix
 * socket only) loads the snapshot and rewrites it as the AOF the real server then loads.
 * Nothing is deleted: the previous files stay beside it with a `.before-restore-<time>` suffix.
 */
export const REDIS_BACKUP_SCRIPT = backupScript(String.raw`
# The CLI against the server: over TLS, verified with the CA file REDIS_CACERT, when one is given.
remote_cli() {
    if [ -n "${"$"}{REDIS_CACERT:-}" ]; then set -- --tls --cacert "$REDIS_CACERT" "$@"; fi
    "$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning "$@"
}

do_backup() {
    dir="$(new_backup_dir full)"
    remote_cli --rdb "$dir/dump.rdb" >&2
    magic="$(head -c 5 "$dir/dump.rdb")"
    case "$magic" in REDIS|VALKE) ;; *) backup_log "$dir/dump.rdb is not an RDB file"; return 1 ;; esac
    # The server's own loader reads every key and the file's checksum, keeping none of them. A
    # server that loads the snapshot later holds every key without a TTL and at most those not
    # expired now: the range the drill checks.
    report="$("$REDIS_CHECK_RDB" "$dir/dump.rdb" 2>&1)" || { echo "$report" >&2; backup_log "$dir/dump.rdb fails $REDIS_CHECK_RDB"; return 1; }
    info() { echo "$report" | sed -n "s/^\[info\] \([0-9]*\) $1\$/\1/p"; }
    keys="$(info "keys read")"; expires="$(info expires)"; expired="$(info "already expired")"
    [ -n "$keys" ] && [ -n "$expires" ] && [ -n "$expired" ] || { echo "$report" >&2; backup_log "could not read the key count of $REDIS_CHECK_RDB"; return 1; }
    record_count "$dir" keys "$((keys - expires))" "$((keys - expired))"
    finish_backup "$dir" full
}

# scratch_server <data dir> <socket>: a server on a unix socket only, loading <data dir>/dump.rdb, without AOF.
scratch_server() {
    "$REDIS_SERVER" --port 0 --unixsocket "$2" --dir "$1" --dbfilename dump.rdb --appendonly no --save "" \
        --daemonize yes --pidfile "$2.pid" --logfile "$2.log"
    tries=0
    until [ "$(env -u REDISCLI_AUTH -u VALKEYCLI_AUTH "$REDIS_CLI" -s "$2" ping 2>/dev/null)" = PONG ]; do
        tries=$((tries + 1))
        # A server that cannot load the snapshot exits: its pid file names a process that is gone.
        if [ "$tries" -ge 600 ] || { [ -s "$2.pid" ] && ! kill -0 "$(cat "$2.pid")" 2>/dev/null; }; then
            backup_log "the scratch server did not start (or could not load the snapshot):"; cat "$2.log" >&2; return 1
        fi
        sleep 1
    done
}

# do_drill <dir>: loads the snapshot into a scratch server of its own (as much memory as the
# data; its copy of the snapshot beside the backups, where there is room for one), prints its
# key count, and removes it.
do_drill() (
    scratch="$(mktemp -d "$BACKUP_ROOT/.drill.XXXXXX")"
    trap 'env -u REDISCLI_AUTH -u VALKEYCLI_AUTH "$REDIS_CLI" -s "$scratch/s.sock" shutdown nosave > /dev/null 2>&1; rm -rf "$scratch"' EXIT
    cp "$1/dump.rdb" "$scratch/dump.rdb"
    scratch_server "$scratch" "$scratch/s.sock"
    echo "keys $(env -u REDISCLI_AUTH -u VALKEYCLI_AUTH "$REDIS_CLI" -s "$scratch/s.sock" dbsize)"
)

do_restore() {
    # Never under a running server (Kubernetes: a pod on the same node could mount its volume too).
    if [ -n "$(printenv REDIS_HOST || true)" ] && [ "$(remote_cli ping 2>/dev/null)" = PONG ]; then
        backup_log "refusing to restore: $REDIS_HOST:$REDIS_PORT still answers; stop the server first"
        return 1
    fi
    dir="$(backup_path "$1")"
    data="$REDIS_DATA_DIR"
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    for old in appendonlydir dump.rdb; do
        if [ -e "$data/$old" ]; then mv "$data/$old" "$data/$old.before-restore-$stamp"; fi
    done
    cp "$dir/dump.rdb" "$data/dump.rdb.tmp"
    mv "$data/dump.rdb.tmp" "$data/dump.rdb"
    sock="/tmp/llm-platform-restore.sock"
    local_cli() { env -u REDISCLI_AUTH -u VALKEYCLI_AUTH "$REDIS_CLI" -s "$sock" "$@"; }
    scratch_server "$data" "$sock"
    keys="$(local_cli dbsize)"
    local_cli config set appendonly yes > /dev/null
    tries=0
    until local_cli info persistence | tr -d '\r' | grep -qx 'aof_rewrite_in_progress:0' &&
        local_cli info persistence | tr -d '\r' | grep -qx 'aof_rewrite_scheduled:0' &&
        [ -d "$data/appendonlydir" ]; do
        tries=$((tries + 1)); [ "$tries" -lt 600 ] || { backup_log "the AOF rewrite did not finish"; return 1; }
        sleep 1
    done
    local_cli shutdown nosave > /dev/null 2>&1 || true
    backup_log "restored $(basename "$dir") into $data: $keys keys, written as the AOF the server loads at its next start"
}
`);
