import { backupScript } from "../backup/script";
import { QDRANT_CA_SETUP } from "./ca";

/**
 * Qdrant, through its API (QDRANT_URL, QDRANT_API_KEY, COLLECTION), as one node or a cluster.
 * One backup holds the platform's collection and every app's (APP_COLLECTIONS, space-separated),
 * each file named in the manifest with its collection (`snapshot <collection> <file> <sha256>` on
 * one node), each collection's points counted (`points`, an app's `points:<collection>`);
 * `backup.sh restore <id> [collection]` restores one of them (default: the platform's).
 *
 * One node (`GET /cluster` says `disabled`): a snapshot of the collection, downloaded and checked
 * against the checksum Qdrant reports, then deleted on the server to free its disk. Restore uploads
 * it with snapshot priority.
 *
 * A cluster: the peers come from `GET /cluster` (their p2p URIs; the API is the same host at
 * QDRANT_PEER_PORT), each peer's local shards from `GET /collections/<c>/cluster`; every shard of
 * every peer is snapshotted on that peer (`POST /collections/<c>/shards/<id>/snapshots`), downloaded,
 * checked against Qdrant's checksum and freed, and the manifest names it:
 * `shard <collection> <shard id> <peer id> <file> <sha256>`. COLLECTION_BODY (the collection's
 * creation body) is kept beside them. Restore, into the same or a fresh cluster: creates the
 * collection from that body when it is missing, then uploads each shard's snapshot to every peer
 * that holds a replica of it (`POST /collections/<c>/shards/<id>/snapshots/upload?priority=snapshot`,
 * with the checksum, which Qdrant checks again: openapi.json of v1.19, its `checksum` parameter).
 */
export const QDRANT_BACKUP_SCRIPT = backupScript(String.raw`
${QDRANT_CA_SETUP}
qdrant() { curl -fsS -H "api-key: $QDRANT_API_KEY" "$@"; }
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
peer_port() { printenv QDRANT_PEER_PORT || echo 6333; }

# points <collection>: its exact number of points.
points() {
    qdrant -X POST -H 'Content-Type: application/json' -d '{"exact":true}' "$QDRANT_URL/collections/$1/points/count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}

# peers: "<peer id> <API url>" of every peer of the cluster; nothing when Qdrant runs as one node.
peers() {
    qdrant "$QDRANT_URL/cluster" | tr -d ' \n' | grep -o '"[0-9]*":{"uri":"[^"]*"' | sed 's#^"\([0-9]*\)":{"uri":"\([a-z]*://[^:/]*\).*#\1 \2:'"$(peer_port)"'#'
}

# local_shards <peer url> <collection>: the ids of the shards that peer holds.
local_shards() {
    qdrant "$1/collections/$2/cluster" | tr -d ' \n' | sed -n 's/.*"local_shards":\[\([^]]*\)\].*/\1/p' | grep -o '"shard_id":[0-9]*' | cut -d : -f 2
}

# snapshot_to <dir> <file> <snapshots url>: creates a snapshot, downloads it as <file> (empty: the
# name Qdrant gives it), checks it against the checksum Qdrant reports and frees it on the server; prints "<file> <sha256>".
snapshot_to() {
    created="$(qdrant -X POST "$3?wait=true")" || return 1
    name="$(echo "$created" | json_field name)"
    checksum="$(echo "$created" | json_field checksum)"
    [ -n "$name" ] || { backup_log "Qdrant did not name the snapshot: $created"; return 1; }
    file="${"$"}{2:-$name}"
    qdrant -o "$1/$file" "$3/$name" || return 1
    actual="$(sha256sum "$1/$file" | cut -d ' ' -f 1)"
    if [ -z "$checksum" ] || [ "$actual" != "$checksum" ]; then
        backup_log "snapshot $name: sha256 $actual, Qdrant reported '$checksum'"
        return 1
    fi
    qdrant -X DELETE "$3/$name" > /dev/null || backup_log "could not delete $name on the server"
    echo "$file $actual"
}

# backup_collection <dir> <collection> <count name>: its snapshot (one node) or every shard of every
# peer (a cluster) into <dir>, a manifest entry per file and the count of its points.
backup_collection() {
    dir="$1"; c="$2"
    # The points before and after the snapshot: what a restore gives back lies between them.
    before="$(points "$c")"
    list="$(peers)"
    if [ -z "$list" ]; then
        out="$(snapshot_to "$dir" "" "$QDRANT_URL/collections/$c/snapshots")" || return 1
        record_entry "$dir" snapshot "$c" $out
    else
        echo "$list" | while read -r peer url; do
            ids="$(local_shards "$url" "$c")" || { backup_log "could not list the shards of peer $peer ($url)"; exit 1; }
            for shard in $ids; do
                file="$c-shard-$shard-peer-$peer.snapshot"
                out="$(snapshot_to "$dir" "$file" "$url/collections/$c/shards/$shard/snapshots")" || exit 1
                record_entry "$dir" shard "$c" "$shard" "$peer" $out
            done
        done || return 1
        shards="$(grep -c "^shard $c " "$dir/.entries" 2>/dev/null || true)"
        [ "${"$"}{shards:-0}" -gt 0 ] || { backup_log "no shard of $c on any peer was captured"; return 1; }
        backup_log "$shards shard snapshot(s) of $c from $(echo "$list" | wc -l | tr -d ' ') peer(s)"
    fi
    after="$(points "$c")"
    [ -n "$before" ] && [ -n "$after" ] || { backup_log "could not count the points of $c"; return 1; }
    if [ "$before" -le "$after" ]; then record_count "$dir" "$3" "$before" "$after"; else record_count "$dir" "$3" "$after" "$before"; fi
}

# The count of a collection in the manifest: the platform's is "points", an app's "points:<collection>".
count_name() { if [ "$1" = "$COLLECTION" ]; then echo points; else echo "points:$1"; fi; }

# The platform's collection and every app's (APP_COLLECTIONS, space-separated), in one backup.
do_backup() {
    dir="$(new_backup_dir snapshot)"
    # A cluster's restore creates a missing collection with it (a fresh cluster); the apps' have the same body.
    if [ -n "$(peers)" ]; then
        : "$COLLECTION_BODY"
        printf '%s' "$COLLECTION_BODY" > "$dir/collection.json"
    fi
    for c in $COLLECTION ${"$"}{APP_COLLECTIONS:-}; do
        backup_collection "$dir" "$c" "$(count_name "$c")" || return 1
    done
    finish_backup "$dir" snapshot
}

# restore_shards <backup dir> <collection> <target>: the target (created from the backup's body
# when missing) gets each shard's snapshot of the collection on every peer that holds a replica of it.
restore_shards() {
    dir="$1"; source="$2"; target="$3"
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "api-key: $QDRANT_API_KEY" "$QDRANT_URL/collections/$target")" || code=000
    if [ "$code" = 404 ]; then
        qdrant -X PUT -H 'Content-Type: application/json' --data-binary "@$dir/collection.json" "$QDRANT_URL/collections/$target?wait=true" > /dev/null || return 1
        backup_log "created collection $target from the backup's configuration"
    elif [ "$code" != 200 ]; then
        backup_log "unexpected HTTP $code for collection $target"; return 1
    fi
    list="$(peers)" || return 1
    [ -n "$list" ] || { backup_log "this backup holds shard snapshots of a cluster: restore it into a Qdrant cluster"; return 1; }
    echo "$list" | while read -r peer url; do
        ids="$(local_shards "$url" "$target")" || { backup_log "could not list the shards of peer $peer ($url)"; exit 1; }
        for shard in $ids; do
            # Any replica's snapshot of the shard: they hold the same points.
            entry="$(awk -v c="$source" -v s="$shard" '$1 == "shard" && $2 == c && $3 == s { print $5, $6; exit }' "$dir/manifest")"
            file="${"$"}{entry% *}"; sum="${"$"}{entry#* }"
            [ -n "$file" ] || { backup_log "the backup has no snapshot of shard $shard of $source (peer $peer holds it): its shard count differs"; exit 1; }
            qdrant -X POST -F "snapshot=@$dir/$file" "$url/collections/$target/shards/$shard/snapshots/upload?priority=snapshot&checksum=$sum&wait=true" > /dev/null || exit 1
            backup_log "shard $shard of $target on peer $peer recovered from $file"
        done
    done
}

# restore_collection <backup dir> <collection> <target>: the collection's snapshot(s) uploaded as <target>.
restore_collection() {
    dir="$1"; source="$2"; target="$3"
    if grep -q "^shard $source " "$dir/manifest"; then
        restore_shards "$dir" "$source" "$target"
        return
    fi
    file="$(awk -v c="$source" '$1 == "snapshot" && $2 == c { print $3; exit }' "$dir/manifest")"
    # A backup from before the apps' collections: the platform's snapshot is its one file.
    if [ -z "$file" ] && [ "$source" = "$COLLECTION" ] && ! grep -qE '^(snapshot|shard) ' "$dir/manifest"; then
        file="$(ls "$dir" | grep -v '^manifest$' | head -n 1)"
    fi
    [ -n "$file" ] || { backup_log "backup $(basename "$dir") holds no snapshot of collection $source"; return 1; }
    qdrant -X POST -F "snapshot=@$dir/$file" "$QDRANT_URL/collections/$target/snapshots/upload?priority=snapshot&wait=true" > /dev/null
}

# do_drill <dir>: restores every collection of the backup as a scratch collection <collection>-drill
# on the same server (as the restore does), prints its points under its count's name, and deletes it.
do_drill() (
    scratch=""
    trap '[ -z "$scratch" ] || qdrant -X DELETE "$QDRANT_URL/collections/$scratch" > /dev/null 2>&1 || true' EXIT
    for c in $COLLECTION ${"$"}{APP_COLLECTIONS:-}; do
        grep -q "^count $(count_name "$c") " "$1/manifest" || continue
        # The previous collection's scratch copy is done with.
        [ -z "$scratch" ] || qdrant -X DELETE "$QDRANT_URL/collections/$scratch" > /dev/null 2>&1 || true
        scratch="$c-drill"
        qdrant -X DELETE "$QDRANT_URL/collections/$scratch" > /dev/null 2>&1 || true
        restore_collection "$1" "$c" "$scratch" >&2 || exit 1
        echo "$(count_name "$c") $(points "$scratch")"
    done
)

# do_restore <id|latest> [collection]: the platform's collection, or the app collection named.
do_restore() {
    dir="$(backup_path "$1")"
    c="${"$"}{2:-$COLLECTION}"
    case " $COLLECTION ${"$"}{APP_COLLECTIONS:-} " in
        *" $c "*) ;;
        *) backup_log "no collection $c in this stack's backups: give $COLLECTION or an app's collection (${"$"}{APP_COLLECTIONS:-none})"; return 2 ;;
    esac
    restore_collection "$dir" "$c" "$c" || return 1
    backup_log "restored collection $c from $(basename "$dir")"
}
`);
