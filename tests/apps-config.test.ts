/**
 * The `apps` key: each bad declaration is refused before any resource, with its key; the
 * platform's own routes the apps must stay clear of are the ones the proxy really serves.
 */
import assert from "node:assert/strict";
import { appDatabase, appSqlServerDatabase } from "../components/config/apps";
import { parseConfig } from "../components/config/load";
import { withExampleUserValues } from "../harness/example-user-values";
import { stackConfigValues } from "../harness/run-stack";
import { observabilityRoutes } from "../components/observability/routes";
import { ollamaRoutes } from "../components/proxy/proxy";
import { PLATFORM_PATH_PREFIXES, prefixesCollide } from "../components/reserved-routes";
import { problems, rejects } from "./helpers/config-problems";

const kubernetesEssentials = { platform: "kubernetes", backup: { enabled: false }, kubernetes: { context: "prod" }, proxy: { httpsPort: 443, httpPort: 80 }, tls: { hostnames: ["llm.example.com"] }, ollama: { gpu: false } };

/** Pulumi.prod.yaml's values (the aws object with them), as parseConfig takes keys. */
const prodValues = Object.fromEntries(Object.entries(withExampleUserValues(stackConfigValues("prod")).values).map(([k, v]) => [k.replace(/^llm-platform:/, ""), v]));

const api = {
    name: "courses-api",
    upstream: { address: "host.docker.internal:8001" },
    routes: [{ pathPrefix: "/courses", apiKey: true, rateLimit: { perSecond: 5, burst: 10 } }],
};
const frontend = {
    name: "frontend",
    upstream: { image: "nginxinc/nginx-unprivileged:1.29.3-alpine", port: 8080, healthCommand: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], healthPath: "/" },
    routes: [{ host: "courses.example.com" }],
};

describe("apps config", () => {
    it("accepts two apps, one by path with a key, one by host without, with defaults filled", () => {
        const c = parseConfig({ apps: [api, frontend] });
        assert.equal(c.apps.length, 2);
        assert.deepEqual(c.apps[0].routes[0], {
            pathPrefix: "/courses",
            stripPrefix: false,
            apiKey: true,
            rateLimit: { perSecond: 5, burst: 10, status: 429 },
            maxBodyMb: 10,
            timeouts: { connectSeconds: 10, readSeconds: 60, sendSeconds: 60 },
            streaming: false,
            websocket: false,
        });
        assert.equal(c.apps[1].routes[0].apiKey, false);
        assert.deepEqual(parseConfig({}).apps, []);
    });

    it("refuses names that are not DNS labels and repeated names", () => {
        rejects({ apps: [{ ...api, name: "Courses_API" }] }, "apps.0.name", "DNS label");
        rejects({ apps: [{ ...api, name: "-x" }] }, "apps.0.name", "DNS label");
        rejects({ apps: [api, { ...frontend, name: "courses-api" }] }, "apps.1.name", "already the name of apps[0]");
    });

    it("refuses ports out of range", () => {
        rejects({ apps: [{ ...frontend, upstream: { ...frontend.upstream, port: 70000 } }] }, "apps.0.upstream.port", "at most 65535");
        rejects({ apps: [{ ...frontend, upstream: { ...frontend.upstream, port: 0 } }] }, "apps.0.upstream.port", "at least 1");
        rejects({ apps: [{ ...api, upstream: { address: "host:99999" } }] }, "apps.0.upstream.address", "1 to 65535");
        rejects({ apps: [{ ...api, metrics: { port: 65536 } }] }, "apps.0.metrics.port", "at most 65535");
    });

    it("refuses an upstream with none or two of address, service and image, and image fields without an image", () => {
        rejects({ apps: [{ ...api, upstream: {} }] }, "apps.0.upstream", "exactly one of", "none");
        rejects({ apps: [{ ...api, upstream: { address: "a:1", image: frontend.upstream.image, port: 1, healthCommand: ["true"] } }] }, "apps.0.upstream", "address and image");
        rejects({ apps: [{ ...api, upstream: { address: "a:1", cpu: 1 } }] }, "apps.0.upstream.cpu", "set upstream.image");
        rejects({ apps: [{ ...frontend, upstream: { image: "nginx:latest", port: 80, healthCommand: ["true"] } }] }, "apps.0.upstream.image", "pinned");
        rejects({ apps: [{ ...frontend, upstream: { image: frontend.upstream.image } }] }, "apps.0.upstream.port", "required");
    });

    it("refuses an address that is one of the platform's own services", () => {
        for (const address of ["prometheus:9090", "timescale:5432", "node-exporter:9100", "timescale-exporter:9187", "fluent-bit:2020"]) {
            rejects({ apps: [{ ...api, upstream: { address } }] }, "apps.0.upstream.address", "the platform's own services");
        }
    });

    it("keeps each upstream form to the platform that can route to it (and police it)", () => {
        rejects({ ...kubernetesEssentials, apps: [api] }, "apps.0.upstream.address", "for docker stacks");
        rejects({ apps: [{ ...api, upstream: { service: "courses.apps:8001" } }] }, "apps.0.upstream.service", "Kubernetes Service");
        assert.deepEqual(problems({ ...kubernetesEssentials, apps: [{ ...api, upstream: { service: "courses.apps:8001" } }] }), []);
        rejects({ apps: [{ ...frontend, upstream: { ...frontend.upstream, healthCommand: undefined } }] }, "apps.0.upstream.healthCommand", "required on docker");
    });

    it("refuses routes that collide with each other", () => {
        rejects({ apps: [api, { ...frontend, routes: [{ pathPrefix: "/courses/v2" }] }] }, "apps.1.routes.0.pathPrefix", "overlaps /courses of app courses-api");
        rejects({ apps: [api, { ...frontend, routes: [{ pathPrefix: "/courses" }] }] }, "apps.1.routes.0.pathPrefix", "overlaps");
        assert.deepEqual(problems({ apps: [api, { ...frontend, routes: [{ pathPrefix: "/coursesx" }] }] }), [], "a longer name is not below the prefix");
        rejects({ apps: [frontend, { ...api, routes: [{ host: "courses.example.com" }] }] }, "apps.1.routes.0.host", "already routed to app frontend");
        rejects({ apps: [{ ...api, routes: [{ pathPrefix: "/a", host: "a.example.com" }] }] }, "apps.0.routes.0", "exactly one of pathPrefix");
        rejects({ apps: [{ ...api, routes: [{}] }] }, "apps.0.routes.0", "exactly one of pathPrefix");
        rejects({ apps: [{ ...api, routes: [] }] }, "apps.0.routes", "at least 1");
        rejects({ apps: [{ ...api, routes: [{ pathPrefix: "/courses/" }] }] }, "apps.0.routes.0.pathPrefix", "no trailing /");
        rejects({ apps: [{ ...api, routes: [{ pathPrefix: "/" }] }] }, "apps.0.routes.0.pathPrefix", "path prefix");
    });

    it("refuses routes that collide with the platform's own", () => {
        for (const prefix of ["/api", "/api/embed", "/v1", "/grafana/x", "/kibana", "/healthz", "/ollama"]) {
            rejects({ apps: [{ ...api, routes: [{ pathPrefix: prefix }] }] }, "apps.0.routes.0.pathPrefix", "the platform's own route");
        }
        rejects({ apps: [{ ...frontend, routes: [{ host: "localhost.example.com" }] }], tls: { hostnames: ["localhost.example.com"] } }, "apps.0.routes.0.host", "platform's own server");
    });

    it("reserves exactly the paths the proxy serves itself", () => {
        const platformRoutes = [...ollamaRoutes("ollama:11434"), ...observabilityRoutes({ metrics: true, logs: true })];
        const samples = ["/healthz", "/api/embed", "/api/tags", "/v1/chat/completions", "/v1/models/x", "/ollama/api/tags", "/grafana/", "/prometheus/graph", "/alertmanager", "/kibana/app"];
        for (const sample of samples) {
            assert.ok(sample === "/healthz" || platformRoutes.some((r) => new RegExp(r.pattern).test(sample)), `${sample} is a platform route`);
            assert.ok(PLATFORM_PATH_PREFIXES.some((p) => prefixesCollide(p, sample)), `${sample} is reserved`);
        }
        // Every platform route's pattern starts with one of the reserved prefixes.
        for (const r of platformRoutes) assert.ok(PLATFORM_PATH_PREFIXES.some((p) => r.pattern.startsWith(`^${p}`)), r.pattern);
    });

    it("refuses unknown stores, RDS without the aws object, and the platform's own database and roles", () => {
        rejects({ apps: [{ ...api, databases: { postgres: { store: "mysql" } } }] }, "apps.0.databases.postgres.store", 'must be one of "timescale", "rds"');
        rejects({ apps: [{ ...api, databases: { mongo: {} } }] }, "apps.0.databases.mongo", "unknown key", "allowed keys: postgres, sqlserver, redis");
        rejects({ ...kubernetesEssentials, apps: [{ ...api, upstream: { service: "a.b:1" }, databases: { postgres: { store: "rds" } } }] }, "apps.0.databases.postgres.store", "set aws");
        rejects({ apps: [{ ...api, databases: { postgres: { store: "timescale", database: "llm_observatory" } } }] }, "apps.0.databases.postgres.database", "platform's own");
        rejects({ apps: [{ ...api, databases: { postgres: { store: "timescale", role: "llm_monitor" } } }] }, "apps.0.databases.postgres.role", "platform's own roles");
        rejects(
            { apps: [{ ...api, databases: { postgres: { store: "timescale" } } }, { ...frontend, databases: { postgres: { store: "timescale", role: "courses_api" } } }] },
            "apps.1.databases.postgres.role",
            "already the role of app courses-api",
        );
    });

    it("gives an app on SQL Server a database and login named after it, and refuses the platform's own, the system ones, repeats and non-identifiers", () => {
        const c = parseConfig({ apps: [{ ...api, databases: { sqlserver: {} } }, { ...frontend, databases: { sqlserver: { database: "web", login: "web_user" } } }] });
        assert.deepEqual(
            c.apps.map((a) => appSqlServerDatabase(a)),
            [
                { database: "courses_api", login: "courses_api" },
                { database: "web", login: "web_user" },
            ],
        );
        rejects({ apps: [{ ...api, databases: { sqlserver: { database: "llm" } } }] }, "apps.0.databases.sqlserver.database", "platform's own SQL Server database");
        rejects({ apps: [{ ...api, databases: { sqlserver: { database: "msdb" } } }] }, "apps.0.databases.sqlserver.database", "system one");
        rejects({ apps: [{ ...api, databases: { sqlserver: { login: "sa" } } }] }, "apps.0.databases.sqlserver.login", "platform's own SQL Server logins");
        rejects({ apps: [{ ...api, databases: { sqlserver: { login: "llm_monitor" } } }] }, "apps.0.databases.sqlserver.login", "platform's own SQL Server logins");
        rejects({ apps: [{ ...api, databases: { sqlserver: { login: "Web-User" } } }] }, "apps.0.databases.sqlserver.login", "lower-case SQL identifier");
        rejects({ apps: [{ ...api, databases: { sqlserver: { database: "x]; DROP" } } }] }, "apps.0.databases.sqlserver.database", "lower-case SQL identifier");
        rejects(
            { apps: [{ ...api, databases: { sqlserver: {} } }, { ...frontend, databases: { sqlserver: { database: "courses_api" } } }] },
            "apps.1.databases.sqlserver.database",
            "already the database of app courses-api",
        );
    });

    it("takes RDS with the aws object, and refuses RDS's own database and roles", () => {
        const onAws = (app: Record<string, unknown>) => ({ ...prodValues, apps: [{ ...api, upstream: { service: "a.b:1" }, ...app }] });
        const c = parseConfig(onAws({ databases: { postgres: { store: "rds" } } }));
        assert.deepEqual(appDatabase(c.apps[0]), { store: "rds", database: "courses_api", role: "courses_api" });
        rejects(onAws({ databases: { postgres: { store: "rds", database: "app" } } }), "apps.0.databases.postgres.database", "a database the RDS instance already has");
        rejects(onAws({ databases: { postgres: { store: "rds", database: "rdsadmin" } } }), "apps.0.databases.postgres.database", "a database the RDS instance already has");
        for (const role of ["app", "app_readwrite", "app_admin", "rds_superuser"]) {
            rejects(onAws({ databases: { postgres: { store: "rds", role } } }), "apps.0.databases.postgres.role", "a role RDS or the platform already has");
        }
    });

    it("refuses Redis key prefixes that overlap between apps or hold glob characters", () => {
        rejects(
            { apps: [{ ...api, databases: { redis: { keyPrefix: "courses:" } } }, { ...frontend, databases: { redis: { keyPrefix: "courses:web:" } } }] },
            "apps.1.databases.redis.keyPrefix",
            "overlaps \"courses:\" of app courses-api",
        );
        rejects({ apps: [{ ...api, databases: { redis: { keyPrefix: "courses*" } } }] }, "apps.0.databases.redis.keyPrefix", "no glob characters");
        assert.deepEqual(problems({ apps: [{ ...api, databases: { redis: {} } }, { ...frontend, databases: { redis: {} } }] }), []);
    });

    it("takes an app's Redis user on ElastiCache (prod's redis.engine), refusing only a name ElastiCache's user ids cannot hold", () => {
        const onElastiCache = (name: string) => ({ ...prodValues, apps: [{ ...api, name, upstream: { service: "a.b:1" }, databases: { redis: {} } }] });
        assert.equal(parseConfig(onElastiCache("courses-api")).redis.engine, "elasticache");
        assert.deepEqual(problems(onElastiCache("courses-api")), []);
        rejects(onElastiCache("courses--api"), "apps.0.name", 'may not contain "--"');
    });

    it("names an unknown key inside an app with the keys allowed there", () => {
        rejects({ apps: [{ ...api, upstream: { adress: "a:1" } }] }, "apps.0.upstream.adress", "did you mean address?");
        rejects({ apps: [{ ...api, routes: [{ pathPrefix: "/x", ratelimit: {} }] }] }, "apps.0.routes.0.ratelimit", "did you mean rateLimit?");
    });
});
