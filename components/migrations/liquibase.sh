# Runs Liquibase on one database: the changelog and its scripts in MIGRATE_PLAN_DIR, the
# connection and the changelog's parameters in liquibase.properties there, the password in
# LIQUIBASE_COMMAND_PASSWORD. Nothing here knows where the database runs.
#
#   migrate.sh status                    what is deployed, what is not
#   migrate.sh plan   [--to <change>]    dry run: the SQL a deploy would run (update-sql), nothing changes
#   migrate.sh deploy [--to <change>]    deploy one change at a time, each verified (a failed verify reverts it)
#   migrate.sh verify [--to <change>]    run the verify scripts of the deployed changes
#   migrate.sh revert [--to <change>] --yes
#                                        roll back the changes after <change> (default: the last one)
#
# Liquibase has no verify step of its own: each change's verify/<id>.sql runs through
# `liquibase execute-sql`, its batches split on GO lines. Optional: MIGRATE_ADOPT_TO=<tag>
# (a tagDatabase changeset of that id) and MIGRATE_ADOPT_EVIDENCE=<change>: a database with no
# change recorded that passes <change>'s verify script was set up by an earlier release's
# init step; deploy verifies the changes up to <tag> and records them without running them
# (changelog-sync-to-tag).
# runner-common.sh runs first: the command line in $verb, $to and $yes, say and fail, the plan
# directory as the working directory.
export LIQUIBASE_SHOW_BANNER=false
lb() { liquibase --defaults-file=liquibase.properties "$@"; }

# Ids of the changesets not yet run, in the changelog's order (`status --verbose` lists them).
not_run() { lb status --verbose "$@" | sed -n 's/^ *[^ ]*::\([^:]*\)::[^:]*$/\1/p'; }
# Ids of the changesets run, oldest first (`history` prints a table).
deployed() { lb history | awk -F'|' 'NF > 7 { gsub(/^ +| +$/, "", $6); if ($6 != "" && $6 != "Changeset ID") print $6 }'; }
# Lines up to the one equal to $1 (all without it).
up_to() { awk -v to="$1" '{ print } $0 == to { exit }'; }
# Lines after the one equal to $1.
after() { awk -v from="$1" 'found { print } $0 == from { found = 1 }'; }

verify_change() {
    [ -f "verify/$1.sql" ] || return 0
    lb execute-sql --sql-file="verify/$1.sql" --delimiter=GO >/dev/null
}

# True when every change given verifies, in one JVM: their verify scripts one after the other,
# each closed by a GO line, in one execute-sql (a Liquibase command is a JVM start of a second
# or two). Quiet: on a failure the callers verify one change at a time to name it.
all_verify() {
    batch="$(mktemp)"
    for change in "$@"; do
        [ ! -f "verify/$change.sql" ] || printf '%s\nGO\n' "$(cat "verify/$change.sql")"
    done >"$batch"
    ok=0
    [ ! -s "$batch" ] || lb execute-sql --sql-file="$batch" --delimiter=GO >/dev/null 2>&1 || ok=1
    rm -f "$batch"
    return "$ok"
}

# True when nothing of the changelog is recorded yet, but the evidence change verifies: one
# JVM for `status` (every changeset pending), one for the verify script.
holds_init_step_schema() {
    [ -n "${MIGRATE_ADOPT_TO:-}" ] && [ -n "${MIGRATE_ADOPT_EVIDENCE:-}" ] || return 1
    [ "$(echo "$pending" | grep -c . || true)" -eq "$(grep -c '^  - changeSet:$' changelog.yaml)" ] || return 1
    verify_change "$MIGRATE_ADOPT_EVIDENCE" 2>/dev/null
}

adopt_init_step_schema() {
    holds_init_step_schema || return 0
    say "the database was set up by an earlier release's init step: verifying the changes up to $MIGRATE_ADOPT_TO, then recording them as deployed without running them (changelog-sync-to-tag)"
    # The evidence change verified already; the others at once, and one at a time only to name the one that fails.
    adopted="$(echo "$pending" | up_to "$MIGRATE_ADOPT_TO" | grep -vx -- "$MIGRATE_ADOPT_EVIDENCE" || true)"
    if ! all_verify $adopted; then
        for change in $adopted; do
            verify_change "$change" ||
                fail "the database holds part of the init step's schema, not all of it ($change does not verify, output above): nothing was changed; repair the schema or restore a backup, then deploy again"
        done
    fi
    lb changelog-sync-to-tag --tag="$MIGRATE_ADOPT_TO"
    pending="$(echo "$pending" | after "$MIGRATE_ADOPT_TO")"
}

# The changesets not run yet, for the commands that look at them.
case "$verb" in status | plan | deploy) pending="$(not_run)" ;; esac

case "$verb" in
    status)
        lb history
        echo "changesets not run yet:" $pending
        ! holds_init_step_schema || say "nothing is recorded yet but the init step's schema is there: the next deploy adopts the changes up to $MIGRATE_ADOPT_TO (changelog-sync-to-tag)"
        ;;
    plan)
        if holds_init_step_schema; then
            say "would verify the changes up to $MIGRATE_ADOPT_TO and record them as deployed without running them (the init step's schema is there); then deploy these, as written (parameters not filled in):"
            for change in $(echo "$pending" | after "$MIGRATE_ADOPT_TO" | up_to "$to"); do
                [ -f "deploy/$change.sql" ] || continue
                echo "-- deploy/$change.sql"
                cat "deploy/$change.sql"
            done
            exit 0
        fi
        count="$(echo "$pending" | up_to "$to" | grep -c . || true)"
        if [ "$count" -eq 0 ]; then
            say "nothing to deploy: the database is up to date with the changelog"
        else
            lb update-count-sql --count="$count"
        fi
        ;;
    deploy)
        adopt_init_step_schema
        for change in $(echo "$pending" | up_to "$to"); do
            if [ ! -f "deploy/$change.sql" ]; then
                lb update-count --count=1 >/dev/null
                say "tag $change recorded"
                continue
            fi
            say "deploying $change"
            lb update-count --count=1
            if ! verify_change "$change"; then
                say "verify/$change.sql failed (output above): rolling $change back"
                lb rollback-count --count=1 || fail "$change did not verify and its rollback failed too (output above): repair by hand, then deploy again"
                fail "deploy failed: $change did not verify and was rolled back"
            fi
            say "$change deployed and verified"
        done
        ;;
    verify)
        changes="$(deployed | up_to "$to")"
        [ -n "$changes" ] || fail "no change is deployed: nothing to verify"
        if all_verify $changes; then
            for change in $changes; do say "$change: ok"; done
            exit 0
        fi
        # Something does not verify: each change on its own, with the engine's output, says what.
        failed=0
        for change in $changes; do
            if verify_change "$change"; then say "$change: ok"; else say "$change: FAILED"; failed=1; fi
        done
        [ "$failed" -eq 0 ] || fail "verify failed"
        ;;
    revert)
        [ -n "$yes" ] || fail "revert changes the schema and may drop data: pass --yes"
        changes="$(deployed)"
        [ -n "$changes" ] || fail "no change is deployed: nothing to revert"
        if [ -z "$to" ]; then
            # The last change, with the tags recorded after it (a tag has no deploy script).
            count=0
            for change in $(echo "$changes" | sed '1!G;h;$!d'); do
                count=$((count + 1))
                [ ! -f "deploy/$change.sql" ] || break
            done
        else
            echo "$changes" | grep -qx -- "$to" || fail "$to is not a deployed change: $(echo $changes)"
            count="$(echo "$changes" | after "$to" | wc -l)"
        fi
        if [ "$count" -eq 0 ]; then
            say "nothing to revert: $to is the last deployed change"
        else
            lb rollback-count --count="$count"
        fi
        ;;
    *) usage ;;
esac
