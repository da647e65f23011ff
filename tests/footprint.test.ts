import assert from "node:assert/strict";
import { dockerFootprint, footprintConfigOf, SizedContainer } from "../components/config/footprint";
import { presetNames } from "../components/config/presets";
import { runStack } from "../harness/run-stack";
import { registeredContainers } from "../harness/stack-totals";

/** One line per container, in the form Docker gets it (CPU reservations as shares, as the platform sends them). */
const described = (containers: readonly SizedContainer[]) =>
    containers
        .map((c) => `${c.name} ${c.role} cpus=${c.cpu} memory=${c.memoryMb} reservation=${c.memoryReservationMb} shares=${Math.max(2, Math.round(c.cpuReservation * 1024))}`)
        .sort();

describe("the dev stack's footprint, known before any resource exists (components/config/footprint.ts)", function () {
    this.timeout(120000);

    const variants: [string, Record<string, unknown>][] = [
        ["observability on", {}],
        ["metrics only", { "llm-platform:observability": { metrics: true, logs: false } }],
        ["logs only", { "llm-platform:observability": { metrics: false, logs: true } }],
        ["observability off", { "llm-platform:observability": { metrics: false, logs: false } }],
    ];
    // Which containers run depends on observability and backups; their sizes on the preset.
    const cases: [string, string, Record<string, unknown>][] = [
        ...variants.map(([label, overrides]): [string, string, Record<string, unknown>] => [presetNames[0], label, overrides]),
        ...presetNames.slice(1).map((size): [string, string, Record<string, unknown>] => [size, variants[0][0], variants[0][1]]),
    ];
    for (const [size, label, overrides] of cases) {
        it(`is every container the program registers, sized the same: size ${size}, ${label}`, async () => {
            const run = await runStack("dev", { overrides: { ...overrides, "llm-platform:size": size } });
            assert.deepEqual(described(dockerFootprint(footprintConfigOf(run.config))), described(registeredContainers(run)));
        });
    }

    it("leaves the backup schedulers out when backups are off, as the program does", async () => {
        const run = await runStack("dev", { overrides: { "llm-platform:backup": { enabled: false } } });
        const predicted = dockerFootprint(footprintConfigOf(run.config));
        assert.equal(predicted.filter((c) => c.role === "backup").length, 0);
        assert.deepEqual(described(predicted), described(registeredContainers(run)));
    });
});
