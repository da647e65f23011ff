import { strict as assert } from "assert";
import { parseImageReference } from "../../policies/shared/image-reference";
import { jvmMaxHeapMb, maxmemoryInArgs, maxmemoryInConf, redisSizeMb } from "../../policies/rules/support/memory-units";
import { parseNginx, servesTls, sslProtocolDirectives, tryParseNginx } from "../../policies/rules/support/nginx";
import { parseQuantity, quantityToMb } from "../../policies/rules/support/quantities";

describe("policy helpers", () => {
    it("parses Kubernetes quantities", () => {
        const cases: [unknown, number | undefined][] = [
            ["500m", 0.5], ["2", 2], [1.5, 1.5], ["0.25", 0.25], ["100u", 0.0001],
            ["512Mi", 512 * 2 ** 20], ["1.5Gi", 1.5 * 2 ** 30], ["1G", 1e9], ["129M", 129e6], ["1e3", 1000], ["2E", 2e18],
            ["2 GB", undefined], ["", undefined], [undefined, undefined], ["Mi", undefined],
        ];
        for (const [input, expected] of cases) {
            const actual = parseQuantity(input);
            if (expected === undefined) assert.equal(actual, undefined, String(input));
            else assert.ok(Math.abs(actual! - expected) < 1e-9 * Math.max(1, expected), `${input}: ${actual} != ${expected}`);
        }
        assert.equal(quantityToMb("4Gi"), 4096);
    });

    it("reads JVM heaps and Redis sizes in their own units", () => {
        assert.equal(jvmMaxHeapMb("-Xms1g -Xmx1g"), 1024);
        assert.equal(jvmMaxHeapMb("-Xmx524288k"), 512);
        assert.equal(jvmMaxHeapMb("-XX:MaxHeapSize=2147483648"), 2048);
        assert.equal(jvmMaxHeapMb("-Xms1g -Des.xmx=3g"), undefined);
        assert.equal(redisSizeMb("1536mb"), 1536);
        assert.equal(redisSizeMb("1gb"), 1024);
        assert.equal(redisSizeMb("1g"), 1e9 / 2 ** 20);
        assert.equal(redisSizeMb("lots"), undefined);
        assert.deepEqual(maxmemoryInConf("maxmemory 1gb\nmaxmemory-policy allkeys-lru\nmaxmemory 512mb\n"), { raw: "512mb", mb: 512 });
        assert.deepEqual(maxmemoryInArgs(["sh", "-c", "exec valkey-server /conf --maxmemory 256mb"]), { raw: "256mb", mb: 256 });
    });

    it("splits image references", () => {
        assert.deepEqual(parseImageReference("registry:5000/a/b:1.2@sha256:abc"), { repository: "registry:5000/a/b", tag: "1.2", digest: "sha256:abc" });
        assert.deepEqual(parseImageReference("registry:5000/a/b"), { repository: "registry:5000/a/b", digest: undefined });
    });

    it("parses nginx syntax: blocks, quotes, comments, ${VAR} placeholders", () => {
        const conf = "http {\n  # ssl_protocols TLSv1;\n  server { listen ${NGINX_PORT} ssl; ssl_protocols TLSv1.2 TLSv1.3; return 200 \"a;b{\"; }\n}\n";
        const parsed = parseNginx(conf);
        assert.deepEqual(sslProtocolDirectives(parsed), [["TLSv1.2", "TLSv1.3"]]);
        assert.deepEqual(parsed[0].block![0].block![0], { name: "listen", args: ["${NGINX_PORT}", "ssl"] });
        assert.deepEqual(parsed[0].block![0].block![2], { name: "return", args: ["200", "a;b{"] });
        assert.equal(servesTls(parsed), true);
        assert.equal(servesTls(parseNginx("server { listen 80; }")), false);
        for (const bad of ["http {", "server { listen 80 }", "}", "bind 0.0.0.0\nport 6379\n", "return 'x;"]) assert.equal(tryParseNginx(bad), undefined, bad);
    });
});
