# The part every engine's runner shares (components/migrations/plan.ts puts it in front of
# sqitch.sh or liquibase.sh): the command line, messages, and the plan directory.
#   migrate.sh status|plan|deploy|verify|revert [--to <change>] [--yes]
set -eu

usage() {
    echo "usage: migrate.sh status|plan|deploy|verify|revert [--to <change>] [--yes]" >&2
    exit 2
}
say() { echo "migrate: $*" >&2; }
fail() {
    say "$*"
    exit 1
}

verb="${1:-}"
[ $# -gt 0 ] && shift
to=""
yes=""
while [ $# -gt 0 ]; do
    case "$1" in
        --to)
            [ $# -ge 2 ] || usage
            to="$2"
            shift 2
            ;;
        --yes | -y)
            yes=1
            shift
            ;;
        *) usage ;;
    esac
done

cd "${MIGRATE_PLAN_DIR:?MIGRATE_PLAN_DIR names the plan directory}"
