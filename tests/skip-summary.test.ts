import assert from "node:assert/strict";
import { skipped, skipSummary } from "./helpers/tools";

describe("the summary of checks skipped for a missing tool", () => {
    it("names each skipped check and the one command that installs what they need", () => {
        const before = skipped.splice(0);
        try {
            assert.equal(skipSummary(), undefined, "nothing skipped: nothing said");
            skipped.push({ check: "generated nginx.conf under a real nginx -t", tool: "nginx", debianPackage: "nginx" });
            skipped.push({ check: "redis.conf under a real redis-server", tool: "redis-server", debianPackage: "redis-server" });
            skipped.push({ check: "proxy API keys under a real nginx", tool: "nginx", debianPackage: "nginx" });
            const text = skipSummary()!;
            assert.match(text, /^SKIPPED 3 check group\(s\)/);
            assert.match(text, /- redis\.conf under a real redis-server \(needs redis-server\)/);
            assert.match(text, /sudo apt-get install -y nginx redis-server$/);
        } finally {
            skipped.splice(0, skipped.length, ...before);
        }
    });
});
