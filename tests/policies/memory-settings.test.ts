import { strict as assert } from "assert";
import { memorySettingsFitLimits } from "../../policies/rules/memory-settings";
import { container, initContainer, redisContainer, secret, sqlServerContainer } from "./helpers/docker-fixtures";
import { configMap, DEPLOYMENT, k8sContainer, podSpec, resources, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const elasticsearch = (javaOpts: string, memoryLimit = "2Gi") =>
    workload(STATEFUL_SET, "elasticsearch", podSpec([
        k8sContainer("elasticsearch", {
            image: "docker.elastic.co/elasticsearch/elasticsearch:8.19.7",
            env: [{ name: "discovery.type", value: "single-node" }, { name: "ES_JAVA_OPTS", value: javaOpts }],
            resources: resources("1", memoryLimit, "2", memoryLimit),
        }),
    ]));

const logstash = (env: Record<string, string>) =>
    container("logstash", { memory: 2048, memorySwap: 2048, memoryReservation: 1024, envs: Object.entries(env).map(([k, v]) => `${k}=${v}`) });

const redisDeployment = (container: Record<string, any>, volumes: Record<string, any>[] = []) =>
    workload(DEPLOYMENT, "redis", podSpec([k8sContainer("redis", { image: "valkey/valkey:8.1.7-alpine", ports: [{ containerPort: 6379 }], resources: resources("500m", "1Gi", "1", "2Gi"), ...container })], [], volumes.length ? { volumes } : {}));

describe("policy memory-settings-fit-limits", () => {
    describe("JVM heap", () => {
        it("passes -Xmx at half the limit (1g of 2Gi) and Elasticsearch without -Xmx (it sizes itself)", async () => {
            assert.deepEqual(await check(memorySettingsFitLimits, [elasticsearch("-Xms1g -Xmx1g"), elasticsearch("-Des.disk.watermark=off")]), []);
        });

        it("fails -Xmx above half the limit, with the heap, the limit and the bound", async () => {
            const [v] = await check(memorySettingsFitLimits, elasticsearch("-Xms1536m -Xmx1536m"));
            assert.equal(v.resource?.name, "elasticsearch");
            assert.match(v.message, /StatefulSet "elasticsearch" container "elasticsearch": ES_JAVA_OPTS sets -Xmx 1536 MB, above 50% of the 2048 MB memory limit; required: at most 1024 MB/);
        });

        it("takes the last -Xmx, as the JVM does", async () => {
            assert.equal((await check(memorySettingsFitLimits, elasticsearch("-Xmx512m -Xmx2g"))).length, 1);
            assert.deepEqual(await check(memorySettingsFitLimits, elasticsearch("-Xmx2g -Xmx512m")), []);
        });

        it("checks LS_JAVA_OPTS on Docker and requires Logstash to set a heap", async () => {
            assert.deepEqual(await check(memorySettingsFitLimits, logstash({ LS_JAVA_OPTS: "-Xms1g -Xmx1g" })), []);
            assert.match(messages(await check(memorySettingsFitLimits, logstash({ LS_JAVA_OPTS: "-Xmx1200m" })))[0], /LS_JAVA_OPTS sets -Xmx 1200 MB, above 50% of the 2048 MB memory limit/);
            assert.match(messages(await check(memorySettingsFitLimits, logstash({})))[0], /service logstash sets no -Xmx in ES_JAVA_OPTS\/LS_JAVA_OPTS\/JAVA_OPTS/);
        });

        it("honours a configured heap percentage", async () => {
            assert.equal((await check(memorySettingsFitLimits, elasticsearch("-Xmx1g"), { maxHeapPercent: 40 })).length, 1);
        });
    });

    describe("MSSQL_MEMORY_LIMIT_MB", () => {
        it("passes 3276 of 4096 MB (80%), read from secret-wrapped envs", async () => {
            assert.deepEqual(await check(memorySettingsFitLimits, sqlServerContainer()), []);
        });

        it("fails 4000 of 4096 MB, leaving no headroom", async () => {
            const c = sqlServerContainer({ envs: secret(["ACCEPT_EULA=Y", "MSSQL_MEMORY_LIMIT_MB=4000"]) });
            assert.match(messages(await check(memorySettingsFitLimits, c))[0], /MSSQL_MEMORY_LIMIT_MB is 4000 MB, above 90% of the 4096 MB memory limit; required: at most 3686 MB/);
        });

        it("fails it on Kubernetes against limits.memory", async () => {
            const sts = workload(STATEFUL_SET, "sqlserver", podSpec([k8sContainer("sqlserver", { env: [{ name: "MSSQL_MEMORY_LIMIT_MB", value: "6144" }] })]));
            assert.match(messages(await check(memorySettingsFitLimits, sts))[0], /container "sqlserver": MSSQL_MEMORY_LIMIT_MB is 6144 MB, above 90% of the 4096 MB memory limit/);
        });
    });

    describe("Redis maxmemory", () => {
        it("passes maxmemory 1536mb in the uploaded conf of a 2048 MB container", async () => {
            assert.deepEqual(await check(memorySettingsFitLimits, redisContainer("1536mb")), []);
        });

        it("fails maxmemory at the limit (2gb = 2048 MB) and above it (3g)", async () => {
            assert.match(messages(await check(memorySettingsFitLimits, redisContainer("2gb")))[0], /maxmemory is 2gb \(2048 MB\), not below 100% of the 2048 MB memory limit; required: less than 2048 MB/);
            assert.equal((await check(memorySettingsFitLimits, redisContainer("3g"))).length, 1);
        });

        it("fails a redis service without maxmemory, or with 0 (no limit)", async () => {
            assert.match(messages(await check(memorySettingsFitLimits, redisContainer(undefined)))[0], /service redis sets no maxmemory/);
            assert.match(messages(await check(memorySettingsFitLimits, redisContainer("0")))[0], /maxmemory is 0 \(no limit\)/);
        });

        it("reads --maxmemory from Kubernetes args, which override the file", async () => {
            assert.deepEqual(await check(memorySettingsFitLimits, redisDeployment({ args: ["--maxmemory", "1536mb"] })), []);
            assert.match(messages(await check(memorySettingsFitLimits, redisDeployment({ args: ["--maxmemory", "4gb"] })))[0], /Deployment "redis" container "redis": maxmemory is 4gb/);
        });

        it("reads redis.conf from a mounted ConfigMap of the stack", async () => {
            const volumes = [{ name: "conf", configMap: { name: "redis-conf" } }];
            const mount = { args: ["/etc/valkey/valkey.conf"], volumeMounts: [{ name: "conf", mountPath: "/etc/valkey" }] };
            const conf = (size: string) => configMap("redis-conf", { "valkey.conf": `port 6379\nmaxmemory ${size}\n` });
            assert.deepEqual(await check(memorySettingsFitLimits, [redisDeployment(mount, volumes), conf("1536mb")]), []);
            const [v] = await check(memorySettingsFitLimits, [redisDeployment(mount, volumes), conf("3gb")]);
            assert.equal(v.resource?.type, DEPLOYMENT);
            assert.match(v.message, /maxmemory is 3gb \(3072 MB\)/);
        });

        it("reads a single key mounted with subPath, and only that key", async () => {
            const volumes = [{ name: "conf", configMap: { name: "redis-conf" } }];
            const mount = (subPath: string) => ({ args: ["/etc/valkey/valkey.conf"], volumeMounts: [{ name: "conf", mountPath: "/etc/valkey/valkey.conf", subPath }] });
            const conf = configMap("redis-conf", { "valkey.conf": "maxmemory 3gb\n", "other.conf": "maxmemory 1gb\n" });
            assert.match(messages(await check(memorySettingsFitLimits, [redisDeployment(mount("valkey.conf"), volumes), conf]))[0], /maxmemory is 3gb/);
            assert.deepEqual(await check(memorySettingsFitLimits, [redisDeployment(mount("other.conf"), volumes), conf]), []);
        });

        it("expands $(VAR) in args from the container's env before judging the size (no false alarm on --maxmemory $(REDIS_MAXMEMORY))", async () => {
            const sized = (value: Record<string, any>) => redisDeployment({ args: ["--maxmemory", "$(REDIS_MAXMEMORY)"], env: [{ name: "REDIS_MAXMEMORY", ...value }] });
            assert.deepEqual(await check(memorySettingsFitLimits, sized({ value: "1536mb" })), []);
            assert.deepEqual(await check(memorySettingsFitLimits, redisDeployment({ command: ["sh", "-c", "exec valkey-server --maxmemory $(REDIS_MAXMEMORY)"], env: [{ name: "REDIS_MAXMEMORY", value: "1gb" }] })), []);
            assert.deepEqual(await check(memorySettingsFitLimits, [sized({ valueFrom: { configMapKeyRef: { name: "redis-env", key: "maxmemory" } } }), configMap("redis-env", { maxmemory: "1536mb" })]), []);
            assert.match(messages(await check(memorySettingsFitLimits, sized({ value: "3gb" })))[0], /maxmemory is 3gb \(3072 MB\), not below 100% of the 2048 MB memory limit/);
            // An escaped $$(VAR) stays literal, and an unknown variable stays unexpanded: neither is a size.
            assert.match(messages(await check(memorySettingsFitLimits, redisDeployment({ args: ["--maxmemory", "$$(REDIS_MAXMEMORY)"], env: [{ name: "REDIS_MAXMEMORY", value: "1gb" }] })))[0], /maxmemory is \$\(REDIS_MAXMEMORY\), not a size/);
        });

        it("holds a container to maxmemory because it runs Redis or Valkey, whatever its labels say", async () => {
            const cache = workload(DEPLOYMENT, "cache", podSpec([k8sContainer("cache", { image: "docker.io/library/redis:8.2.3-alpine", resources: resources("500m", "1Gi", "1", "2Gi") })]));
            assert.match(messages(await check(memorySettingsFitLimits, cache))[0], /Deployment "cache" container "cache": service redis sets no maxmemory/);
            assert.deepEqual(await check(memorySettingsFitLimits, cache, { serviceImages: { redis: [] } }), []);
        });

        it("does not require maxmemory of a redis one-shot step", async () => {
            assert.deepEqual(await check(memorySettingsFitLimits, initContainer("redis", "warmup")), []);
        });
    });

    describe("settings reached indirectly", () => {
        const esWith = (container: Record<string, any>, extra: Record<string, any> = {}) =>
            workload(STATEFUL_SET, "elasticsearch", podSpec([k8sContainer("elasticsearch", { image: "docker.elastic.co/elasticsearch/elasticsearch:8.19.7", resources: resources("1", "2Gi", "2", "2Gi"), env: [], ...container })], [], extra));

        it("reads envFrom ConfigMaps (with prefix), configMapKeyRef and $(VAR) expansion", async () => {
            const opts = (heap: string) => configMap("es-env", { ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`, HEAP: heap });
            const fromEnvFrom = esWith({ envFrom: [{ configMapRef: { name: "es-env" } }] });
            assert.deepEqual(await check(memorySettingsFitLimits, [fromEnvFrom, opts("1g")]), []);
            assert.match(messages(await check(memorySettingsFitLimits, [fromEnvFrom, opts("1500m")]))[0], /ES_JAVA_OPTS sets -Xmx 1500 MB, above 50%/);
            const prefixed = esWith({ envFrom: [{ prefix: "ES_", configMapRef: { name: "jvm" } }] });
            assert.equal((await check(memorySettingsFitLimits, [prefixed, configMap("jvm", { JAVA_OPTS: "-Xmx2g" })])).length, 1);
            const expanded = esWith({ env: [{ name: "HEAP", valueFrom: { configMapKeyRef: { name: "es-env", key: "HEAP" } } }, { name: "ES_JAVA_OPTS", value: "-Xms$(HEAP) -Xmx$(HEAP)" }] });
            assert.match(messages(await check(memorySettingsFitLimits, [expanded, opts("1536m")]))[0], /ES_JAVA_OPTS sets -Xmx 1536 MB/);
            assert.deepEqual(await check(memorySettingsFitLimits, [expanded, opts("1g")]), []);
        });

        it("reads JAVA_TOOL_OPTIONS, -XX:MaxRAMPercentage and a heap on the command line", async () => {
            assert.match(messages(await check(memorySettingsFitLimits, esWith({ env: [{ name: "JAVA_TOOL_OPTIONS", value: "-Xmx1800m" }] })))[0], /JAVA_TOOL_OPTIONS sets -Xmx 1800 MB/);
            assert.match(messages(await check(memorySettingsFitLimits, esWith({ env: [{ name: "JAVA_OPTS", value: "-XX:MaxRAMPercentage=75.0" }] })))[0], /JAVA_OPTS sets -XX:MaxRAMPercentage=75, a heap of 1536 MB, above 50% of the 2048 MB memory limit; required: at most 50/);
            assert.deepEqual(await check(memorySettingsFitLimits, esWith({ env: [{ name: "JAVA_OPTS", value: "-XX:MaxRAMPercentage=50" }] })), []);
            assert.match(messages(await check(memorySettingsFitLimits, esWith({ command: ["java", "-Xmx3g", "-jar", "/app.jar"] })))[0], /the command line sets -Xmx 3072 MB/);
        });

        it("reads a heap from a jvm.options.d file mounted through a projected volume", async () => {
            const volumes = [{ name: "jvm", projected: { sources: [{ configMap: { name: "es-jvm", items: [{ key: "heap.options", path: "heap.options" }] } }] } }];
            const es = esWith({ volumeMounts: [{ name: "jvm", mountPath: "/usr/share/elasticsearch/config/jvm.options.d" }] }, { volumes });
            assert.match(messages(await check(memorySettingsFitLimits, [es, configMap("es-jvm", { "heap.options": "# heap\n-Xms2g\n-Xmx2g\n" })]))[0], /\/usr\/share\/elasticsearch\/config\/jvm.options.d\/heap.options sets -Xmx 2048 MB/);
        });

        it("reads memorylimitmb from an mssql.conf, uploaded or mounted", async () => {
            const conf = (mb: number) => `[EULA]\naccepteula = Y\n\n[memory]\nmemorylimitmb = ${mb}\n`;
            const docker = (mb: number) => sqlServerContainer({ envs: ["ACCEPT_EULA=Y"], uploads: [{ file: "/var/opt/mssql/mssql.conf", content: conf(mb) }] });
            assert.deepEqual(await check(memorySettingsFitLimits, docker(3276)), []);
            assert.match(messages(await check(memorySettingsFitLimits, docker(4096)))[0], /memorylimitmb in \/var\/opt\/mssql\/mssql.conf is 4096 MB, above 90% of the 4096 MB memory limit/);
            const sts = workload(STATEFUL_SET, "sqlserver", podSpec([k8sContainer("sqlserver", { volumeMounts: [{ name: "conf", mountPath: "/var/opt/mssql/mssql.conf", subPath: "mssql.conf" }] })], [], { volumes: [{ name: "conf", configMap: { name: "mssql" } }] }));
            assert.equal((await check(memorySettingsFitLimits, [sts, configMap("mssql", { "mssql.conf": conf(8000) })])).length, 1);
        });
    });
});
