import { backupScript } from "../backup/script";

/**
 * Qdrant: a snapshot of the collection through its API (QDRANT_URL, QDRANT_API_KEY,
 * COLLECTION), downloaded and checked against the checksum Qdrant reports, then deleted on
 * the server to free its disk. Restore uploads it with snapshot priority.
 */
export const QDRANT_BACKUP_SCRIPT = backupScript(String.raw`
qdrant() { curl -fsS -H "api-key: $QDRANT_API_KEY" "$@"; }
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# points <collection>: its exact number of points.
points() {
    qdrant -X POST -H 'Content-Type: application/json' -d '{"exact":true}' "$QDRANT_URL/collections/$1/points/count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}

do_backup() {
    dir="$(new_backup_dir snapshot)"
    # The points before and after the snapshot: what a restore gives back lies between them.
    before="$(points "$COLLECTION")"
    created="$(qdrant -X POST "$QDRANT_URL/collections/$COLLECTION/snapshots?wait=true")"
    name="$(echo "$created" | json_field name)"
    checksum="$(echo "$created" | json_field checksum)"
    [ -n "$name" ] || { backup_log "Qdrant did not name the snapshot: $created"; return 1; }
    qdrant -o "$dir/$name" "$QDRANT_URL/collections/$COLLECTION/snapshots/$name"
    actual="$(sha256sum "$dir/$name" | cut -d ' ' -f 1)"
    if [ -z "$checksum" ] || [ "$actual" != "$checksum" ]; then
        backup_log "snapshot $name: sha256 $actual, Qdrant reported '$checksum'"
        return 1
    fi
    qdrant -X DELETE "$QDRANT_URL/collections/$COLLECTION/snapshots/$name" > /dev/null || backup_log "could not delete $name on the server"
    after="$(points "$COLLECTION")"
    [ -n "$before" ] && [ -n "$after" ] || { backup_log "could not count the points of $COLLECTION"; return 1; }
    if [ "$before" -le "$after" ]; then record_count "$dir" points "$before" "$after"; else record_count "$dir" points "$after" "$before"; fi
    finish_backup "$dir" snapshot
}

# do_drill <dir>: uploads the snapshot as a scratch collection <collection>-drill on the same
# server (as the restore uploads it), prints its points, and deletes it.
do_drill() (
    scratch="$COLLECTION-drill"
    trap 'qdrant -X DELETE "$QDRANT_URL/collections/$scratch" > /dev/null 2>&1 || true' EXIT
    qdrant -X DELETE "$QDRANT_URL/collections/$scratch" > /dev/null 2>&1 || true
    file="$(ls "$1" | grep -v '^manifest$' | head -n 1)"
    qdrant -X POST -F "snapshot=@$1/$file" "$QDRANT_URL/collections/$scratch/snapshots/upload?priority=snapshot&wait=true" > /dev/null
    echo "points $(points "$scratch")"
)

do_restore() {
    dir="$(backup_path "$1")"
    file="$(ls "$dir" | grep -v '^manifest$' | head -n 1)"
    qdrant -X POST -F "snapshot=@$dir/$file" "$QDRANT_URL/collections/$COLLECTION/snapshots/upload?priority=snapshot&wait=true" > /dev/null
    backup_log "restored collection $COLLECTION from $(basename "$dir")"
}
`);
