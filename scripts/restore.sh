#!/usr/bin/env bash
# Restores one store of a stack from a backup; the backup's manifest is verified first.
#   npm run restore -- <store>                                  # Docker: lists its backups
#   npm run restore -- <store> <id|latest> [args]               # e.g. timescale latest drill_check (target database)
#   npm run restore -- sqlserver [<id>|latest] --to '<time>'    # point in time (RFC 3339; without an offset: UTC): STOPAT
#   npm run restore -- <stack> <store> ...
# Docker stacks: the store's backup scheduler runs the restore. Kubernetes stacks: a Job from
# the store's suspended CronJob <store>-restore, with BACKUP_ID and RESTORE_TO set (kubectl must
# point at the stack's cluster); it downloads the backup from S3, verifies it and restores.
# On Kubernetes, a TimescaleDB run by CloudNativePG comes back to a point in time as a second cluster:
#   npm run restore -- <stack> timescale --to 2026-11-23T09:30:00Z
set -euo pipefail
export LLM_COMMAND="npm run restore"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export LLM_USAGE="npm run restore -- [<stack>] <store> [<backup id>|latest [<args of the store's restore>]] [--to <RFC 3339 time>] (SQL Server) | [<stack>] timescale --to <RFC 3339 time> (CloudNativePG)   (stores: ${llm_backup_stores// /, })"

# A CloudNativePG store to a point in time: a second cluster, <store>-pitr, recovered from the bucket's
# base backups and WAL. The backup role trusts that cluster's ServiceAccount and the platform opens its flows
# (components/platform/kubernetes/cloudnative-pg.ts); the stack's cluster keeps serving until the switch.
restore_cluster_to_time() {
    local store="$1" target="${3:-}" namespace restored now seconds live
    [[ $# -eq 3 ]] || llm_usage_fail "--to takes one time, in RFC 3339 with its offset: --to 2026-11-23T09:30:00Z"
    [[ "$(llm_stack_platform "$llm_stack")" == kubernetes ]] || llm_fail "stack '$llm_stack' runs on Docker: restore a backup by id ('npm run restore -- $llm_stack $store' lists them)"
    [[ "$target" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
        llm_usage_fail "'$target' is not an RFC 3339 time with its offset; e.g. --to 2026-11-23T09:30:00Z or --to 2026-11-23T10:30:00+01:00"
    seconds="$(date -u -d "$target" +%s 2>/dev/null)" || llm_usage_fail "'$target' is not a real time (month 1-12, a day of that month, hour 0-23)"
    now="$(date -u +%s)"
    ((seconds <= now)) || llm_usage_fail "'$target' is in the future: the archive holds WAL up to now at most"
    command -v kubectl >/dev/null 2>&1 || llm_fail "kubectl is not installed: install it (https://kubernetes.io/docs/tasks/tools/) and point it at the stack's cluster"
    namespace="$(sed -n '/^[[:space:]]*llm-platform:kubernetes:/,/^[[:space:]]*llm-platform:[a-z]/s/^[[:space:]]*namespace:[[:space:]]*"\{0,1\}\([a-z0-9-]*\).*/\1/p' "$llm_project_dir/Pulumi.$llm_stack.yaml" | head -n 1)"
    namespace="${namespace:-llm-platform}"
    restored="$store-pitr"
    live="$(kubectl --namespace "$namespace" get clusters.postgresql.cnpg.io "$store" -o json 2>/dev/null)" ||
        llm_fail "namespace $namespace has no CloudNativePG cluster '$store' (kubectl get clusters.postgresql.cnpg.io $store): is the stack up with timescale.engine cloudnativepg, and is kubectl pointing at its cluster?"
    if kubectl --namespace "$namespace" get clusters.postgresql.cnpg.io "$restored" >/dev/null 2>&1; then
        llm_fail "a recovered cluster '$restored' exists already: switch to it, or delete it first (kubectl --namespace $namespace delete clusters.postgresql.cnpg.io $restored)"
    fi
    llm_say "$store: recovering cluster $restored from the bucket's base backups and WAL up to $target"
    printf '%s' "$live" | RESTORED="$restored" TARGET="$target" node -e '
        const live = JSON.parse(require("fs").readFileSync(0, "utf8"));
        const spec = structuredClone(live.spec);
        // WAL archived by the Barman Cloud plugin (its ObjectStore), or in-tree (backup.barmanObjectStore).
        const plugin = (spec.plugins || []).find((p) => p.name === "barman-cloud.cloudnative-pg.io" && p.isWALArchiver && p.enabled !== false);
        const store = spec.backup && spec.backup.barmanObjectStore;
        if (!plugin && !store) { console.error(`cluster ${live.metadata.name} archives no WAL to an object store: there is no point in time to recover`); process.exit(3); }
        const init = (spec.bootstrap && spec.bootstrap.initdb) || {};
        // The source is the store archive under its own server name; the recovered cluster archives under its own.
        const source = (plugin && plugin.parameters.serverName) || live.metadata.name;
        if (plugin) {
            const { serverName, ...parameters } = plugin.parameters;
            spec.externalClusters = [{ name: "origin", plugin: { name: plugin.name, parameters: { ...parameters, serverName: source } } }];
            spec.plugins = spec.plugins.map((p) => (p === plugin ? { ...p, parameters: { ...parameters, serverName: process.env.RESTORED } } : p));
        } else {
            spec.externalClusters = [{ name: "origin", barmanObjectStore: { ...store, serverName: source } }];
            spec.backup = { ...spec.backup, barmanObjectStore: { ...store, serverName: process.env.RESTORED } };
        }
        spec.bootstrap = { recovery: { source: "origin", database: init.database, owner: init.owner, recoveryTarget: { targetTime: process.env.TARGET } } };
        // The clients keep the running store until the switch.
        delete spec.managed;
        const labels = { ...(live.metadata.labels || {}), "llm-platform/recovered-from": live.metadata.name };
        delete labels["app.kubernetes.io/managed-by"];
        const cluster = { apiVersion: live.apiVersion, kind: live.kind, metadata: { name: process.env.RESTORED, namespace: live.metadata.namespace, labels }, spec };
        process.stdout.write(JSON.stringify(cluster));' |
        kubectl --namespace "$namespace" create -f - >/dev/null
    cat <<EOF
$restored is recovering; follow it: kubectl --namespace $namespace get clusters.postgresql.cnpg.io $restored -w
Once Ready, check its data: kubectl --namespace $namespace exec $restored-1 -- psql -d <database> -c '<a query>'
Its primary answers at $restored-rw.$namespace.svc; to switch the stack's clients to it, follow docs/backups.md ("Point-in-time recovery on Kubernetes").
EOF
}

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
[[ $# -ge 1 ]] || llm_usage_fail "name the store to restore"
llm_is_store "$1" || llm_usage_fail "unknown store '$1': the stores are ${llm_backup_stores// /, } (stacks here: $(llm_stacks))"
store="$1"
shift
if [[ "$store" == timescale && "${1:-}" == --to ]]; then
    restore_cluster_to_time "$store" "$@"
    exit 0
fi
args=()
to=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --to)
            [[ $# -ge 2 ]] || llm_usage_fail "--to needs a time, e.g. --to 2026-11-23T09:30:00Z"
            to="$2"
            shift 2
            ;;
        *)
            args+=("$1")
            shift
            ;;
    esac
done
if [[ -n "$to" ]]; then
    [[ "$store" == sqlserver ]] || llm_usage_fail "--to is SQL Server's point in time (its log backups); $store restores whole backups"
    # One time format with TimescaleDB's: RFC 3339 with its offset, turned into the UTC time STOPAT takes; a bare time is UTC.
    if [[ "$to" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$ ]]; then
        given="$to"
        to="$(date -u -d "$given" +%Y-%m-%dT%H:%M:%S 2>/dev/null)" || llm_usage_fail "--to '$given' is not a real time (month 1-12, a day of that month, hour 0-23)"
    fi
    [[ "$to" =~ ^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$ ]] || llm_usage_fail "--to must be an RFC 3339 time (2026-11-23T09:30:00Z, 2026-11-23T10:30:00+01:00) or a UTC time as YYYY-MM-DDTHH:MM:SS, not '$to'"
    [[ ${#args[@]} -le 1 ]] || llm_usage_fail "give the point in time once: --to, or the second argument"
    # The newest full backup before the time, unless a backup id is given; then its logs up to the time.
    args=("${args[0]:-latest}" "$to")
fi

restore_kubernetes() {
    llm_kube_env "$llm_stack"
    kubectl_ns get cronjob "$store-restore" >/dev/null 2>&1 ||
        llm_fail "stack '$llm_stack' has no restore template for $store in namespace $llm_namespace (kubectl get cronjob $store-restore): is it up, with backup.enabled, and is kubectl pointing at its cluster? (Valkey on ElastiCache restores from its snapshots: docs/backups.md)"
    if [[ ${#args[@]} -eq 0 ]]; then
        llm_say "the backups of $store are in the stack's bucket: aws s3 ls s3://\$(npm run -s outputs -- $llm_stack aws | jq -r .backups.bucket)/backups/$store/ ; restore one with 'npm run restore -- $llm_stack $store <id|latest>'"
        return 0
    fi
    [[ ${#args[@]} -le 2 ]] || llm_usage_fail "a Kubernetes restore takes a backup id and one option (RESTORE_TO)"
    local name
    name="$(llm_job_name "$store-restore")"
    llm_say "$store: restoring ${args[0]}${args[1]:+ (${args[1]})} (job $name)"
    kubectl_ns create job --from="cronjob/$store-restore" "$name" --dry-run=client -o json |
        BACKUP_ID="${args[0]}" RESTORE_TO="${args[1]:-}" node -e '
            const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
            const pod = job.spec.template.spec;
            const choice = { BACKUP_ID: process.env.BACKUP_ID, RESTORE_TO: process.env.RESTORE_TO };
            for (const c of [...(pod.initContainers || []), ...pod.containers]) {
                c.env = (c.env || []).map((e) => (e.name in choice ? { name: e.name, value: choice[e.name] } : e));
            }
            process.stdout.write(JSON.stringify(job));' |
        kubectl_ns create -f - >/dev/null
    wait_job "$name" || llm_fail "$store: the restore Job $name failed (logs above); nothing is retried: read them first"
    llm_say "$store: restored; check it as docs/backups.md says"
}

if [[ "$(llm_stack_platform "$llm_stack")" == kubernetes ]]; then
    restore_kubernetes
    exit 0
fi
llm_require_docker_stack "On Kubernetes: the restore Job template of the store (docs/backups.md)"
llm_docker_only_env
prefix="llm-platform-$llm_stack"
read -r scheduler stops <<<"$(docker ps --filter "label=llm-platform.stack=$prefix" --filter "label=llm-platform.role=backup" \
    --filter "label=llm-platform.service=$store" --format '{{.Names}} {{.Label "llm-platform.restore-stops-service"}}' | sort | head -n 1)"
[[ -n "${scheduler:-}" ]] || llm_fail "no backup scheduler of '$store' is running in stack '$llm_stack' ('npm run status -- $llm_stack')"
if [[ ${#args[@]} -eq 0 ]]; then
    docker exec "$scheduler" sh /opt/llm-platform/backup.sh list
    exit 0
fi
if [[ "${stops:-}" == "true" ]]; then
    llm_say "stopping $prefix-$store: the restore writes its data"
    docker stop "$prefix-$store" >/dev/null
    # Started again whatever happens: the old files were moved aside, not deleted.
    trap 'docker start "$prefix-$store" >/dev/null && llm_say "started $prefix-$store"' EXIT
fi
docker exec "$scheduler" sh /opt/llm-platform/backup.sh restore "${args[@]}"
