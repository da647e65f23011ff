import { strict as assert } from "assert";
import { databasePortsNotPublic } from "../../policies/rules/published-ports";
import { container, nginxConf, proxyContainer, sqlServerContainer } from "./helpers/docker-fixtures";
import { DAEMON_SET, k8sContainer, k8sService, podSpec, sqlServerStatefulSet, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

describe("policy database-ports-not-public", () => {
    it("passes the dev layout: databases on 127.0.0.1, the proxy on every interface", async () => {
        assert.deepEqual(await check(databasePortsNotPublic, [sqlServerContainer(), proxyContainer(nginxConf("TLSv1.2 TLSv1.3"))]), []);
    });

    it("fails SQL Server published on 0.0.0.0, without an ip, or on ::", async () => {
        for (const ip of ["0.0.0.0", undefined, "::"]) {
            const [v] = await check(databasePortsNotPublic, sqlServerContainer({ ports: [{ external: 1433, internal: 1433, ...(ip ? { ip } : {}), protocol: "tcp" }] }));
            assert.equal(v.enforcementLevel, "mandatory");
            assert.match(v.message, /Container "sqlserver": port 1433 is published as 1433 on .*, and 1433 is a database port; required: ip "127.0.0.1"/);
        }
    });

    it("fails any port of a non-public service, even without an external port (Docker picks one)", async () => {
        const [message] = messages(await check(databasePortsNotPublic, container("ollama", { ports: [{ internal: 11434 }] })));
        assert.match(message, /port 11434 is published as a random host port on every interface \(no ip\), and service ollama is not in publicServices \(proxy\)/);
    });

    it("fails a database port on the proxy itself", async () => {
        const proxy = proxyContainer(nginxConf("TLSv1.2 TLSv1.3"), { ports: [{ external: 5432, internal: 5432, ip: "0.0.0.0" }] });
        assert.equal((await check(databasePortsNotPublic, proxy)).length, 1);
    });

    it("passes ClusterIP Services and the proxy's LoadBalancer", async () => {
        const services = [k8sService("sqlserver", "ClusterIP", [{ name: "tds", port: 1433, targetPort: 1433 }]), k8sService("proxy", "LoadBalancer", [{ name: "https", port: 443, targetPort: 443 }])];
        assert.deepEqual(await check(databasePortsNotPublic, services), []);
    });

    it("fails a database behind a LoadBalancer or NodePort", async () => {
        const [v] = await check(databasePortsNotPublic, k8sService("sqlserver", "LoadBalancer", [{ name: "tds", port: 1433, targetPort: 1433 }]));
        assert.match(v.message, /Service "sqlserver": LoadBalancer exposes port 1433, and 1433 is a database port; required: type ClusterIP/);
        assert.equal((await check(databasePortsNotPublic, k8sService("qdrant", "NodePort", [{ port: 6333 }]))).length, 1);
    });

    it("fails hostPort on non-public workloads (hostNetwork is no-host-access's)", async () => {
        assert.match(messages(await check(databasePortsNotPublic, sqlServerStatefulSet({ ports: [{ containerPort: 1433, hostPort: 1433 }] })))[0], /container "sqlserver": containerPort 1433 is bound to hostPort 1433 on every node interface/);
        const exporter = workload(DAEMON_SET, "node-exporter", podSpec([k8sContainer("node-exporter", { image: "prom/node-exporter:v1.10.2", ports: [{ containerPort: 9100 }] })], [], { hostNetwork: true }));
        assert.deepEqual(await check(databasePortsNotPublic, exporter), []);
    });

    it("uses configured public services", async () => {
        const ollama = container("ollama", { ports: [{ internal: 11434, external: 11434, ip: "0.0.0.0" }] });
        assert.deepEqual(await check(databasePortsNotPublic, ollama, { publicServices: ["proxy", "ollama"] }), []);
    });
});
