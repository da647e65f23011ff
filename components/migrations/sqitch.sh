# Runs Sqitch on one PostgreSQL (or TimescaleDB) database: the plan in MIGRATE_PLAN_DIR, the
# database from the libpq environment the step is given (PGHOST, PGPORT, PGDATABASE, PGUSER,
# PGPASSWORD or MIGRATE_LOGIN_JSON, PGSSLMODE). Nothing here knows where the database runs.
#
#   migrate.sh status                    what is deployed, what is not
#   migrate.sh plan   [--to <change>]    dry run: the SQL a deploy would run, nothing changes
#   migrate.sh deploy [--to <change>]    deploy, verifying each change (a failed verify reverts it)
#   migrate.sh verify [--to <change>]    run the verify scripts of the deployed changes
#   migrate.sh revert [--to <change>] --yes
#                                        revert the changes after <change> (default: the last one)
#
# Optional: MIGRATE_ADOPT_TO=@<tag> and MIGRATE_ADOPT_EVIDENCE=<change>: a database that has no
# Sqitch registry yet but passes <change>'s verify script was set up by an earlier release's
# init step; deploy records the changes up to <tag> without running them (log-only) and
# verifies them. MIGRATE_AFTER_DEPLOY=<file>: a psql script run after every successful deploy
# (settings that follow the configuration, such as TimescaleDB's policies).
# runner-common.sh runs first: the command line in $verb, $to and $yes, say and fail, the plan
# directory as the working directory.
# RDS keeps the master password in Secrets Manager: the pod gets the secret's JSON as a file.
if [ -n "${MIGRATE_LOGIN_JSON:-}" ]; then
    PGPASSWORD="$(perl -MJSON::PP -0777 -ne 'print decode_json($_)->{password}' "$MIGRATE_LOGIN_JSON")"
    export PGPASSWORD
fi
# Who the registry records as the deployer (no git config in a container).
export SQITCH_FULLNAME="${SQITCH_FULLNAME:-llm-platform migrate step}"
export SQITCH_EMAIL="${SQITCH_EMAIL:-migrations@llm-platform.local}"
# The target is the libpq environment above; no URI names a host.
target="db:pg:"
project="$(sed -n 's/^%project=//p' sqitch.plan)"

psql_value() { psql -X -q -tA -v ON_ERROR_STOP=1 -c "$1"; }

# True when the registry records at least one change of this project.
has_deployed_changes() {
    [ "$(psql_value "SELECT to_regclass('sqitch.changes') IS NOT NULL")" = t ] || return 1
    [ "$(psql_value "SELECT count(*) > 0 FROM sqitch.changes WHERE project = '$project'")" = t ]
}

# True when the database holds what an earlier release's init step created.
holds_init_step_schema() {
    [ -n "${MIGRATE_ADOPT_TO:-}" ] && [ -n "${MIGRATE_ADOPT_EVIDENCE:-}" ] || return 1
    has_deployed_changes && return 1
    psql -X -q -v ON_ERROR_STOP=1 -f "verify/$MIGRATE_ADOPT_EVIDENCE.sql" >/dev/null 2>&1
}

adopt_init_step_schema() {
    holds_init_step_schema || return 0
    say "$PGDATABASE was set up by an earlier release's init step: recording the changes up to $MIGRATE_ADOPT_TO as deployed (log-only, nothing runs), then verifying them"
    sqitch deploy --target "$target" --log-only --no-verify --to "$MIGRATE_ADOPT_TO"
    if ! sqitch verify --target "$target" --to "$MIGRATE_ADOPT_TO"; then
        # Only the records go: the database is as it was.
        sqitch revert --target "$target" --log-only -y >/dev/null
        fail "$PGDATABASE holds part of the init step's schema, not all of it (verify output above): nothing was changed; repair the schema or restore a backup, then deploy again"
    fi
}

# The changes a deploy (up to --to) would run, one name a line; with an adoption pending, the
# changes it records without running are left out.
pending_changes() {
    adopt=""
    holds_init_step_schema && adopt="$MIGRATE_ADOPT_TO"
    if has_deployed_changes; then
        sqitch status --target "$target" | sed -n 's/^  \* //p'
    else
        sqitch plan --target "$target" --no-headers --format 'format:%n%{ }t'
    fi | awk -v to="$to" -v adopt="$adopt" '
        BEGIN { adopting = adopt != "" }
        {
            last = 0
            for (i = 1; i <= NF; i++) if ($i == to) last = 1
            if (adopting) { for (i = 2; i <= NF; i++) if ($i == adopt) adopting = 0 }
            else print $1
            if (last) exit
        }'
}

case "$verb" in
    status)
        if has_deployed_changes; then
            sqitch status --target "$target" --show-changes
        elif holds_init_step_schema; then
            say "$PGDATABASE has no Sqitch registry yet but holds the init step's schema: the next deploy adopts it up to $MIGRATE_ADOPT_TO (log-only)"
        else
            say "no change of $project is deployed in $PGDATABASE"
        fi
        ;;
    plan)
        if holds_init_step_schema; then
            say "would record the changes up to $MIGRATE_ADOPT_TO as deployed without running them (the init step's schema is there), then verify them"
        fi
        changes="$(pending_changes)"
        if [ -z "$changes" ]; then
            say "nothing to deploy: $PGDATABASE is up to date with the plan"
        else
            for change in $changes; do
                echo "-- deploy/$change.sql"
                cat "deploy/$change.sql"
                echo
            done
        fi
        ;;
    deploy)
        adopt_init_step_schema
        sqitch deploy --target "$target" --verify --mode change ${to:+--to "$to"}
        if [ -n "${MIGRATE_AFTER_DEPLOY:-}" ]; then
            say "applying $(basename "$MIGRATE_AFTER_DEPLOY")"
            psql -X -q -v ON_ERROR_STOP=1 -f "$MIGRATE_AFTER_DEPLOY"
        fi
        ;;
    verify)
        has_deployed_changes || fail "no change of $project is deployed in $PGDATABASE: nothing to verify"
        sqitch verify --target "$target" ${to:+--to "$to"}
        ;;
    revert)
        [ -n "$yes" ] || fail "revert changes the schema and may drop data: pass --yes"
        has_deployed_changes || fail "no change of $project is deployed in $PGDATABASE: nothing to revert"
        if [ -n "$to" ]; then
            sqitch revert --target "$target" -y --to "$to"
        elif [ "$(psql_value "SELECT count(*) FROM sqitch.changes WHERE project = '$project'")" -gt 1 ]; then
            sqitch revert --target "$target" -y --to @HEAD^
        else
            sqitch revert --target "$target" -y
        fi
        ;;
    *) usage ;;
esac
