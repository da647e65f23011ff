/**
 * The shell functions every store's backup and restore scripts share (POSIX sh: they run
 * under BusyBox in the Alpine images and dash/bash elsewhere). Layout of the backups
 * volume:
 *
 *   /backups/<store>/<id>/           one backup: its files and `manifest`, written last
 *   /backups/metrics/<store>-<kind>.prom   last success, for node-exporter's textfile collector
 *
 * A backup without a manifest is unfinished and never restored; a manifest records every
 * file's size and sha256 and is verified right after the backup and again before a restore.
 */
export const BACKUP_LIB = String.raw`
set -eu
: "$BACKUP_ROOT" "$STORE"

backup_log() { echo "llm-platform backup [$STORE] $*" >&2; }

# A new, empty backup directory named by the UTC time (ids sort by time); prints its path.
new_backup_dir() {
    id="$(date -u +%Y%m%dT%H%M%SZ)-$1"
    dir="$BACKUP_ROOT/$STORE/$id"
    mkdir -p "$dir"
    echo "$dir"
}

# record_count <dir> <what> <min> <max>: what the backup holds (rows of a table, keys, points), for
# the restore drill; a range where the store changed while the backup was taken.
record_count() {
    echo "count $(echo "$2" | sed 's/ /%20/g') $3 $4" >> "$1/.counts"
}

# record_entry <dir> <tag> <fields...>: a line of the manifest that says what a file is (Qdrant: the
# collection, shard and peer of a shard snapshot), for the restore to read.
record_entry() {
    dir="$1"; shift
    echo "$*" >> "$dir/.entries"
}

# write_manifest <dir> <kind>: store, kind, time, every file's size and sha256, and the counts.
write_manifest() {
    dir="$1"
    {
        echo "store $STORE"
        echo "kind $2"
        echo "time $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        for f in "$dir"/*; do
            name="$(basename "$f")"
            case "$name" in manifest|manifest.tmp) continue ;; esac
            [ -f "$f" ] || continue
            echo "file $name $(wc -c < "$f" | tr -d ' ') $(sha256sum "$f" | cut -d ' ' -f 1)"
        done
        if [ -f "$dir/.counts" ]; then cat "$dir/.counts"; fi
        if [ -f "$dir/.entries" ]; then cat "$dir/.entries"; fi
    } > "$dir/manifest.tmp"
    rm -f "$dir/.counts" "$dir/.entries"
    grep -q '^file ' "$dir/manifest.tmp" || { backup_log "no files in $dir"; return 1; }
    mv "$dir/manifest.tmp" "$dir/manifest"
}

# verify_manifest <dir>: every listed file is there with its size and sha256; fails loudly otherwise.
verify_manifest() {
    dir="$1"
    [ -f "$dir/manifest" ] || { backup_log "$dir has no manifest: the backup did not finish"; return 1; }
    bad=0
    while read -r tag name size sum; do
        [ "$tag" = file ] || continue
        if [ ! -f "$dir/$name" ]; then backup_log "$dir/$name is missing"; bad=1; continue; fi
        actual_size="$(wc -c < "$dir/$name" | tr -d ' ')"
        actual_sum="$(sha256sum "$dir/$name" | cut -d ' ' -f 1)"
        if [ "$actual_size" != "$size" ] || [ "$actual_sum" != "$sum" ]; then
            backup_log "$dir/$name does not match its manifest (size $actual_size, expected $size; sha256 $actual_sum, expected $sum)"
            bad=1
        fi
    done < "$dir/manifest"
    return "$bad"
}

# The newest complete backup of this store (of one kind when given), or nothing.
latest_backup() {
    for d in $(ls -1 "$BACKUP_ROOT/$STORE" 2>/dev/null | sort -r); do
        [ -f "$BACKUP_ROOT/$STORE/$d/manifest" ] || continue
        if [ $# -ge 1 ] && ! grep -qx "kind $1" "$BACKUP_ROOT/$STORE/$d/manifest"; then continue; fi
        echo "$BACKUP_ROOT/$STORE/$d"
        return 0
    done
}

# prune <retention days> <keep>: deletes backups older than the retention, but never the
# newest <keep> complete ones (a stack that stopped backing up keeps its last good backups),
# nor, with KEEP_UNTIL_UPLOADED=1, one that has not been uploaded; and unfinished ones
# (no manifest) a day old.
prune() {
    days="$1"; keep="$2"; root="$BACKUP_ROOT/$STORE"
    [ -d "$root" ] || return 0
    kept=0
    for d in $(ls -1 "$root" | sort -r); do
        path="$root/$d"
        [ -d "$path" ] || continue
        if [ -f "$path/manifest" ] && [ "$kept" -lt "$keep" ]; then kept=$((kept + 1)); continue; fi
        # Kubernetes: the volume is a staging area; a backup not in the bucket yet is never pruned.
        if [ "$(printenv KEEP_UNTIL_UPLOADED || true)" = 1 ] && [ -f "$path/manifest" ] && [ ! -f "$path/.uploaded" ]; then continue; fi
        if [ -f "$path/manifest" ]; then old="$(find "$path" -maxdepth 0 -mtime +"$days")"; else old="$(find "$path" -maxdepth 0 -mtime +0)"; fi
        if [ -n "$old" ]; then backup_log "pruning $d"; rm -rf "$path"; fi
    done
}

# record_success <kind>: the metric the observability stack alerts on when it gets old.
record_success() {
    mkdir -p "$BACKUP_ROOT/metrics"
    out="$BACKUP_ROOT/metrics/$STORE-$1.prom"
    {
        echo "# HELP llm_platform_backup_last_success_timestamp_seconds Time of the last verified backup."
        echo "# TYPE llm_platform_backup_last_success_timestamp_seconds gauge"
        echo "llm_platform_backup_last_success_timestamp_seconds{store=\"$STORE\",kind=\"$1\"} $(date -u +%s)"
    } > "$out.tmp"
    mv "$out.tmp" "$out"
}

# finish_backup <dir> <kind>: manifest, verification, metric, pruning; prints the backup's id.
finish_backup() {
    write_manifest "$1" "$2"
    verify_manifest "$1"
    record_success "$2"
    prune "$(printenv RETENTION_DAYS || echo 30)" "$(printenv KEEP_LATEST || echo 3)"
    backup_log "backup $(basename "$1") verified"
    basename "$1"
}

# drill [<id>|latest]: the restore drill. Verifies the backup (default: the newest of kind
# DRILL_KIND) against its manifest, restores it into a scratch target with the store's
# do_drill <dir>, which prints "<what> <count>" for every count of the manifest and removes the
# scratch target again, and compares each count with the range the backup recorded.
run_drill() {
    id="${"$"}{1:-latest}"
    if [ "$id" = latest ]; then dir="$(latest_backup "$(printenv DRILL_KIND || echo full)")"; else dir="$BACKUP_ROOT/$STORE/$id"; fi
    [ -n "$dir" ] && [ -d "$dir" ] || { backup_log "drill FAILED: no backup $id of $STORE to restore"; return 1; }
    drilled="$(basename "$dir")"
    backup_log "drill: restoring $drilled into a scratch target"
    verify_manifest "$dir" || { backup_log "drill FAILED: $drilled does not match its manifest"; return 1; }
    grep -q '^count ' "$dir/manifest" || { backup_log "drill FAILED: the manifest of $drilled records no counts (taken before drills existed: the next backup will)"; return 1; }
    found="$(mktemp)"
    if ! do_drill "$dir" > "$found"; then backup_log "drill FAILED: $drilled did not restore into the scratch target"; rm -f "$found"; return 1; fi
    bad=0; checked=0
    while read -r tag what min max; do
        [ "$tag" = count ] || continue
        checked=$((checked + 1))
        got="$(awk -v w="$what" '$1 == w { print $2; exit }' "$found")"
        if [ -z "$got" ]; then
            backup_log "drill: $what is missing from the restored copy"; bad=1
        elif [ "$got" -lt "$min" ] || [ "$got" -gt "$max" ]; then
            backup_log "drill: $what is $got in the restored copy, the backup recorded $min to $max"; bad=1
        fi
    done < "$dir/manifest"
    rm -f "$found"
    [ "$bad" = 0 ] || { backup_log "drill FAILED: the restored copy of $drilled differs from its manifest"; return 1; }
    backup_log "drill of $drilled passed: every file matches its checksum and $checked count(s) match"
}

# backup_path <id>: the directory of a backup given by id ("latest" for the newest), verified.
backup_path() {
    if [ "$1" = latest ]; then dir="$(latest_backup)"; else dir="$BACKUP_ROOT/$STORE/$1"; fi
    [ -n "$dir" ] && [ -d "$dir" ] || { backup_log "no backup $1 of $STORE in $BACKUP_ROOT/$STORE"; return 1; }
    verify_manifest "$dir" || { backup_log "refusing to restore $dir: it does not match its manifest"; return 1; }
    echo "$dir"
}
`;
